"""The settings of one free-embedding optimisation job, validated once."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .protocol import Protocol

DEVICES = ("cpu", "gpu", "auto")
# What --device asks of JAX_PLATFORMS, set before JAX starts: cpu skips the
# GPU probe; gpu makes a CUDA start-up failure an error instead of a silent
# CPU run; auto leaves JAX's own choice (a GPU when one starts, else the CPU).
JAX_PLATFORMS = {"cpu": "cpu", "gpu": "cuda"}
SEED_BATCHING = ("auto", "vmap", "sequential")
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class RunSettings:
    """One job: the problem (d, n, k, queries), its seeds, the protocol that
    optimises it, and where it runs.

    ``k`` is the top-k cut-off used for accuracy (each query of the
    combinatorial qrels has k relevant documents). ``seed_batching`` says how
    one compiled program runs the seeds: ``vmap`` all at once (best on a GPU),
    ``sequential`` one after another (best on a CPU, where batched matmuls
    are slower than separate ones), ``auto`` picks by device. ``deterministic``
    asks XLA for deterministic GPU kernels (docs/reproducibility.md).
    """

    d: int
    n: int
    k: int = 2
    seeds: tuple[int, ...] = (42,)
    protocol: Protocol = field(default_factory=Protocol)
    max_queries: int | None = None
    device: str = "auto"
    seed_batching: str = "auto"
    deterministic: bool = False

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
    for name in ("d", "n", "k"):
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
    if not s.seeds or not all(_is_int(x) and 0 <= x <= MAX_SEED for x in s.seeds):
        errors["seeds"] = f"need integers in 0..{MAX_SEED}, got {list(s.seeds)}"
    elif len(set(s.seeds)) != len(s.seeds):
        errors["seeds"] = f"seeds must be distinct, got {list(s.seeds)}"
    if not isinstance(s.protocol, Protocol):
        errors["protocol"] = f"must be a Protocol, got {type(s.protocol).__name__}"
    if s.max_queries is not None and (not _is_int(s.max_queries) or s.max_queries < 1):
        errors["max_queries"] = f"must be a positive integer, got {s.max_queries!r}"
    for name, allowed in (("device", DEVICES), ("seed_batching", SEED_BATCHING)):
        value = getattr(s, name)
        if value not in allowed:
            errors[name] = f"must be one of {', '.join(allowed)}, got {value!r}"
    if not isinstance(s.deterministic, bool):
        errors["deterministic"] = f"must be true or false, got {s.deterministic!r}"
    return errors
