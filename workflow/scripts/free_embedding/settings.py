"""The settings of one free-embedding optimisation job, validated once."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

PRECISIONS = ("float32", "tf32", "bf16")
DEVICES = ("cpu", "gpu", "auto")
# What --device asks of JAX_PLATFORMS, set before JAX starts: cpu skips the
# GPU probe; gpu makes a CUDA start-up failure an error instead of a silent
# CPU run; auto leaves JAX's own choice (a GPU when one starts, else the CPU).
JAX_PLATFORMS = {"cpu": "cpu", "gpu": "cuda"}
SEED_BATCHING = ("auto", "vmap", "sequential")


@dataclass(frozen=True)
class RunSettings:
    """Protocol settings; defaults are the published script's.

    ``k`` is the top-k cut-off used for accuracy (each query of the
    combinatorial qrels has k relevant documents). ``seed_batching`` says how
    one compiled program runs the seeds: ``vmap`` all at once (best on a GPU),
    ``sequential`` one after another (best on a CPU, where batched matmuls
    are slower than separate ones), ``auto`` picks by device.
    """

    d: int
    n: int
    k: int = 2
    seeds: tuple[int, ...] = (42,)
    learning_rate: float = 0.01
    temperature: float = 0.1
    max_steps: int = 100_000
    patience: int = 1000
    min_delta: float = 1e-5
    eval_every: int = 50
    max_queries: int | None = None
    device: str = "auto"
    precision: str = "float32"
    seed_batching: str = "auto"

    def __post_init__(self) -> None:
        errors = validation_errors(self)
        if errors:
            raise SettingsError(errors)

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["seeds"] = list(self.seeds)
        return out


class SettingsError(ValueError):
    """One or more invalid settings; ``errors`` maps setting name to message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validation_errors(s: RunSettings) -> dict[str, str]:
    """Every problem with ``s``, keyed by the setting's name."""
    errors: dict[str, str] = {}
    for name in ("d", "n", "k", "max_steps", "patience", "eval_every"):
        if not _is_int(getattr(s, name)):
            errors[name] = f"must be an integer, got {getattr(s, name)!r}"
    if errors:
        return errors
    if s.d < 1:
        errors["d"] = f"the embedding dimension must be >= 1, got {s.d}"
    if s.n < 2:
        errors["n"] = f"need at least 2 documents, got {s.n}"
    if s.k < 1:
        errors["k"] = f"top-k must be >= 1, got {s.k}"
    elif s.k >= s.n:
        errors["k"] = f"k must be smaller than n (k={s.k}, n={s.n})"
    for name in ("max_steps", "patience", "eval_every"):
        if getattr(s, name) < 1:
            errors[name] = f"must be positive, got {getattr(s, name)}"
    if not s.seeds or not all(_is_int(x) and x >= 0 for x in s.seeds):
        errors["seeds"] = f"need one or more integers >= 0, got {list(s.seeds)}"
    elif len(set(s.seeds)) != len(s.seeds):
        errors["seeds"] = f"seeds must be distinct, got {list(s.seeds)}"
    for name in ("learning_rate", "temperature"):
        value = getattr(s, name)
        if not isinstance(value, (int, float)) or not value > 0:
            errors[name] = f"must be a positive number, got {value!r}"
    if not isinstance(s.min_delta, (int, float)) or s.min_delta < 0:
        errors["min_delta"] = f"must be a number >= 0, got {s.min_delta!r}"
    if s.max_queries is not None and (not _is_int(s.max_queries) or s.max_queries < 1):
        errors["max_queries"] = f"must be a positive integer, got {s.max_queries!r}"
    choices = {
        "device": DEVICES,
        "precision": PRECISIONS,
        "seed_batching": SEED_BATCHING,
    }
    for name, allowed in choices.items():
        value = getattr(s, name)
        if value not in allowed:
            errors[name] = f"must be one of {', '.join(allowed)}, got {value!r}"
    return errors
