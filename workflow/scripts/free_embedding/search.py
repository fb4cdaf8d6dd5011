"""Searches, as pure functions of the outcomes known so far.

A search runs optimisation jobs along one axis until it knows what it is
after: the critical n of a (k, d), the critical d of a dataset, or the
smallest d of n documents. Which values it runs is its *strategy*
(strategies.py: gallop, grid, bisect), a value with one interface::

    strategy.plan(holds, lowest, limit, fit_limit) -> NeedProbe | SearchDone

:func:`replay` drives a plan one probe at a time, so a workflow runs any
strategy as ordinary jobs (Snakemake checkpoints) and can restart it at any
point. :class:`Search` applies a strategy to one subject: which jobs it runs,
where their results live, what it found. A search may be warm-started from
another (``after``): its lowest value is where that one ended, so
:func:`replay_search` replays the chain in order. The strategies are
importable from here too, as the search layer's one front.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from . import paths
from .strategies import (
    STRATEGIES,
    Bisect,
    Gallop,
    Grid,
    NeedProbe,
    SearchDone,
    Strategy,
    plan_bisect,
    plan_search,
)

__all__ = [
    "STRATEGIES", "Bisect", "Gallop", "Grid", "NeedProbe", "Search", "SearchDone",
    "Strategy", "plan_bisect", "plan_search", "replay", "replay_search",
    "warm_chain",
]  # fmt: skip


@dataclass(frozen=True)
class Search:
    """One search of the workflow: a strategy applied along one axis.

    ``axis`` "n": the critical n of (protocol, k, d), the qrels every k-subset
    of n documents; solved below the boundary. ``axis`` "d": the smallest d
    that solves a dataset's qrels (``dataset``), or every k-subset of
    ``documents`` documents (no dataset: the critical_d_of_n searches); solved
    from the boundary up, so the strategy sees "unsolved". Each value is one
    optimisation job, whose result lives at ``run_path(x)``. ``after``: the
    search this one is warm-started from (the previous n's): it starts where
    that one ended (:meth:`next_lowest`), and its path names the chain.
    """

    protocol: str
    axis: str  # "n" or "d"
    k: int
    strategy: Strategy
    d: int | None = None  # fixed, in a search over n
    dataset: str | None = None  # the qrels of a search over d, if a dataset's
    documents: int | None = None  # and their n (fixed, in a search over d)
    limit: int = 100_000  # max_n or max_d
    fit_limit: int | None = None  # the largest value whose jobs fit in memory
    after: Search | None = None  # the search whose end this one starts from

    @property
    def source(self) -> str:
        """The qrels a probe optimises: ``k~K`` or ``dataset~NAME``."""
        if self.dataset is None:
            return paths.source(k=self.k)
        return paths.source(dataset=self.dataset)

    @property
    def subject(self) -> str:
        if self.axis == "n":
            return paths.build(paths.SUBJECT_N, k=self.k, d=self.d)
        if self.dataset is None:
            return paths.build(paths.SUBJECT_D_OF_N, k=self.k, n=self.documents)
        return paths.build(paths.SUBJECT_D, dataset=self.dataset)

    @property
    def chain(self) -> tuple[int, ...]:
        """The n of the searches this one is warm-started from, first first."""
        if self.after is None:
            return ()
        return (*self.after.chain, self.after.documents)

    def probe(self, x: int) -> dict:
        """The optimize job of value x: its wildcards."""
        d, n = (self.d, x) if self.axis == "n" else (x, self.documents)
        return {"protocol": self.protocol, "source": self.source, "d": d, "n": n}

    def run_path(self, x: int) -> str:
        return paths.build(paths.RUN, **self.probe(x))

    def tag(self) -> str:
        """The settings that decide what it runs: its strategy's, and for a
        warm start the chain before it (another chain, other windows)."""
        after = "-".join(map(str, self.chain))
        return self.strategy.tag(self.axis, self.limit) + (
            f"_after~{after}" if after else ""
        )

    def summary_path(self) -> str:
        return paths.build(paths.SUMMARY, protocol=self.protocol,
                           subject=self.subject, settings=self.tag())  # fmt: skip

    def plan(
        self, solved: dict[int, bool], lowest: int | None = None
    ) -> NeedProbe | SearchDone:
        """The strategy against ``solved`` (value -> some seed solved it),
        from ``lowest`` (a warm start) or the axis's smallest value."""
        if self.axis == "n":
            return self.strategy.plan(solved, self.k + 1, self.limit, self.fit_limit)
        unsolved = {d: not outcome for d, outcome in solved.items()}
        return self.strategy.plan(unsolved, lowest or 1, self.limit, self.fit_limit)

    def found(self, done: SearchDone) -> int | None:
        """The critical value: the largest n solved below the first failure;
        the smallest d solved above the last failure."""
        return done.critical_n if self.axis == "n" else done.upper_n

    def next_lowest(self, done: SearchDone) -> int:
        """Where a search warm-started from this one starts: the smallest d
        found, since a larger n needs at least as many dimensions (its qrels
        hold this n's); where none was found, above the window searched."""
        found = self.found(done)
        if found is not None:
            return found
        if done.window is None:
            raise ValueError(f"{self.strategy.name} searches no window to go past")
        low, high = done.window
        return max(low, high + 1)

    def values(self, done: SearchDone) -> list[int]:
        """Every value the search ran, in order."""
        return sorted(set(done.probed) | set(done.sweep))

    def summary(self, done: SearchDone) -> dict:
        """What the search ran and found (the published search's boundary)."""
        found = {}
        if self.strategy.finds_boundary:
            found = {
                f"critical_{self.axis}": self.found(done),
                "boundary": [done.critical_n, done.upper_n],
                # the largest value that fitted in memory, where that stopped it
                "capped_by_memory": done.capped_by_memory,
                "memory_limit": self.fit_limit if done.capped_by_memory else None,
            }
        if done.window is not None:
            found["window"] = list(done.window)
        if self.after is not None:
            found["after"] = {"n": self.after.documents,
                              "summary": self.after.summary_path()}  # fmt: skip
        return {
            "protocol": self.protocol, "axis": self.axis, "subject": self.subject,
            "strategy": self.strategy.name,
            "settings": self.strategy.settings(self.limit),
            **found, "probed": list(done.probed), "sweep_values": list(done.sweep),
            "runs": [self.run_path(x) for x in self.values(done)],
        }  # fmt: skip


def warm_chain(searches: list[Search]) -> list[Search]:
    """The searches, each warm-started from the one before it (MED's
    warm start over increasing n)."""
    chained: list[Search] = []
    for search in searches:
        after = chained[-1] if chained else None
        chained.append(dataclasses.replace(search, after=after))
    return chained


def replay(
    plan: Callable[[dict], NeedProbe | SearchDone], solved: Callable[[int], bool]
) -> SearchDone:
    """Run a search's ``plan`` against ``solved``, which answers one probe at
    a time (in the workflow it raises until that probe's job has run)."""
    outcomes: dict[int, bool] = {}
    while True:
        step = plan(outcomes)
        if isinstance(step, SearchDone):
            return step
        outcomes[step.n] = solved(step.n)


def replay_search(search: Search, solved: Callable[[Search, int], bool]) -> SearchDone:
    """Replay ``search``, and before it the searches it is warm-started from:
    ``solved(s, x)`` answers whether some seed solved search s's value x."""
    lowest = None
    if search.after is not None:
        lowest = search.after.next_lowest(replay_search(search.after, solved))
    return replay(lambda known: search.plan(known, lowest),
                  lambda x: solved(search, x))  # fmt: skip
