"""The critical-n search, as a pure function of the outcomes known so far.

The published search gallops from a first guess until it has a solved n below
an unsolved one, binary-searches the boundary, then sweeps a neighbourhood of
it. :func:`plan_search` replays that algorithm against the outcomes already
known and stops at the first n it has not seen: that n is the next job. A
workflow can therefore run the search as ordinary jobs (Snakemake checkpoints)
and restart it at any point; the sweep's n are returned together, so they run
in parallel.

A search may also be bounded by memory (``fit_limit``: the largest n whose jobs
fit what one job may have). It then plans no probe beyond it: the gallop stops
there, the sweep is cut there, and the result says when that stopped it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import paths


@dataclass(frozen=True)
class NeedProbe:
    """The search cannot go on without the outcome at ``n``."""

    n: int


@dataclass(frozen=True)
class SearchDone:
    """The boundary found, and every n the search and sweep ran."""

    critical_n: int | None
    upper_n: int | None  # the smallest unsolved n seen above the boundary
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
    """The next n to evaluate, or the finished search.

    ``outcomes`` maps each evaluated n to whether any seed solved it (assumed
    true below some boundary, false above). ``lowest`` is the smallest n
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


def plan_dimension_search(
    start: int,
    solved_by_d: dict[int, bool],
    sweep: tuple[int, int],
    max_d: int,
    fit_limit: int | None = None,
) -> NeedProbe | SearchDone:
    """The search for the smallest d at which some seed solves a qrels matrix.

    Solvability grows with d, so this is the critical-n search on "unsolved":
    the boundary it finds is the largest unsolved d, and ``upper_n`` of the
    result, the smallest solved d above it, is the critical d.
    """
    unsolved = {d: not solved for d, solved in solved_by_d.items()}
    return plan_search(max(start, 1), 1, unsolved, sweep, max_d, fit_limit)


def critical_n(solved_by_n: dict[int, bool]) -> tuple[int | None, int | None, bool]:
    """(critical n, first failed n, monotone) over the tested n.

    The critical n is the largest tested n such that every tested n up to it
    was solved; None when the smallest tested n already failed. ``monotone``
    is False when some larger n was solved after a failure.
    """
    critical, first_failed = None, None
    for n in sorted(solved_by_n):
        if first_failed is not None:
            break
        if solved_by_n[n]:
            critical = n
        else:
            first_failed = n
    monotone = first_failed is None or not any(
        solved for n, solved in solved_by_n.items() if n > first_failed
    )
    return critical, first_failed, monotone


@dataclass(frozen=True)
class Search:
    """One adaptive search, over n or over d, as the workflow runs it.

    Over n: the critical n of (protocol, k, d), the qrels being every k-subset
    of n documents. Over d: the critical d of a dataset's qrels (``documents``
    fixed). ``grid`` replaces the search by those values. Each probe is one
    optimisation job, whose result lives at ``run_path(x)``.
    """

    protocol: str
    axis: str  # "n" or "d"
    k: int
    d: int | None = None  # fixed for a search over n
    dataset: str | None = None  # for a search over d
    documents: int | None = None
    start: int = 1
    sweep: tuple[int, int] = (-4, 5)
    limit: int = 100_000  # max_n or max_d
    grid: tuple[int, ...] | None = None
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
        """The settings as a path segment: new settings, a new summary."""
        if self.grid is not None:
            return "grid~" + "-".join(map(str, self.grid))
        low, high = self.sweep
        return f"start~{self.start}_sweep~{low}..{high}_max{self.axis}~{self.limit}"

    def summary_path(self) -> str:
        return paths.build(paths.SUMMARY, protocol=self.protocol,
                           subject=self.subject, settings=self.tag())  # fmt: skip

    def plan(self, outcomes: dict[int, bool]) -> NeedProbe | SearchDone:
        if self.grid is not None:  # no outcome decides anything: all at once
            return SearchDone(None, None, tuple(self.grid), ())
        if self.axis == "n":
            return plan_search(self.start, self.k + 1, outcomes, self.sweep,
                               self.limit, self.fit_limit)  # fmt: skip
        return plan_dimension_search(
            self.start, outcomes, self.sweep, self.limit, self.fit_limit
        )

    def values(self, done: SearchDone) -> list[int]:
        """Every value the search ran, in order."""
        return sorted(set(done.probed) | set(done.sweep))

    def summary(self, done: SearchDone) -> dict:
        """What the search ran and found (the published search's boundary)."""
        found = (
            {"mode": "grid"}
            if self.grid is not None
            else {
                "mode": "search",
                f"critical_{self.axis}": done.critical_n
                if self.axis == "n"
                else done.upper_n,
                "boundary": [done.critical_n, done.upper_n],
                # the largest value that fitted in memory, where that stopped it
                "capped_by_memory": done.capped_by_memory,
                "memory_limit": self.fit_limit if done.capped_by_memory else None,
            }
        )
        return {
            "protocol": self.protocol, "axis": self.axis, "subject": self.subject,
            "settings": {"start": self.start, "sweep": list(self.sweep),
                         "limit": self.limit, "grid": self.grid and list(self.grid)},
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
