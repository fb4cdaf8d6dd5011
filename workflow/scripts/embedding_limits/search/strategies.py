"""Search strategies: how a search chooses the values it runs, as pure
functions of the outcomes known so far.

Each strategy is a value with one interface::

    strategy.plan(holds, lowest, limit, fit_limit) -> NeedProbe | SearchDone

``plan`` replays the strategy against the outcomes known so far (``holds``:
value -> true below the boundary sought, false above) and stops at the first
value it has not seen: that value is the next job (search.replay drives it).
The strategies (``STRATEGIES``, the config's ``search.strategy``):

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
search that memory stopped says so.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class NeedProbe:
    """The search cannot go on without the outcome at ``n`` (a value of its
    axis: an n, or a d). ``alongside``: other values to run meanwhile, in
    parallel (a strategy asks for one value at a time; the seeds' brackets,
    brackets.py, ask for more)."""

    n: int
    alongside: tuple[int, ...] = ()


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
    # each seed's own boundary (brackets.py), and the values run only for them
    seeds: tuple = ()  # of brackets.SeedBracket, by seed
    seed_probed: tuple[int, ...] = ()


class Unknown(Exception):
    """Raised by a lookup of an outcome not known yet: the value to run."""

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
            raise Unknown(n)
        if n not in probed:
            probed.append(n)
        return outcomes[n]

    try:
        critical, upper = gallop_and_bisect(min(first, top), lowest, top, solved)
    except Unknown as unknown:
        return NeedProbe(unknown.n)
    neighbours: tuple[int, ...] = ()
    if critical is not None:
        low, high = sweep
        near = {min(max(critical + o, lowest), top) for o in range(low, high + 1)}
        neighbours = tuple(sorted(near))
    capped = top != max_n and upper is None and critical == top
    return SearchDone(critical, upper, tuple(probed), neighbours, capped)


def gallop_and_bisect(start, lowest, max_n, solved):
    """(the largest value that holds, the next, which does not) by the
    published search: gallop from ``start`` up while ``solved``, or down until
    it, then bisect the gap; None where nothing held down to ``lowest`` or
    everything did up to ``max_n``."""
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
    ahead: bool = False,
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

    With ``ahead``, a probe comes with a guess of the one the search needs
    after it (``alongside``): the middle below it, as if it does not hold (a
    warm start's boundary lies near its window's bottom), or, where nothing
    is left below, the middle above it. The two run at once; a guess that
    proves right is the next probe and guesses nothing itself, so no more
    than two ever run. What the search probes and finds is the same either
    way: it reads only the outcomes on its own path, so a wrong guess's run
    is never used.
    """
    if window < 1:
        raise ValueError(f"a bisection's window must hold a value, got {window}")
    high = lowest + window - 1
    top = min(high, limit, high if fit_limit is None else fit_limit)
    low, upper, probed, guessed = lowest, None, [], None
    while low <= top:
        mid = (low + top) // 2
        # a probe that ran as the one before it's guess guesses nothing: it
        # ran beside that one, and a guess past it would be a third at once
        guess = None if mid == guessed else _ahead(low, mid, top)
        if mid not in outcomes:
            alongside = () if not ahead or guess in (None, *outcomes) else (guess,)
            return NeedProbe(mid, alongside)
        guessed = guess
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


def _ahead(low: int, mid: int, top: int) -> int | None:
    """The probe a bisection of [low, top] needs after ``mid`` if ``mid``
    does not hold (the middle below it), else, with nothing below, if it
    holds (the middle above it); None when ``mid`` is the last."""
    for below, above in ((low, mid - 1), (mid + 1, top)):
        if below <= above:
            return (below + above) // 2
    return None


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
    ahead: bool = False  # run each probe's successor alongside it (plan_bisect)
    name: ClassVar[str] = "bisect"
    finds_boundary: ClassVar[bool] = True

    def plan(self, holds, lowest, limit, fit_limit=None):
        return plan_bisect(max(self.start, lowest), self.window, holds, limit,
                           fit_limit, self.ahead)  # fmt: skip

    def tag(self, axis, limit):  # not ahead: it changes no probe, nor the answer
        return f"start~{self.start}_window~{self.window}_max{axis}~{limit}"

    def settings(self, limit):
        return {"start": self.start, "window": self.window, "limit": limit}


# The choices of the config's search.strategy (Bisect is critical_d_of_n's).
STRATEGIES = {strategy.name: strategy for strategy in (Gallop, Grid)}
