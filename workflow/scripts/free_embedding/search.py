"""Searches, as pure functions of the outcomes known so far.

A search runs optimisation jobs along one axis until it knows what it is
after: the critical n of a (k, d), or the critical d of a dataset. Which
values it runs is its *strategy*, a value with one interface::

    strategy.plan(holds, lowest, limit, fit_limit) -> NeedProbe | SearchDone

``plan`` replays the strategy against the outcomes known so far (``holds``:
value -> true below the boundary sought, false above) and stops at the first
value it has not seen: that value is the next job. :func:`replay` drives a
plan one probe at a time, so a workflow runs any strategy as ordinary jobs
(Snakemake checkpoints) and can restart it at any point. The strategies
(``STRATEGIES``, the config's ``search.strategy``):

- ``gallop``, the published search: from a first guess, gallop until a value
  that holds lies below one that does not, bisect that boundary, then sweep a
  neighbourhood of it. The sweep's values come back together, so they run in
  parallel;
- ``grid``: the values given, all at once; no outcome decides anything.

No strategy plans a value above ``limit`` (max_n, max_d) or above
``fit_limit``, the largest value whose jobs fit what one job may have; a
search that memory stopped says so. :class:`Search` applies a strategy to one
subject: which jobs it runs, where their results live, what it found.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from . import paths


@dataclass(frozen=True)
class NeedProbe:
    """The search cannot go on without the outcome at ``n`` (a value of its
    axis: an n, or a d)."""

    n: int


@dataclass(frozen=True)
class SearchDone:
    """The boundary found, and every value the search and sweep ran (named
    for the search over n; over d, ``upper_n`` is the critical d)."""

    critical_n: int | None  # the largest value that holds below the boundary
    upper_n: int | None  # the smallest value above it that does not hold
    probed: tuple[int, ...]  # n evaluated during gallop and binary search
    sweep: tuple[int, ...]  # n of the final neighbourhood sweep
    capped_by_memory: bool = False  # the gallop reached fit_limit; beyond, no fit


class _Unknown(Exception):
    def __init__(self, n: int):
        self.n = n


def plan_search(
    start: int,
    lowest: int,
    outcomes: dict[int, bool],
    sweep: tuple[int, int] = (-4, 5),
    max_n: int = 100_000,
    fit_limit: int | None = None,
) -> NeedProbe | SearchDone:
    """The gallop strategy's plan: the next n to evaluate, or the finished
    search.

    ``outcomes`` maps each evaluated n to whether it holds (any seed solved
    it; assumed true below some boundary, false above). ``lowest`` is the smallest n
    considered (k + 1 for the critical n). No n above ``max_n`` is ever
    planned: galloping up stops there and the sweep is cut there, so a search
    that solves ``max_n`` has found a lower bound, not a boundary
    (``upper_n`` is None). A first guess above ``max_n`` raises ValueError
    (the config refuses it first). Nor is an n above ``fit_limit`` (the
    largest whose jobs fit in memory) planned: a first guess above it starts
    there, and a search stopped by it says so (``capped_by_memory``).
    """
    first = max(start, lowest)
    if first > max_n:
        raise ValueError(f"the first guess n = {first} is above max_n = {max_n}")
    if fit_limit is not None and fit_limit < lowest:
        raise ValueError(f"not even the smallest n, {lowest}, fits in memory")
    top = max_n if fit_limit is None else min(max_n, fit_limit)
    probed: list[int] = []

    def solved(n: int) -> bool:
        if n not in outcomes:
            raise _Unknown(n)
        if n not in probed:
            probed.append(n)
        return outcomes[n]

    try:
        critical, upper = _gallop_and_bisect(min(first, top), lowest, top, solved)
    except _Unknown as unknown:
        return NeedProbe(unknown.n)
    neighbours: tuple[int, ...] = ()
    if critical is not None:
        low, high = sweep
        near = {min(max(critical + o, lowest), top) for o in range(low, high + 1)}
        neighbours = tuple(sorted(near))
    capped = top != max_n and upper is None and critical == top
    return SearchDone(critical, upper, tuple(probed), neighbours, capped)


def _gallop_and_bisect(start, lowest, max_n, solved):
    n_low = n_high = None
    if solved(start):
        n_low, step = start, 1
        while n_low < max_n:  # the last stride stops at max_n itself
            n_test = min(n_low + step, max_n)
            if solved(n_test):
                n_low, step = n_test, step * 2
            else:
                n_high = n_test
                break
    else:
        n_high, step = start, 1
        while n_high > lowest:
            n_test = max(n_high - step, lowest)
            if solved(n_test):
                n_low = n_test
                break
            n_high, step = n_test, step * 2
    if n_low is None or n_high is None:
        return n_low, n_high
    critical, low, high = n_low, n_low, n_high
    while low <= high:
        mid = (low + high) // 2
        if solved(mid):
            critical, low = mid, mid + 1
        else:
            high, n_high = mid - 1, mid
    return critical, n_high


class Strategy(typing.Protocol):
    """How a search chooses the values it runs (see the module's docstring)."""

    name: ClassVar[str]  # its name in the config and the summary
    finds_boundary: ClassVar[bool]  # whether outcomes decide what it runs

    def plan(
        self, holds: dict[int, bool], lowest: int, limit: int, fit_limit: int | None
    ) -> NeedProbe | SearchDone:
        """The next value to run, or the finished search: no value below
        ``lowest`` or above ``limit`` and ``fit_limit``."""
        ...

    def tag(self, axis: str, limit: int) -> str:
        """Its settings as a path segment: new settings, a new summary."""
        ...

    def settings(self, limit: int) -> dict:
        """Its settings, as the summary records them."""
        ...


@dataclass(frozen=True)
class Gallop:
    """The published search: gallop from ``start``, bisect, then run every
    offset in ``sweep`` = (low, high) around the boundary (:func:`plan_search`)."""

    start: int
    sweep: tuple[int, int] = (-4, 5)
    name: ClassVar[str] = "gallop"
    finds_boundary: ClassVar[bool] = True

    def plan(self, holds, lowest, limit, fit_limit=None):
        return plan_search(self.start, lowest, holds, self.sweep, limit, fit_limit)

    def tag(self, axis, limit):
        low, high = self.sweep
        return f"start~{self.start}_sweep~{low}..{high}_max{axis}~{limit}"

    def settings(self, limit):
        return {"start": self.start, "sweep": list(self.sweep), "limit": limit}


@dataclass(frozen=True)
class Grid:
    """Exactly ``values``, all at once. A grid is not capped: the config
    refuses a value whose jobs cannot fit (budget.config_errors)."""

    values: tuple[int, ...]
    name: ClassVar[str] = "grid"
    finds_boundary: ClassVar[bool] = False

    def __post_init__(self):
        object.__setattr__(self, "values", tuple(sorted(set(self.values))))

    def plan(self, holds, lowest, limit, fit_limit=None):
        return SearchDone(None, None, self.values, ())

    def tag(self, axis, limit):
        return "grid~" + "-".join(map(str, self.values))

    def settings(self, limit):
        return {"grid": list(self.values)}


STRATEGIES = {strategy.name: strategy for strategy in (Gallop, Grid)}


@dataclass(frozen=True)
class Search:
    """One search of the workflow: a strategy applied along one axis.

    ``axis`` "n": the critical n of (protocol, k, d), the qrels every k-subset
    of n documents; solved below the boundary. ``axis`` "d": the critical d
    of a dataset's qrels (``documents`` fixed); solved from the boundary up,
    so the strategy sees "unsolved". Each value is one optimisation job, whose
    result lives at ``run_path(x)``.
    """

    protocol: str
    axis: str  # "n" or "d"
    k: int
    strategy: Strategy
    d: int | None = None  # fixed, in a search over n
    dataset: str | None = None  # the qrels of a search over d
    documents: int | None = None  # and their n
    limit: int = 100_000  # max_n or max_d
    fit_limit: int | None = None  # the largest value whose jobs fit in memory

    @property
    def source(self) -> str:
        """The qrels a probe optimises: ``k~K`` or ``dataset~NAME``."""
        if self.axis == "n":
            return paths.source(k=self.k)
        return paths.source(dataset=self.dataset)

    @property
    def subject(self) -> str:
        if self.axis == "n":
            return paths.build(paths.SUBJECT_N, k=self.k, d=self.d)
        return paths.build(paths.SUBJECT_D, dataset=self.dataset)

    def probe(self, x: int) -> dict:
        """The optimize job of value x: its wildcards."""
        d, n = (self.d, x) if self.axis == "n" else (x, self.documents)
        return {"protocol": self.protocol, "source": self.source, "d": d, "n": n}

    def run_path(self, x: int) -> str:
        return paths.build(paths.RUN, **self.probe(x))

    def tag(self) -> str:
        return self.strategy.tag(self.axis, self.limit)

    def summary_path(self) -> str:
        return paths.build(paths.SUMMARY, protocol=self.protocol,
                           subject=self.subject, settings=self.tag())  # fmt: skip

    def plan(self, solved: dict[int, bool]) -> NeedProbe | SearchDone:
        """The strategy against ``solved`` (value -> some seed solved it)."""
        if self.axis == "n":
            return self.strategy.plan(solved, self.k + 1, self.limit, self.fit_limit)
        unsolved = {d: not outcome for d, outcome in solved.items()}
        return self.strategy.plan(unsolved, 1, self.limit, self.fit_limit)

    def found(self, done: SearchDone) -> int | None:
        """The critical value: the largest n solved below the first failure;
        the smallest d solved above the last failure."""
        return done.critical_n if self.axis == "n" else done.upper_n

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
        return {
            "protocol": self.protocol, "axis": self.axis, "subject": self.subject,
            "strategy": self.strategy.name,
            "settings": self.strategy.settings(self.limit),
            **found, "probed": list(done.probed), "sweep_values": list(done.sweep),
            "runs": [self.run_path(x) for x in self.values(done)],
        }  # fmt: skip


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
