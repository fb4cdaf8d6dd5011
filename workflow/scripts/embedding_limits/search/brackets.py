"""Each seed's own boundary, after a strategy's any-seed search.

A job runs every seed of the config, and a strategy (strategies.py) decides
what to run from one outcome per value: whether *some* seed holds there. Each
seed's own boundary can lie far from that one: at d = 12, seed 0 of five
failed every n that the published search tested (48 and up, around the
any-seed boundary 52), so its critical n was never seen, and a median over the
four others is biased up. This stage, the same for every strategy that finds
a boundary, goes on from the any-seed boundary until each seed's own is
bracketed: a value that holds for it and the next value, which does not.

Each seed is searched on its own, as the published search would search it
alone: gallop from the any-seed boundary (``start``) away from it, one step,
two, four..., then bisect the gap (strategies.gallop_and_bisect), never below
``lowest`` nor above ``top``. Over n, seeds' boundaries lie at or below the
any-seed one (some seed solved it), so the gallop goes down towards the floor
k + 1; over d, at or above it (no seed solved the d below), so it goes up
towards the cap. Outcomes are shared: one job runs every seed, so a value that
one seed's search (or the any-seed search, or its sweep) ran is read, not run
again, by every other seed's.

With one seed, the any-seed boundary is that seed's, already bracketed: the
stage runs nothing (tests/search/test_search.py checks it over every boundary).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from .strategies import NeedProbe, SearchDone, Unknown, gallop_and_bisect


@dataclass(frozen=True)
class SeedBracket:
    """One seed's boundary, in the strategy's terms: ``below``, the largest
    value that holds for it, and ``above``, the next value, which does not.
    ``below`` is None when nothing held down to the lowest value searched,
    ``above`` None when everything held up to the top."""

    seed: int
    below: int | None
    above: int | None


def plan_brackets(
    done: SearchDone,
    start: int | None,
    holds: Mapping[int, Mapping[int, bool]],
    lowest: int,
    top: int,
) -> NeedProbe | SearchDone:
    """The any-seed search ``done``, with every seed's bracket; or the next
    value to run for that.

    ``holds`` maps each value run to {seed: whether it holds for that seed}.
    ``start``: the any-seed boundary the seeds' searches start from (its
    critical value); None when the any-seed search found none, so that every
    seed shares its outcome: nothing held, or everything did. A NeedProbe's
    ``alongside`` holds the values to run meanwhile: the other seeds' next
    values and the any-seed search's sweep, so that they run in parallel.
    """
    seeds = sorted({seed for outcome in holds.values() for seed in outcome})
    if start is None:
        found = [SeedBracket(s, done.critical_n, done.upper_n) for s in seeds]
        return dataclasses.replace(done, seeds=tuple(found))
    found, needed, read = [], [], []
    for seed in seeds:

        def held(x: int, seed: int = seed) -> bool:
            if x not in holds:
                raise Unknown(x)
            if x not in read:
                read.append(x)
            return holds[x][seed]

        try:
            found.append(SeedBracket(seed, *gallop_and_bisect(start, lowest, top,
                                                               held)))  # fmt: skip
        except Unknown as unknown:
            if unknown.n not in needed:
                needed.append(unknown.n)
    if needed:
        meanwhile = [x for x in (*needed, *done.sweep) if x not in holds]
        meanwhile = [x for x in meanwhile if x != needed[0]]
        return NeedProbe(needed[0], tuple(dict.fromkeys(meanwhile)))
    ran = set(done.probed) | set(done.sweep)
    extra = tuple(x for x in read if x not in ran)
    return dataclasses.replace(done, seeds=tuple(found), seed_probed=extra)
