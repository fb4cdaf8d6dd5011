"""The searches a config asks for, each capped by its limit and by memory.

:func:`plan` turns a checked config, its protocols and datasets, and the MB
one job may have into every search the workflow runs: the critical n of each
(protocol, k, d), the critical d of each (protocol, dataset) and the smallest
d of each (protocol, n). Each search's strategy is read from its section of
the config here (``n_strategy``, ``d_strategy``, ``d_of_n_strategy``), and
each names its summary's path, which is how the rules look it up.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..config.protocol import Protocol
from ..config.sections import d_of_n_ns, grid_of, searched, start_n
from ..config.sweeps import Sweep
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
    # the critical n of each sweep's combinations at its dims (those not in n)
    sweeps: tuple[Search, ...] = ()

    def by_summary(self) -> dict[str, Search]:
        """Every search by the path of its summary."""
        every = (*self.n, *self.d, *self.d_of_n, *self.sweeps)
        return {s.summary_path(): s for s in every}

    def sweep_lines(self, sweeps: dict[str, Sweep]) -> list[str]:
        """What each sweep adds to the run, a line each."""
        added = {(s.protocol, s.d) for s in self.sweeps}
        return [
            f"sweeps.{sweep.name}: {len(sweep.points)} combinations at d = "
            f"{', '.join(map(str, sweep.dims))}: "
            f"{sum((p.protocol, d) in added for p in sweep.points for d in sweep.dims)}"
            " searches (per k) beyond the config's own"
            for sweep in sweeps.values()
        ]

    def sweep_points(self, sweeps: dict[str, Sweep], ks) -> list[dict]:
        """Each (sweep, combination, k, d): its settings and the summary of
        its critical-n search (the base protocol's own where equal to it)."""
        found = {(s.protocol, s.k, s.d): s.summary_path()
                 for s in (*self.n, *self.sweeps)}  # fmt: skip
        return [
            {"sweep": sweep.name, "base": sweep.base, "is_base": point.is_base,
             "settings": point.settings, "protocol": point.protocol, "k": k, "d": d,
             "summary": found[point.protocol, k, d]}
            for sweep in sweeps.values() for point in sweep.points
            for k in ks for d in sweep.dims
        ]  # fmt: skip


def plan(
    config: dict,
    protocols: dict[str, Protocol],
    datasets: dict[str, DatasetSpec],
    cap_mb: int | None,
    sweeps: dict[str, Sweep] | None = None,
) -> Searches:
    """Every search of a checked config. Each stops at its limit (max_n or
    max_d) and at the largest value whose jobs fit in ``cap_mb`` (no such
    stop when the memory one job may have is unknown, None). ``protocols``
    holds the sweeps' combinations too (Experiment.every_protocol)."""
    seeds = len(config["seeds"])
    s, c, o = config["search"], config["critical_d"], config["critical_d_of_n"]

    def n_search(p: str, k: int, d: int, seeds: int = seeds) -> Search:
        return Search(
            protocol=p, axis="n", k=k, d=d, strategy=n_strategy(config, k, d),
            limit=s["max_n"], seeds=seeds,
            fit_limit=cap_mb and budget.largest_n(cap_mb, k, d, protocols[p],
                                                  s["max_n"]),
        )  # fmt: skip

    n_searches = [n_search(p, k, d) for p in searched(config)
                  for k in config["ks"] for d in config["dims"]]  # fmt: skip
    planned = {x.summary_path() for x in n_searches}
    sweep_searches = {}
    for sweep in (sweeps or {}).values():
        for point, k, d in itertools.product(sweep.points, config["ks"], sweep.dims):
            found = n_search(point.protocol, k, d, len(sweep.seeds))
            if found.summary_path() not in planned:
                sweep_searches.setdefault(found.summary_path(), found)
    d_searches = [
        Search(
            protocol=p, axis="d", k=spec.k, dataset=name, documents=spec.documents,
            strategy=d_strategy(config), limit=c["max_d"], seeds=seeds,
            fit_limit=cap_mb and budget.largest_d(
                cap_mb, spec.queries, spec.documents, spec.k, protocols[p].loss,
                c["max_d"],
            ),
        )
        for p in config["protocols"] for name, spec in datasets.items()
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
    return Searches(tuple(n_searches), tuple(d_searches), tuple(d_of_n),
                    tuple(sweep_searches.values()))  # fmt: skip
