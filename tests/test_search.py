"""The critical-n search and its summary, on synthetic outcomes."""

import pytest

from free_embedding.search import (
    NeedProbe,
    SearchDone,
    critical_n,
    paper_cubic,
    plan_search,
    start_n,
)


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
    assert start_n(4, 2, "auto") == round(paper_cubic(4)) == 7  # Table 6: 10
    assert start_n(20, 2, "auto") == 120
    assert start_n(5, 2, 60) == 60 and start_n(1, 2, 1) == 3


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
