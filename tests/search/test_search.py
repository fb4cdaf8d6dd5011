"""The critical-n search and its summary, on synthetic outcomes."""

import dataclasses
import math

import pytest

from embedding_limits import paper
from embedding_limits.config.protocol import Protocol
from embedding_limits.config.sections import start_n
from embedding_limits.memory.budget import largest_n, probe_mb
from embedding_limits.reports.critical_n import critical_n
from embedding_limits.search.searches import Search, replay, replay_search, warm_chain
from embedding_limits.search.strategies import (
    STRATEGIES,
    Bisect,
    Gallop,
    Grid,
    NeedProbe,
    SearchDone,
    plan_search,
)


def one_seed(oracle):
    """A job's outcome, {seed: solved}, from whether its one seed (42)
    solved the value(s) given."""
    return lambda *value: {42: oracle(*value)}


def run_search(start, k, oracle, **kw):
    """Drive plan_search like the workflow does, one probe at a time."""
    outcomes, order = {}, []
    for _ in range(200):
        step = plan_search(start, k + 1, outcomes, **kw)
        if isinstance(step, SearchDone):
            return step, order
        assert isinstance(step, NeedProbe) and step.n not in outcomes
        order.append(step.n)
        outcomes[step.n] = oracle(step.n)
    raise AssertionError("search did not finish")


@pytest.mark.parametrize("start", [3, 10, 14, 15, 60, 400])
def test_boundary_found_from_any_first_guess(start):
    done, order = run_search(start, 2, lambda n: n <= 14)
    assert done.critical_n == 14 and done.upper_n == 15
    assert 14 in done.probed and 15 in done.probed
    assert done.sweep == tuple(range(10, 20))
    assert len(order) == len(set(order))


def test_published_gallop_sequence():
    # From 10 upwards the published search tries 11, 13, 17 (steps 1, 2, 4)...
    done, order = run_search(10, 2, lambda n: n <= 14)
    assert order[:4] == [10, 11, 13, 17]
    # ...then bisects [13, 17]: 15 fails, 14 solves.
    assert order[4:] == [15, 14]


def test_everything_solved_gallops_to_max_n():
    done, order = run_search(5, 2, lambda n: True, max_n=40)
    assert done.critical_n == 40 and done.upper_n is None
    assert order[-2:] == [36, 40]  # the last stride is cut at max_n


def test_nothing_solved_reaches_the_smallest_n():
    done, order = run_search(20, 2, lambda n: False)
    assert done.critical_n is None and done.sweep == ()
    assert min(order) == 3  # k + 1


def test_sweep_clamps_at_the_smallest_n():
    done, _ = run_search(6, 2, lambda n: n <= 4)
    assert done.critical_n == 4 and min(done.sweep) == 3


def test_non_monotone_outcomes_are_reported():
    assert critical_n({10: True, 11: True, 12: False, 13: True, 14: False}) == (
        11,
        12,
        False,
    )
    assert critical_n({10: True, 11: False, 12: False}) == (10, 11, True)
    assert critical_n({10: True, 11: True}) == (11, None, True)
    assert critical_n({10: False, 11: True}) == (None, 10, False)


def test_start_follows_the_paper_fit():
    assert start_n(4, 2, "auto") == round(paper.cubic(4)) == 7  # Table 6: 10
    assert start_n(20, 2, "auto") == 120
    assert start_n(5, 2, 60) == 60 and start_n(1, 2, 1) == 3


def test_a_search_stops_at_the_largest_n_that_fits_and_says_so():
    """Everything solved: the gallop would run to max_n, but no probe past
    the memory limit is planned, not even in the sweep."""
    done, order = run_search(5, 2, lambda n: True, max_n=1000, fit_limit=40)
    assert max(order) == 40 and done.critical_n == 40 and done.upper_n is None
    assert done.capped_by_memory and max(done.sweep) == 40


def test_a_first_guess_past_what_fits_starts_at_the_limit():
    """A first guess below max_n but far past what fits (d = 280, start auto:
    86,417): the first probe is the largest n that fits; a boundary found
    below it is a real one."""
    done, order = run_search(86_417, 2, lambda n: n <= 14, fit_limit=30)
    assert order[0] == 30 and max(order) == 30
    assert done.critical_n == 14 and done.upper_n == 15
    assert not done.capped_by_memory


def test_a_limit_above_the_boundary_changes_nothing():
    free, free_order = run_search(10, 2, lambda n: n <= 14)
    bound, bound_order = run_search(10, 2, lambda n: n <= 14, fit_limit=50)
    assert bound == free and bound_order == free_order


def test_a_search_with_a_small_memory_limit_is_capped_in_its_summary():
    """The workflow's Search, with the limit that 1.6 GB per job gives at
    d = 64: the summary records where memory stopped the search."""
    fit = largest_n(1600, 2, 64, Protocol(), 100_000)
    assert 3 < fit < 1423 and probe_mb(2, 64, fit + 1, Protocol()) > 1600
    search = Search(protocol="published", axis="n", k=2, d=64,
                    strategy=Gallop(1423, (-1, 1)), fit_limit=fit)  # fmt: skip
    done = replay(search.plan, one_seed(lambda n: True))
    assert max(search.values(done)) == fit
    summary = search.summary(done)
    assert summary["capped_by_memory"] and summary["memory_limit"] == fit
    assert summary["critical_n"] == fit
    unbounded = Search(protocol="published", axis="n", k=2, d=64, strategy=Gallop(20))
    assert not unbounded.summary(replay(unbounded.plan, one_seed(lambda n: n < 30)))[
        "capped_by_memory"
    ]


def test_a_dimension_search_stops_at_the_largest_d_that_fits():
    search = Search(protocol="published", axis="d", k=2, dataset="x", documents=46,
                    strategy=Gallop(8, (0, 0)), limit=1024, fit_limit=12)  # fmt: skip
    done = search.plan({d: {42: False} for d in (8, 9, 11, 12)})
    assert done.capped_by_memory and done.upper_n is None  # no critical d found
    summary = search.summary(done)
    assert summary["critical_d"] is None and summary["memory_limit"] == 12


@pytest.mark.parametrize("boundary", [12, 38, 40, 1000])
def test_no_n_above_max_n_is_ever_run(boundary):
    # Everything solved up to the cap (boundary 1000) used to sweep past it
    # (41..45 with max_n 40); a boundary just below the cap did the same.
    done, order = run_search(5, 2, lambda n: n <= boundary, max_n=40)
    assert max(order) <= 40 and max(done.sweep) <= 40
    assert max(done.sweep) == min(40, done.critical_n + 5)


def test_a_first_guess_above_max_n_is_refused():
    # start 12 with max_n 10 used to run n = 8..17 and call 17 the critical n
    with pytest.raises(ValueError, match="first guess n = 12 is above max_n = 10"):
        plan_search(12, 3, {}, max_n=10)
    with pytest.raises(ValueError, match="first guess n = 6 is above max_n = 5"):
        plan_search(3, 6, {}, max_n=5)  # lowest (k + 1) above the cap


# -- strategies: one interface, planned and replayed without Snakemake ---------
def test_each_strategy_has_its_name_in_the_table():
    assert STRATEGIES == {"gallop": Gallop, "grid": Grid}


@pytest.mark.parametrize("strategy", [Gallop(10, (-1, 1)), Grid((13, 9, 9, 20))])
def test_every_strategy_is_planned_and_replayed_the_same_way(strategy):
    """A search over n and one over d of the same boundary, through the one
    interface; the summary records the strategy by name with its settings."""
    over_n = Search(protocol="p", axis="n", k=2, d=5, strategy=strategy, limit=40)
    done = replay(over_n.plan, one_seed(lambda n: n <= 14))
    summary = over_n.summary(done)
    assert summary["strategy"] == strategy.name
    assert summary["runs"] == [over_n.run_path(n) for n in over_n.values(done)]
    over_d = Search(protocol="p", axis="d", k=2, dataset="x", documents=46,
                    strategy=strategy, limit=40)  # fmt: skip
    done_d = replay(over_d.plan, one_seed(lambda d: d >= 15))
    assert over_d.values(done_d) == over_n.values(done)
    if strategy.finds_boundary:
        assert summary["critical_n"] == 14
        assert over_d.summary(done_d)["critical_d"] == 15
        assert summary["settings"] == {"start": 10, "sweep": [-1, 1], "limit": 40}
    else:  # a grid runs its values, whatever they give, and finds no boundary
        assert over_n.values(done) == [9, 13, 20] and "critical_n" not in summary
        assert summary["settings"] == {"grid": [9, 13, 20]}


def test_a_strategys_settings_name_its_summary():
    """The summary paths that finished searches already have."""
    gallop = Search(protocol="published", axis="n", k=2, d=5, strategy=Gallop(11))
    assert gallop.summary_path() == (
        "results/search/protocol~published/k~2/d~5/start~11_sweep~-4..5_maxn~100000.json"
    )
    grid = Search(protocol="published", axis="n", k=2, d=3, strategy=Grid((6, 4)))
    assert grid.tag() == "grid~4-6"
    d = Search(protocol="published", axis="d", k=2, dataset="limit-small",
               documents=46, strategy=Gallop(8, (-2, 3)), limit=1024)  # fmt: skip
    assert d.summary_path() == (
        "results/search/protocol~published/dataset~limit-small/"
        "start~8_sweep~-2..3_maxd~1024.json"
    )


# -- the smallest d of each n: a bisection of a window (Wang et al., MED) -----
def d_of_n(n, strategy, limit=1024, fit_limit=None, protocol="p"):
    """The smallest-d search of every 2-subset of n documents."""
    return Search(protocol=protocol, axis="d", k=2, documents=n, strategy=strategy,
                  limit=limit, fit_limit=fit_limit)  # fmt: skip


def scan(search, smallest, lowest=None):
    """Replay ``search`` (monotone: d solves iff d >= smallest) from
    ``lowest``, and count its probes."""
    order = []

    def solved(d):
        order.append(d)
        return {42: d >= smallest}

    return replay(lambda known: search.plan(known, lowest), solved), order


@pytest.mark.parametrize("start", [1, 3, 8])
@pytest.mark.parametrize("window", [1, 2, 3, 7, 8, 40])
def test_a_bisection_finds_what_an_exhaustive_scan_of_its_window_finds(start, window):
    """Every boundary below, inside and above the window: the smallest d
    solved among all d of the window, in at most log2(window) + 1 probes,
    none outside the window, none twice."""
    search = d_of_n(10, Bisect(start, window))
    top = start + window - 1
    for smallest in range(1, top + 4):
        done, order = scan(search, smallest)
        exhaustive = min((d for d in range(start, top + 1) if d >= smallest),
                         default=None)  # fmt: skip
        assert search.found(done) == exhaustive, (smallest, order)
        assert len(order) == len(set(order)) <= math.floor(math.log2(window)) + 1
        assert all(start <= d <= top for d in order)
        assert done.window == (start, top) and not done.capped_by_memory
        if exhaustive is not None and exhaustive > start:
            assert exhaustive - 1 in order  # the d below it failed: bracketed


def test_the_bisection_probes_in_wang_et_als_order():
    """med/search.py's binary_search_med over [1, 40] (left0 = 0, max_range =
    40): the middle rounded down; a feasible d is kept and the search goes
    below it, otherwise above."""
    done, order = scan(d_of_n(10, Bisect(1, 40)), 12)
    assert order == [20, 10, 15, 12, 11] and done.upper_n == 12
    done, order = scan(d_of_n(10, Bisect(1, 40)), 99)  # nothing solved
    assert order == [20, 30, 35, 38, 39, 40] and done.upper_n is None
    done, order = scan(d_of_n(10, Bisect(1, 40)), 1)  # everything solved
    assert order == [20, 10, 5, 2, 1] and done.upper_n == 1


def rounds(search, smallest, lowest=None):
    """Replay ``search`` as the workflow runs it: each round runs the probe
    asked for and its ``alongside`` at once. The rounds, in order."""
    outcomes, ran = {}, []
    while isinstance(step := search.plan(outcomes, lowest), NeedProbe):
        ran.append((step.n, *step.alongside))
        assert not set(ran[-1]) & set(outcomes), "nothing is run twice"
        outcomes.update({d: {42: d >= smallest} for d in ran[-1]})
    return step, ran


@pytest.mark.parametrize("start, window", [(1, 1), (1, 2), (3, 7), (1, 40), (9, 40)])
def test_probing_ahead_changes_no_probe_and_no_answer(start, window):
    """For every boundary in and around the window: the same probes in the
    same order and the same d as one probe at a time; each round runs at most
    one value more, inside the window; and never more rounds."""
    alone = d_of_n(10, Bisect(start, window))
    ahead = d_of_n(10, Bisect(start, window, ahead=True))
    for smallest in range(1, start + window + 2):
        done, order = scan(alone, smallest)
        sped, ran = rounds(ahead, smallest)
        assert sped == done, smallest
        assert all(
            len(r) <= 2 and start <= min(r) <= max(r) < start + window for r in ran
        )
        assert [r[0] for r in ran] == [d for d in order if d in {r[0] for r in ran}]
        assert len(ran) <= len(order)


def test_probing_ahead_halves_meds_rounds_where_it_guesses_right():
    """MED's m = 80 after m = 40's d = 9: window [9, 48], smallest d 12. One at
    a time: 28, 18, 13, 10, 11, 12. Ahead: three rounds of two, none in vain."""
    search = d_of_n(80, Bisect(1, 40, ahead=True))
    done, ran = rounds(search, 12, lowest=9)
    assert done.probed == (28, 18, 13, 10, 11, 12) and done.upper_n == 12
    assert ran == [(28, 18), (13, 10), (11, 12)]
    # while the first guess (18) still runs, nothing is guessed past it
    assert search.plan({28: {42: True}}, 9) == NeedProbe(18)
    assert search.plan({18: {42: True}}, 9) == NeedProbe(28)  # the guess came first
    # far up, guesses below go in vain (18, 33), yet 43's guess is the next probe
    done, ran = rounds(search, 40, lowest=9)
    assert done.probed == (28, 38, 43, 40, 39) and done.upper_n == 40
    assert ran == [(28, 18), (38, 33), (43, 40), (39,)]


def test_a_window_is_cut_at_max_d_and_at_what_fits():
    """No d above max_d or above the largest d that fits; a search that
    found nothing says whether memory (not max_d) stopped it."""
    done, order = scan(d_of_n(10, Bisect(1, 40), limit=12), 99)
    assert max(order) == 12 and done.window == (1, 12) and not done.capped_by_memory
    done, order = scan(d_of_n(10, Bisect(1, 40), limit=64, fit_limit=9), 99)
    assert max(order) == 9 and done.window == (1, 9) and done.capped_by_memory
    summary = d_of_n(10, Bisect(1, 40), limit=64, fit_limit=9).summary(done)
    assert summary["critical_d"] is None and summary["memory_limit"] == 9
    done, _ = scan(d_of_n(10, Bisect(1, 40), limit=64, fit_limit=9), 5)
    assert done.upper_n == 5 and not done.capped_by_memory  # found below the cut
    done, _ = scan(d_of_n(10, Bisect(1, 4), limit=64, fit_limit=9), 99)
    assert not done.capped_by_memory  # the window ended first


def test_a_window_that_starts_above_the_caps_runs_nothing():
    """A warm start can begin above max_d or memory: nothing to run, and the
    next n starts there too."""
    search = d_of_n(10, Bisect(1, 8), limit=20, fit_limit=15)
    done = search.plan({}, lowest=21)
    assert done.probed == () and done.window == (21, 15)
    assert not done.capped_by_memory  # max_d stops it, whatever fits
    assert search.next_lowest(done) == 21
    done = search.plan({}, lowest=17)
    assert done.probed == () and done.capped_by_memory


def test_next_lowest_is_the_answer_or_past_the_window():
    search = d_of_n(10, Bisect(3, 8))
    done, _ = scan(search, 6)
    assert search.next_lowest(done) == 6
    done, _ = scan(search, 50)
    assert search.next_lowest(done) == 11  # every d of [3, 10] failed
    gallop = d_of_n(10, Gallop(4), limit=16)  # no window: where would it go on?
    with pytest.raises(ValueError, match="no window"):
        gallop.next_lowest(replay(gallop.plan, one_seed(lambda d: False)))


def smallest_d(n):
    """A synthetic smallest d, non-decreasing in n, as for real qrels."""
    return math.ceil(n / 4) + 1


def test_a_warm_start_begins_each_window_at_the_previous_answer():
    """ns 10..90, window 8: each window starts at the previous n's smallest
    d; n = 80 needs 21, above its window [11, 18], so it is capped and n = 90
    starts above that window, where it finds its 24."""
    ns = [10, 20, 40, 80, 90]
    chain = warm_chain([d_of_n(n, Bisect(1, 8)) for n in ns])
    asked = []

    def solved(search, d):
        asked.append((search.documents, d))
        return {42: d >= smallest_d(search.documents)}

    found, windows = {}, {}
    for search in chain:
        done = replay_search(search, solved)
        found[search.documents] = search.found(done)
        windows[search.documents] = done.window
    assert found == {10: 4, 20: 6, 40: 11, 80: None, 90: 24}
    assert windows == {10: (1, 8), 20: (4, 11), 40: (6, 13), 80: (11, 18),
                       90: (19, 26)}  # fmt: skip
    # replaying n = 90 replays the chain before it, in order, and nothing else
    asked.clear()
    replay_search(chain[-1], solved)
    assert [n for n, _ in asked] == sorted(n for n, _ in asked)
    assert {n for n, _ in asked} == set(ns)
    # independent windows all start at start: n >= 40 needs more than [1, 8]
    alone = {n: scan(d_of_n(n, Bisect(1, 8)), smallest_d(n))[0].upper_n for n in ns}
    assert alone == {10: 4, 20: 6, 40: None, 80: None, 90: None}


def test_a_warm_starts_path_names_the_chain_before_it():
    """Only what decides a search names its summary: a warm start's window
    depends on every n before it, so inserting an n renames those after it,
    and appending one renames none; the first n is the same search either way."""
    chain = warm_chain([d_of_n(n, Bisect(1, 40)) for n in (10, 20, 40)])
    assert [s.tag() for s in chain] == [
        "start~1_window~40_maxd~1024",
        "start~1_window~40_maxd~1024_after~10",
        "start~1_window~40_maxd~1024_after~10-20",
    ]
    assert chain[0] == d_of_n(10, Bisect(1, 40))
    assert chain[2].summary_path() == (
        "results/search/protocol~p/k~2/n~40/start~1_window~40_maxd~1024_after~10-20.json"
    )
    longer = warm_chain([d_of_n(n, Bisect(1, 40)) for n in (10, 20, 40, 80)])
    assert [s.summary_path() for s in longer[:3]] == [s.summary_path() for s in chain]
    inserted = warm_chain([d_of_n(n, Bisect(1, 40)) for n in (10, 15, 20, 40)])
    assert inserted[0].summary_path() == chain[0].summary_path()
    assert {s.summary_path() for s in inserted[2:]}.isdisjoint(
        s.summary_path() for s in chain
    )


def test_a_warm_start_is_recorded_in_its_summary():
    first, second = warm_chain([d_of_n(n, Bisect(1, 8)) for n in (10, 20)])
    done = replay_search(second, one_seed(lambda s, d: d >= smallest_d(s.documents)))
    summary = second.summary(done)
    assert summary["subject"] == "k~2/n~20" and summary["strategy"] == "bisect"
    assert summary["critical_d"] == 6 and summary["window"] == [4, 11]
    assert summary["after"] == {"n": 10, "summary": first.summary_path()}
    assert summary["settings"] == {"start": 1, "window": 8, "limit": 1024}
    assert summary["runs"] == [
        f"results/runs/protocol~p/k~2/d~{d}/n~20.json" for d in second.values(done)
    ]
    assert "after" not in first.summary(replay(first.plan, one_seed(lambda d: d >= 4)))


def seeds_from(boundaries, axis="n"):
    """A job's outcome where seed s solves n <= boundaries[s] (over n), or
    d >= boundaries[s] (over d); None: the seed solves nothing."""

    def outcome(x):
        if axis == "n":
            return {s: b is not None and x <= b for s, b in boundaries.items()}
        return {s: b is not None and x >= b for s, b in boundaries.items()}

    return outcome


def replayed(search, outcome, lowest=None):
    """Replay ``search`` against ``outcome``: what it found, and every value
    it asked for, in order."""
    order = []

    def solved(x):
        order.append(x)
        return outcome(x)

    return replay(lambda known: search.plan(known, lowest), solved), order


def n_search(d=12, strategy=None, seeds=5, **kw):
    strategy = strategy or Gallop(start_n(d, 2, "auto"))
    return Search(protocol="published", axis="n", k=2, d=d, strategy=strategy,
                  seeds=seeds, **kw)  # fmt: skip


def brackets(search, done):
    """seed -> (its critical value, its status), from the summary."""
    return {s["seed"]: (s[f"critical_{search.axis}"], s["status"])
            for s in search.summary(done)["seeds"]}  # fmt: skip


def test_a_seed_far_below_the_any_seed_boundary_is_bracketed_below_the_sweep():
    """Issue 22 item 7, d = 12, seeds 0-4: the any-seed boundary is 52, and
    seed 0 fails every n the published search tests (its sweep: 48..57). Its
    own critical n, 44, is found below the sweep; the other seeds' come from
    the jobs already run."""
    truth = {0: 44, 1: 52, 2: 50, 3: 51, 4: 49}
    search = n_search()
    done, order = replayed(search, seeds_from(truth))
    summary = search.summary(done)
    assert summary["critical_n"] == 52
    assert summary["sweep_values"] == list(range(48, 58))
    assert not any(truth[0] >= n for n in (*done.probed, *done.sweep))  # all failed
    assert brackets(search, done) == {s: (n, "bracketed") for s, n in truth.items()}
    assert [s["boundary"] for s in summary["seeds"]] == [[n, n + 1] for n in
                                                        truth.values()]  # fmt: skip
    # the extra jobs lie below the sweep, each run once; nothing above it
    assert done.seed_probed and max(done.seed_probed) < 48
    assert {44, 45} <= set(done.seed_probed)
    assert len(order) == len(set(order))
    assert search.values(done) == sorted({*done.probed, *done.sweep, *done.seed_probed})


@pytest.mark.parametrize("start", [3, 20, 52, 60, 200])
@pytest.mark.parametrize("sweep", [(-4, 5), (0, 0), (-1, 1)])
def test_the_any_seed_search_is_the_published_one_whatever_the_seeds(start, sweep):
    """The seeds' brackets come after the any-seed search and change nothing
    in it: the same probes, in the same order, the same sweep and boundary as
    the strategy run on "some seed solved", for any per-seed outcomes."""
    for truth in ({0: 44, 1: 52, 2: 50}, {0: None, 1: 30}, {0: 9, 1: 60, 2: 3}):
        search = n_search(strategy=Gallop(start, sweep), seeds=len(truth))
        done, order = replayed(search, seeds_from(truth))
        anyone = {n: any(seeds_from(truth)(n).values()) for n in range(3, 400)}
        published = plan_search(start, 3, anyone, sweep)
        assert order[: len(published.probed)] == list(published.probed)
        assert done.probed == published.probed and done.sweep == published.sweep
        assert (done.critical_n, done.upper_n) == (published.critical_n,
                                                   published.upper_n)  # fmt: skip
        assert set(order[len(published.probed) :]) <= {*done.sweep, *done.seed_probed}


def test_a_seed_that_solves_nothing_is_reported_down_to_the_floor():
    truth = {0: None, 1: 14, 2: 13}
    search = n_search(d=5, seeds=3)
    done, order = replayed(search, seeds_from(truth))
    assert brackets(search, done) == {0: (None, "below_floor"), 1: (14, "bracketed"),
                                      2: (13, "bracketed")}  # fmt: skip
    assert search.summary(done)["seeds"][0]["boundary"] == [None, 3]  # k + 1 failed
    assert 3 in order and len(order) == len(set(order))
    # nothing solved by any seed: every seed shares it, with no more jobs
    nobody = {0: None, 1: None}
    done, order = replayed(n_search(d=5, seeds=2), seeds_from(nobody))
    assert done.critical_n is None and done.seed_probed == ()
    assert [s["boundary"] for s in n_search(seeds=2).summary(done)["seeds"]] == [
        [None, 3], [None, 3]
    ]  # fmt: skip


def test_a_seed_solving_up_to_the_cap_is_capped_too():
    search = n_search(d=5, strategy=Gallop(5), seeds=2, limit=40)
    done, _ = replayed(search, seeds_from({0: 1000, 1: 20}))
    assert brackets(search, done) == {0: (40, "capped"), 1: (20, "bracketed")}
    assert done.upper_n is None and done.critical_n == 40


def test_non_monotone_seeds_get_a_bracket_of_their_own_outcomes():
    """Seed 0 solves 10..14 and 17, seed 1 solves up to 12 and 15: each
    seed's bracket is a value it solved and the next, which it failed, among
    the jobs run, found the published way from the any-seed boundary."""
    solves = {0: {*range(3, 15), 17}, 1: {*range(3, 13), 15}}
    outcome = lambda n: {s: n in ns for s, ns in solves.items()}  # noqa: E731
    search = n_search(d=5, strategy=Gallop(10, (-1, 1)), seeds=2)
    done, order = replayed(search, outcome)
    assert len(order) == len(set(order))
    for entry in search.summary(done)["seeds"]:
        low, high = entry["boundary"]
        assert high == low + 1 and low in order and high in order
        assert outcome(low)[entry["seed"]] and not outcome(high)[entry["seed"]]
    assert done.critical_n == 17 and brackets(search, done)[0][0] == 17
    assert brackets(search, done)[1][0] in (12, 15)


@pytest.mark.parametrize("start", [3, 7, 30, 90])
def test_every_seeds_boundary_is_its_own_for_monotone_seeds(start):
    """Seeds whose boundaries lie anywhere below the any-seed one."""
    for truth in ({0: 12, 1: 40, 2: 5, 3: 39}, {0: 3, 1: 4}, {0: 80, 1: 79}):
        search = n_search(strategy=Gallop(start), seeds=len(truth))
        done, order = replayed(search, seeds_from(truth))
        assert brackets(search, done) == {s: (n, "bracketed") for s, n in truth.items()}
        assert len(order) == len(set(order))


@pytest.mark.parametrize("start", [3, 10, 14, 15, 60, 400])
@pytest.mark.parametrize("boundary", [None, 3, 9, 14, 40, 1000])
def test_one_seed_runs_exactly_what_the_any_seed_search_runs(start, boundary):
    """With one seed, its bracket is the any-seed boundary: no extra job."""
    search = n_search(strategy=Gallop(min(start, 400)), seeds=1, limit=400)
    done, order = replayed(search, seeds_from({42: boundary}))
    assert done.seed_probed == () and order == list(done.probed)
    [entry] = search.summary(done)["seeds"]
    assert entry["boundary"] == [done.critical_n, done.upper_n]
    assert entry["critical_n"] == search.summary(done)["critical_n"]


def test_a_grid_brackets_nothing():
    search = n_search(strategy=Grid((9, 13)), seeds=3)
    done, order = replayed(search, seeds_from({0: 3, 1: 11, 2: None}))
    assert order == [] and done.seeds == () and "seeds" not in search.summary(done)
    assert search.tag() == "grid~9-13"


def d_search(strategy, seeds=3, limit=64, fit_limit=None):
    return Search(protocol="p", axis="d", k=2, dataset="x", documents=46,
                  strategy=strategy, limit=limit, fit_limit=fit_limit,
                  seeds=seeds)  # fmt: skip


def test_a_seed_far_above_the_smallest_d_is_bracketed_above_it():
    """Over d the seeds lie at or above the any-seed value: seed 1 needs 20,
    far above the sweep around 12; seed 2 never solves up to max_d."""
    search = d_search(Gallop(8, (-2, 3)), limit=40)
    done, order = replayed(search, seeds_from({0: 12, 1: 20, 2: None}, "d"))
    assert search.summary(done)["critical_d"] == 12
    assert brackets(search, done) == {0: (12, "bracketed"), 1: (20, "bracketed"),
                                      2: (None, "capped")}  # fmt: skip
    entries = search.summary(done)["seeds"]
    assert entries[1]["boundary"] == [19, 20] and entries[2]["boundary"] == [40, None]
    assert min(done.seed_probed) > 14 and max(order) == 40  # up to max_d, not past
    assert len(order) == len(set(order))


def test_a_window_bisection_brackets_each_seed_up_to_the_cap():
    """Wang et al.'s window [1, 8]: the any-seed search is theirs; a seed
    whose smallest d lies past the window is followed up to max_d; a seed
    solved at a warm start's first d is only bounded there."""
    truth = {0: 5, 1: 11, 2: 6}
    search = d_search(Bisect(1, 8), limit=16)
    done, order = replayed(search, seeds_from(truth, "d"))
    _, published = scan(d_of_n(46, Bisect(1, 8), limit=16), 5)
    assert order[: len(published)] == published and done.window == (1, 8)
    assert brackets(search, done) == {s: (d, "bracketed") for s, d in truth.items()}
    assert max(order) > 8
    # a warm start from d = 6: everything solves from there, seed 1 from 11
    warm = d_search(Bisect(1, 8), limit=16)
    done, order = replayed(warm, seeds_from({0: 2, 1: 11}, "d"), lowest=6)
    assert min(order) == 6 and done.window == (6, 13)
    assert brackets(warm, done) == {0: (6, "upper_bound"), 1: (11, "bracketed")}
    # solved at d = 1: nothing lies below, so it is bracketed
    done, _ = replayed(d_search(Bisect(1, 8), seeds=2), seeds_from({0: 1, 1: 1}, "d"))
    assert brackets(d_search(Bisect(1, 8)), done) == {0: (1, "bracketed"),
                                                      1: (1, "bracketed")}  # fmt: skip


def test_a_seed_that_no_d_solves_stops_at_what_fits():
    search = d_search(Gallop(8, (0, 0)), seeds=2, limit=1024, fit_limit=20)
    done, order = replayed(search, seeds_from({0: 9, 1: None}, "d"))
    assert brackets(search, done) == {0: (9, "bracketed"), 1: (None, "capped")}
    assert max(order) == 20


@pytest.mark.parametrize("window", [1, 3, 8, 40])
@pytest.mark.parametrize("smallest", [1, 2, 5, 9, 60])
def test_one_seed_over_d_runs_exactly_what_the_any_seed_search_runs(window, smallest):
    for search, lowest in ((d_search(Bisect(3, window), seeds=1), None),
                           (d_search(Bisect(1, window), seeds=1), 4),
                           (d_search(Gallop(8, (-2, 3)), seeds=1), None)):  # fmt: skip
        done, order = replayed(search, seeds_from({42: smallest}, "d"), lowest)
        assert done.seed_probed == () and order == list(done.probed)
        [entry] = search.summary(done)["seeds"]
        assert entry["critical_d"] == search.summary(done)["critical_d"]


def test_the_seeds_next_jobs_and_the_sweep_run_alongside():
    """Where the seeds' searches wait, they ask for one job and name the
    others to run meanwhile (the sweep's, and other seeds' next), so the
    workflow runs them in parallel; a replay given None stops there."""
    truth = {0: 44, 1: 52, 2: 30}
    search = n_search()
    step = replay(search.plan, lambda n: None if n < 52 else seeds_from(truth)(n))
    assert isinstance(step, NeedProbe) and step.n == 51
    assert 48 in step.alongside and 57 in step.alongside  # the sweep
    assert step.n not in step.alongside and 52 not in step.alongside  # known
    any_seed = replay(lambda known: search.plan(known, seeds=False),
                      lambda n: None if n < 52 else seeds_from(truth)(n))  # fmt: skip
    assert isinstance(any_seed, SearchDone) and any_seed.probed == (52, 53)
    # a warm start waits on the any-seed search before it, not on its seeds'
    first, second = warm_chain([dataclasses.replace(d_of_n(n, Bisect(1, 8)), seeds=2)
                                for n in (10, 20)])  # fmt: skip
    asked = []

    def solved(s, d):
        asked.append((s.documents, d))
        return seeds_from({0: 4, 1: 30} if s.documents == 10 else {0: 6, 1: 7}, "d")(d)

    before = replay_search(first, solved)
    assert before.seed_probed and max(before.seed_probed) > 8  # seed 1's, past 8
    asked.clear()
    done = replay_search(second, solved)
    assert done.window == (4, 11)  # from n = 10's any-seed 4
    assert {d for n, d in asked if n == 10} == set(before.probed)


def test_several_seeds_name_their_brackets_in_the_path():
    """A search of several seeds may run more than the any-seed search, so
    its summary is a new one; one seed's is the same as before."""
    assert n_search(d=5, strategy=Gallop(11), seeds=1).summary_path() == (
        "results/search/protocol~published/k~2/d~5/start~11_sweep~-4..5_maxn~100000.json"
    )
    assert n_search(d=5, strategy=Gallop(11), seeds=3).tag() == (
        "start~11_sweep~-4..5_maxn~100000_seeds~bracketed"
    )
