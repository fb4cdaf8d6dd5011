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
:func:`replay_search` replays the chain in order. plan.py makes the searches
a config asks for.

A job runs every seed, and its outcome is each seed's: ``{seed: solved}``.
The strategy decides from the any-seed outcome (some seed solved it), exactly
as the published search does; then, for a strategy that finds a boundary,
every seed's own boundary is bracketed too (brackets.py), from the same jobs
and more where a seed needs them. The summary records both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..store import paths
from .brackets import SeedBracket, plan_brackets
from .strategies import NeedProbe, SearchDone, Strategy

Outcome = Mapping[int, bool]  # one job's outcome: {seed: solved}


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
    ``seeds``: how many seeds each job runs; with more than one, bracketing
    each seed's boundary can run more values, and the path says so.
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
    seeds: int = 1  # seeds per job

    @property
    def reach(self) -> int:
        """The largest value it may run: its limit, or less where memory stops it."""
        return self.fit_limit or self.limit

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

    def owns(self, run_path: str) -> bool:
        """Whether ``run_path`` is the job of one of this search's values."""
        found = paths.parse(paths.RUN, run_path)
        if found is None:
            return False
        x = int(found["n"] if self.axis == "n" else found["d"])
        return self.run_path(x) == run_path

    def tag(self) -> str:
        """The settings that decide what it runs: its strategy's, and for a
        warm start the chain before it (another chain, other windows)."""
        after = "-".join(map(str, self.chain))
        bracketed = self.strategy.finds_boundary and self.seeds > 1
        return (
            self.strategy.tag(self.axis, self.limit)
            + (f"_after~{after}" if after else "")
            + ("_seeds~bracketed" if bracketed else "")
        )

    def summary_path(self) -> str:
        return paths.build(paths.SUMMARY, protocol=self.protocol,
                           subject=self.subject, settings=self.tag())  # fmt: skip

    def plan(
        self,
        outcomes: Mapping[int, Outcome],
        lowest: int | None = None,
        seeds: bool = True,
    ) -> NeedProbe | SearchDone:
        """The strategy against the any-seed outcomes (``outcomes``: value ->
        {seed: solved}), from ``lowest`` (a warm start) or the axis's smallest
        value; then, with ``seeds``, every seed's bracket (brackets.py).

        The strategy sees what holds below the boundary: over n, "some seed
        solved"; over d, "no seed solved". Each seed's bracket, likewise,
        "it solved" and "it did not"."""
        low = self.k + 1 if self.axis == "n" else lowest or 1
        if self.axis == "n":
            holds, joined = outcomes, any
        else:
            holds = {d: {s: not ok for s, ok in o.items()} for d, o in outcomes.items()}
            joined = all
        anyone = {x: joined(outcome.values()) for x, outcome in holds.items()}
        step = self.strategy.plan(anyone, low, self.limit, self.fit_limit)
        if isinstance(step, NeedProbe) or not seeds or not self.strategy.finds_boundary:
            return step
        # no seed goes below where its strategy began (a window's bottom)
        bottom = step.window[0] if step.window else low
        top = min(self.limit, self.fit_limit or self.limit)
        return plan_brackets(step, self.found(step), holds, bottom, top)

    def found(self, done: SearchDone | SeedBracket) -> int | None:
        """The critical value, of any seed or of one: the largest n solved
        below the first failure; the smallest d solved above the last failure."""
        if isinstance(done, SeedBracket):
            return done.below if self.axis == "n" else done.above
        return done.critical_n if self.axis == "n" else done.upper_n

    def status(self, bracket: SeedBracket) -> str:
        """How a seed's critical value is known: ``bracketed`` (a value and
        the next on the other side; over d, or solved at d = 1);
        ``below_floor`` (over n: no n solved down to the smallest, k + 1);
        ``upper_bound`` (over d: solved at the lowest d searched, above 1, a
        window's first or a warm start's, with nothing below it run);
        ``capped`` (over n: every n solved up to the cap, a lower bound; over
        d: no d solved up to it)."""
        if self.axis == "n":
            if bracket.below is None:
                return "below_floor"
            return "capped" if bracket.above is None else "bracketed"
        if bracket.above is None:
            return "capped"
        bottom = bracket.below is None and bracket.above > 1
        return "upper_bound" if bottom else "bracketed"

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
        return sorted(set(done.probed) | set(done.sweep) | set(done.seed_probed))

    def summary(self, done: SearchDone) -> dict:
        """What the search ran and found: the published search's boundary
        and, where it finds one, each seed's own."""
        found = {}
        if self.strategy.finds_boundary:
            found = {
                f"critical_{self.axis}": self.found(done),
                "boundary": [done.critical_n, done.upper_n],
                # the largest value that fitted in memory, where that stopped it
                "capped_by_memory": done.capped_by_memory,
                "memory_limit": self.fit_limit if done.capped_by_memory else None,
                # each seed's own, from its own bracket ([held, did not] as above)
                "seeds": [
                    {"seed": b.seed, f"critical_{self.axis}": self.found(b),
                     "boundary": [b.below, b.above], "status": self.status(b)}
                    for b in done.seeds
                ],
                "seed_probed": list(done.seed_probed),
            }  # fmt: skip
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
    plan: Callable[[dict], NeedProbe | SearchDone],
    solved: Callable[[int], Outcome | None],
) -> NeedProbe | SearchDone:
    """Run a search's ``plan`` against ``solved``, which answers one probe at
    a time with its outcome ({seed: solved}). In the workflow it raises until
    that probe's job has run; where it answers None (not run yet), the replay
    stops there and returns that NeedProbe."""
    outcomes: dict[int, Outcome] = {}
    while True:
        step = plan(outcomes)
        if isinstance(step, SearchDone):
            return step
        outcome = solved(step.n)
        if outcome is None:
            return step
        outcomes[step.n] = outcome


def replay_search(
    search: Search, solved: Callable[[Search, int], Outcome | None], seeds: bool = True
) -> NeedProbe | SearchDone:
    """Replay ``search``, and before it the any-seed searches of those it is
    warm-started from (a warm start needs only their boundary, not their
    seeds'): ``solved(s, x)`` answers each seed's outcome at search s's value
    x, or None where that job has not run. A replay stopped in a search before
    this one returns that one's NeedProbe without its ``alongside`` (values of
    that search, which its own summary runs)."""
    lowest = None
    if search.after is not None:
        before = replay_search(search.after, solved, seeds=False)
        if isinstance(before, NeedProbe):
            return dataclasses.replace(before, alongside=())
        lowest = search.after.next_lowest(before)
    return replay(lambda known: search.plan(known, lowest, seeds),
                  lambda x: solved(search, x))  # fmt: skip
