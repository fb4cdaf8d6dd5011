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

A third strategy, ``bisect`` (:class:`Bisect`), is the critical_d_of_n
search's, not a choice of ``search.strategy``: Wang et al.'s (arXiv:2601.20844)
binary search for the smallest d in a window of d, one probe at a time.

No strategy plans a value above ``limit`` (max_n, max_d) or above
``fit_limit``, the largest value whose jobs fit what one job may have; a
search that memory stopped says so. :class:`Search` applies a strategy to one
subject: which jobs it runs, where their results live, what it found. A
search may be warm-started from another (``after``): its lowest value is where
that one ended, so :func:`replay_search` replays the chain in order.
"""

from __future__ import annotations

import dataclasses
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
    window: tuple[int, int] | None = None  # a bisection's [lowest, highest] value


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


def plan_bisect(
    lowest: int,
    window: int,
    outcomes: dict[int, bool],
    limit: int = 100_000,
    fit_limit: int | None = None,
) -> NeedProbe | SearchDone:
    """The bisect strategy's plan: a binary search of the window
    [lowest, lowest + window - 1], cut at ``limit`` and ``fit_limit``, for the
    first value that does not hold (``outcomes``: true below the boundary).

    Wang et al.'s order (med/search.py, binary_search_med): probe the middle,
    rounded down; a value that does not hold is the boundary so far and the
    search goes below it, otherwise above. ``upper_n`` is the first value
    that does not hold, None when every probe held (the boundary is above the
    window: ``capped_by_memory`` when fit_limit cut the window short, not
    limit); ``critical_n`` the largest probe below it that held. ``window`` is
    the range searched; empty (lowest > highest) when ``lowest`` is already
    above ``limit`` or ``fit_limit``, as a warm start can be.
    """
    if window < 1:
        raise ValueError(f"a bisection's window must hold a value, got {window}")
    high = lowest + window - 1
    top = min(high, limit, high if fit_limit is None else fit_limit)
    low, upper, probed = lowest, None, []
    while low <= top:
        mid = (low + top) // 2
        if mid not in outcomes:
            return NeedProbe(mid)
        probed.append(mid)
        if outcomes[mid]:
            low = mid + 1
        else:
            upper, top = mid, mid - 1
    top = min(high, limit, high if fit_limit is None else fit_limit)
    held = [x for x in probed if outcomes[x] and (upper is None or x < upper)]
    memory = (
        upper is None
        and fit_limit is not None
        and lowest <= limit
        and fit_limit < min(high, limit)
    )
    return SearchDone(max(held, default=None), upper, tuple(probed), (), memory,
                      (lowest, top))  # fmt: skip


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


@dataclass(frozen=True)
class Bisect:
    """Wang et al.'s search for the smallest d (arXiv:2601.20844, MED): a
    binary search of the ``window`` values from ``start``, or from a warm
    start's lowest value when that is higher (:func:`plan_bisect`)."""

    start: int = 1
    window: int = 40
    name: ClassVar[str] = "bisect"
    finds_boundary: ClassVar[bool] = True

    def plan(self, holds, lowest, limit, fit_limit=None):
        return plan_bisect(max(self.start, lowest), self.window, holds, limit,
                           fit_limit)  # fmt: skip

    def tag(self, axis, limit):
        return f"start~{self.start}_window~{self.window}_max{axis}~{limit}"

    def settings(self, limit):
        return {"start": self.start, "window": self.window, "limit": limit}


# The choices of the config's search.strategy (Bisect is critical_d_of_n's).
STRATEGIES = {strategy.name: strategy for strategy in (Gallop, Grid)}


def covered(chosen: str | list[str], names) -> list[str]:
    """The protocols a search section covers, in the config's order: every
    one of ``names`` for "all", else those it lists."""
    return [name for name in names if chosen == "all" or name in chosen]


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
