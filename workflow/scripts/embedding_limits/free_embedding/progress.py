"""Progress on stderr: a tqdm bar when interactive, else one line per chunk."""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

from .engine import Progress


class ProgressReporter:
    """Callable given to ``Engine.run``; use as a context manager."""

    def __init__(self, label: str, total_steps: int, stream=None, min_interval=2.0):
        self.stream = stream or sys.stderr
        self.label = label
        self.total = total_steps
        self.min_interval = min_interval
        self._last_line = -float("inf")
        self._bar = None
        if getattr(self.stream, "isatty", lambda: False)():
            self._bar = tqdm(
                total=total_steps, desc=label, unit="step", file=self.stream
            )

    def _fields(self, p: Progress) -> str:
        rate = p.step / p.seconds if p.seconds > 0 else 0.0
        return (
            f"step {p.step}/{self.total} loss {p.loss:.4f} acc {p.accuracy:.4f} "
            f"solved {p.solved} active {p.active} {rate:,.0f} steps/s"
        )

    def __call__(self, p: Progress) -> None:
        if self._bar is not None:
            self._bar.update(p.step - self._bar.n)
            self._bar.set_postfix(
                loss=f"{p.loss:.4f}", acc=f"{p.accuracy:.4f}", solved=p.solved
            )
            return
        now = time.monotonic()
        if p.active == 0 or now - self._last_line >= self.min_interval:
            print(f"{self.label}: {self._fields(p)}", file=self.stream, flush=True)
            self._last_line = now

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.close()
