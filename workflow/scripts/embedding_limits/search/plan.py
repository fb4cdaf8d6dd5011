"""The searches a config asks for, each capped by its limit and by memory.

:func:`plan` turns a checked config, its protocols and datasets, and the MB
one job may have into every search the workflow runs: the critical n of each
(protocol, k, d), the critical d of each (protocol, dataset) and the smallest
d of each (protocol, n). Each search's strategy is read from its section of
the config here (``n_strategy``, ``d_strategy``, ``d_of_n_strategy``), and
each names its summary's path, which is how the rules look it up.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config.protocol import Protocol
from ..config.sections import d_of_n_ns, grid_of, searched, start_n
from ..data.limit_text import DatasetSpec
from ..memory import budget
from .searches import Search, warm_chain
from .strategies import Bisect, Gallop, Grid, Strategy


def n_strategy(config: dict, k: int, d: int) -> Strategy:
    """How the critical n of (k, d) is searched: the n that search.grid lists
    for d, under either strategy; else search.strategy's way."""
    s = config["search"]
    grid = grid_of(s, d)
    if grid is not None:
        return Grid(tuple(grid))
    if s["strategy"] == "gallop":
        return Gallop(start=start_n(d, k, s["start"]), sweep=tuple(s["sweep"]))
    raise ValueError(f"search.strategy {s['strategy']}: no way to search d = {d}")


def d_strategy(config: dict) -> Strategy:
    """How the critical d of each dataset is searched: a gallop."""
    c = config["critical_d"]
    return Gallop(start=c["start"], sweep=tuple(c["sweep"]))


def d_of_n_strategy(config: dict) -> Strategy:
    """How the smallest d of each n is searched: a bisection of a window."""
    c = config["critical_d_of_n"]
    return Bisect(start=c["start"], window=c["window"], ahead=c["probe_ahead"])


@dataclass(frozen=True)
class Searches:
    """A config's searches, by kind, in the order the config lists them."""

    n: tuple[Search, ...] = ()  # the critical n of each (protocol, k, d)
    d: tuple[Search, ...] = ()  # the critical d of each (protocol, dataset)
    d_of_n: tuple[Search, ...] = ()  # the smallest d of each (protocol, n)

    def by_summary(self) -> dict[str, Search]:
        """Every search by the path of its summary."""
        return {s.summary_path(): s for s in (*self.n, *self.d, *self.d_of_n)}


def plan(
    config: dict,
    protocols: dict[str, Protocol],
    datasets: dict[str, DatasetSpec],
    cap_mb: int | None,
) -> Searches:
    """Every search of a checked config. Each stops at its limit (max_n or
    max_d) and at the largest value whose jobs fit in ``cap_mb`` (no such
    stop when the memory one job may have is unknown, None)."""
    seeds = len(config["seeds"])
    s, c, o = config["search"], config["critical_d"], config["critical_d_of_n"]
    n_searches = [
        Search(
            protocol=p, axis="n", k=k, d=d, strategy=n_strategy(config, k, d),
            limit=s["max_n"], seeds=seeds,
            fit_limit=cap_mb and budget.largest_n(cap_mb, k, d, protocols[p],
                                                  s["max_n"]),
        )
        for p in searched(config) for k in config["ks"] for d in config["dims"]
    ]  # fmt: skip
    d_searches = [
        Search(
            protocol=p, axis="d", k=spec.k, dataset=name, documents=spec.documents,
            strategy=d_strategy(config), limit=c["max_d"], seeds=seeds,
            fit_limit=cap_mb and budget.largest_d(
                cap_mb, spec.queries, spec.documents, spec.k, protocols[p].loss,
                c["max_d"],
            ),
        )
        for p in protocols for name, spec in datasets.items()
        if c["enabled"] and spec.k is not None
    ]  # fmt: skip
    d_of_n = []
    if o["enabled"]:
        for p, ns in d_of_n_ns(config).items():
            chain = [
                Search(
                    protocol=p, axis="d", k=o["k"], documents=n,
                    strategy=d_of_n_strategy(config), limit=o["max_d"], seeds=seeds,
                    fit_limit=cap_mb and budget.largest_d_of_n(
                        cap_mb, o["k"], n, protocols[p], o["max_d"]
                    ),
                )
                for n in sorted(ns)
            ]  # fmt: skip
            d_of_n += warm_chain(chain) if o["warm_start"] else chain
    return Searches(tuple(n_searches), tuple(d_searches), tuple(d_of_n))
