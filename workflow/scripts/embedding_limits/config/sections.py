"""What a checked config's sections mean, without reading or checking one:
which protocols each search covers, the n each smallest-d search runs, where
a critical-n search starts and what its grid lists, which optimisation jobs
want a GPU. No schema and no JAX here: the jobs' own scripts import it too.
"""

from __future__ import annotations

from .. import paper


def searched(config: dict, section: str = "search") -> list[str]:
    """The protocols a search section covers, in the config's order."""
    chosen = config[section]["protocols"]
    return [name for name in config["protocols"] if chosen == "all" or name in chosen]


def d_of_n_ns(config: dict) -> dict[str, list[int]]:
    """The n searched for each protocol of the critical_d_of_n section: its
    one ``ns`` list for every protocol it covers, or its mapping's own."""
    c, names = config["critical_d_of_n"], list(config["protocols"])
    if isinstance(c["ns"], dict):
        return {name: c["ns"][name] for name in names if name in c["ns"]}
    return {name: c["ns"] for name in searched(config, "critical_d_of_n")}


def start_n(d: int, k: int, start) -> int:
    """The first n of a critical-n search: ``search.start`` itself, or for
    ``auto`` the paper's cubic at d; never below k + 1."""
    guess = round(paper.cubic(d)) if start == "auto" else int(start)
    return max(guess, k + 1)


def uses_gpu(config: dict, d: int) -> bool:
    """Whether the optimisation jobs of dimension d request a GPU: every job
    with device gpu; with device auto, those with d >= gpu_min_dim."""
    if config["device"] == "gpu":
        return True
    min_dim = config["gpu_min_dim"]
    return config["device"] == "auto" and min_dim is not None and d >= min_dim


def grid_of(search: dict, d: int) -> list[int] | None:
    """The n that the config's ``search`` settings list for d, if any."""
    grid = search["grid"]
    return grid.get(d, grid.get(str(d)))
