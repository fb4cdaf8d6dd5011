"""Tables and fits from result documents, on synthetic outcomes."""

import numpy as np
import pandas as pd
import pytest

from embedding_limits.config.sections import start_n
from embedding_limits.paper import CUBIC as PAPER_CUBIC
from embedding_limits.paper import REPORTED as PAPER_REPORTED
from embedding_limits.reports.critical_d import critical_d_of_n_table, critical_d_table
from embedding_limits.reports.critical_n import critical_n_table, runs_table
from embedding_limits.reports.fit import (
    EXTRAPOLATE_D,
    cubic_fit,
    evaluate,
    extrapolation_refused,
    fit_table,
)
from embedding_limits.reports.seeds import per_seed_values
from embedding_limits.search.searches import Search, replay, warm_chain
from embedding_limits.search.strategies import Bisect, Gallop
from helpers import d_of_n_search
from helpers import run_document as doc

PAPER = pd.DataFrame({"d": [4, 5], "critical_n": [10, 14]})


def critical_rows(d, n, capped=()):
    return pd.DataFrame({"protocol": "published", "k": 2, "d": d,
                         "median_critical_n": n,
                         "capped": [x in capped for x in d]})  # fmt: skip


def test_runs_table_has_a_row_per_seed_and_protocol():
    docs = [doc(4, 9, {0: True, 1: True}), doc(4, 8, {0: True, 1: False}),
            doc(4, 8, {0: True}, protocol="sigmoid")]  # fmt: skip
    runs = runs_table(docs)
    assert list(runs[["protocol", "n", "seed"]].itertuples(index=False, name=None)) == [
        ("published", 8, 0), ("published", 8, 1), ("published", 9, 0),
        ("published", 9, 1), ("sigmoid", 8, 0),
    ]  # fmt: skip
    assert runs["num_queries"].tolist() == [28, 28, 36, 36, 28]


def test_critical_n_strict_search_and_median_over_seeds():
    # d=4: seeds reach 11, 9 and 10; the any-seed value rises with more seeds,
    # the median is the one comparable with the single-seed Table 6.
    docs = [doc(4, n, {0: n <= 11, 1: n <= 9, 2: n <= 10}) for n in range(8, 14)]
    # d=5: not monotone; the published search reported 14, the strict value 12
    docs += [
        doc(5, n, {0: n in (12, 14), 1: n == 12, 2: n == 12}) for n in range(12, 16)
    ]
    searched = {("published", 2, 4): 11, ("published", 2, 5): 14}
    table = critical_n_table(runs_table(docs), searched, PAPER).set_index("d")
    four, five = table.loc[4], table.loc[5]
    assert (four["critical_n"], four["critical_n_search"]) == (11, 11)
    assert four["median_critical_n"] == 10.0 and four["seed_range"] == "9-11"
    assert four["per_seed_critical_n"] == "0:11 1:9 2:10"
    assert four["delta_vs_paper"] == 0.0 and four["delta_any_seed_vs_paper"] == 1
    assert bool(four["monotone"]) and four["first_failed_n"] == 12
    assert four["margin_at_critical_n"] == pytest.approx(-0.1)  # best seed at n=11
    assert (five["critical_n"], five["critical_n_search"]) == (12, 14)
    assert not bool(five["monotone"]) and five["delta_vs_paper"] == -2.0


def test_the_fit_cannot_turn_down_and_recovers_the_paper_cubic():
    d = np.arange(4, 46)
    coefficients, r2 = cubic_fit(d, evaluate(PAPER_CUBIC, d))
    np.testing.assert_allclose(coefficients, PAPER_CUBIC, rtol=1e-5, atol=1e-5)
    assert r2 == pytest.approx(1.0)
    # The default run (d = 4..8): a free cubic through these falls to -43
    # million at d=512; ours keeps c1..c3 >= 0 and rises.
    d, n = [4, 5, 6, 7, 8], [9, 14, 19, 26, 29]
    free = np.polynomial.polynomial.polyfit(d, n, 3)
    assert np.polynomial.polynomial.polyval(512, free) < -1e7
    ours, _ = cubic_fit(d, n)
    assert (ours[1:] >= 0).all() and (
        np.diff(evaluate(ours, range(4, 4097))) >= 0
    ).all()
    with pytest.raises(ValueError, match="4 or more"):
        cubic_fit([4, 5, 6], [10, 14, 19])


def test_no_extrapolation_from_the_default_runs_dimensions():
    critical = critical_rows([4, 5, 6, 7, 8], [9.0, 14, 19, 26, 29])
    per_seed = {
        ("published", 2): {
            d: [n] for d, n in zip(critical.d, critical.median_critical_n, strict=True)
        }
    }
    table = fit_table(critical, per_seed).set_index("source")
    ours = table.loc["ours (published)"]
    assert ours["points"] == 5 and ours["r2"] > 0.95
    assert "no extrapolation: d spans 4-8" in ours["note"]
    assert all(np.isnan(ours[f"n_at_d{at}"]) for at in EXTRAPOLATE_D)
    assert table.loc["paper_reported", "n_at_d4096"] == PAPER_REPORTED[4096]
    assert table.loc["paper_fit", "n_at_d512"] == pytest.approx(
        evaluate(PAPER_CUBIC, 512)[0]
    )
    assert extrapolation_refused([4, 5, 6, 7]).startswith(
        "no extrapolation: 4 dimensions"
    )


def test_a_wide_span_extrapolates_with_a_band():
    d = np.arange(4, 31, 2)
    rng = np.random.default_rng(0)
    per_seed = {int(x): list(evaluate(PAPER_CUBIC, x) + rng.normal(0, 2, 3)) for x in d}
    critical = critical_rows(d, [np.median(per_seed[x]) for x in d])
    ours = (
        fit_table(critical, {("published", 2): per_seed})
        .set_index("source")
        .loc["ours (published)"]
    )
    assert ours["note"] == ""
    for at in EXTRAPOLATE_D:
        assert (
            ours[f"n_at_d{at}_low"] <= ours[f"n_at_d{at}"] <= ours[f"n_at_d{at}_high"]
        )
        assert ours[f"n_at_d{at}_low"] > 0


def test_per_seed_values_feed_the_band():
    docs = [doc(4, n, {0: n <= 11, 1: n <= 9}) for n in range(8, 14)]
    critical = critical_n_table(runs_table(docs), {}, PAPER)
    assert per_seed_values(critical) == {("published", 2): {4: [11, 9]}}


def test_a_capped_search_is_a_lower_bound_not_a_measurement():
    # Issue 20: dims [8], search {start: 12, max_n: 10} reported critical_n 17
    # (n ran to 17), delta -11, as a measurement. Now the search stops at the
    # cap: every n up to 10 solved, none failed, so 10 is only a lower bound.
    paper = pd.DataFrame({"d": [4, 8], "critical_n": [10, 28]})
    docs = [doc(8, n, {0: True, 1: n <= 9}) for n in range(6, 11)]
    docs += [doc(4, n, {0: n <= 9, 1: n <= 10}) for n in range(8, 13)]
    table = critical_n_table(runs_table(docs), {("published", 2, 8): 10}, paper)
    eight, four = table.set_index("d").loc[8], table.set_index("d").loc[4]
    assert eight["critical_n"] == 10 and bool(eight["capped"])
    assert pd.isna(eight["first_failed_n"]) and eight["paper_critical_n"] == 28
    assert pd.isna(eight["delta_vs_paper"]) and pd.isna(
        eight["delta_any_seed_vs_paper"]
    )
    assert not bool(four["capped"]) and four["first_failed_n"] == 11
    assert four["delta_vs_paper"] == -0.5 and four["delta_any_seed_vs_paper"] == 0
    assert list(table.columns[:5]) == ["protocol", "k", "d", "critical_n", "capped"]
    # a failure above the critical n, even with a larger n solved, is no cap
    docs = [doc(5, n, {0: n in (12, 14)}) for n in range(12, 15)]
    assert not critical_n_table(runs_table(docs), {}, paper)["capped"].any()


def dimension_search(critical_d, solved_from):
    summary = {"protocol": "published", "critical_d": critical_d,
               "spec": {"name": "x", "source": "generated: dense", "documents": 46,
                        "queries": 1000, "k": 2}}  # fmt: skip
    docs = [
        {"parameters": {"d": d}, "metrics": {"seeds": [
            {"seed": 0, "solved": d >= solved_from}]}}
        for d in (2, 3, 4)
    ]  # fmt: skip
    return summary, docs


def test_a_dimension_search_that_solved_nothing_up_to_max_d_is_capped():
    table = critical_d_table([dimension_search(3, 3), dimension_search(None, 99)])
    assert table["critical_d"].tolist()[0] == 3 and pd.isna(table["critical_d"][1])
    assert table["capped"].tolist() == [False, True]
    assert list(table.columns[6:8]) == ["critical_d", "capped"]


def test_the_fit_leaves_capped_rows_out_and_says_so():
    d = list(np.arange(4, 31, 2)) + [32]
    rng = np.random.default_rng(0)
    per_seed = {int(x): list(evaluate(PAPER_CUBIC, x) + rng.normal(0, 2, 3)) for x in d}
    per_seed[32] = [40.0]  # a capped search's bound, far below the curve
    n = [float(np.median(per_seed[x])) for x in d]
    table = fit_table(critical_rows(d, n, capped={32}), {("published", 2): per_seed})
    ours = table.set_index("source").loc["ours (published)"]
    assert ours["points"] == 14 and ours["d_range"] == "4-30"
    assert ours["capped_d"] == "32"
    assert "capped (lower bounds, not fitted): d = 32" in ours["note"]
    # the same fit, band included, as without the capped row at all
    alone = fit_table(critical_rows(d[:-1], n[:-1]), {("published", 2): per_seed})
    alone = alone.set_index("source").loc["ours (published)"]
    for column in ("c0", "c3", "n_at_d4096", "n_at_d4096_low", "n_at_d4096_high"):
        assert ours[column] == alone[column], column


def test_too_few_measured_dimensions_still_get_a_row_that_says_why():
    critical = critical_rows([4, 5, 6, 7, 8], [9.0, 14, 19, 26, 50], capped={7, 8})
    table = fit_table(critical, {("published", 2): {}}).set_index("source")
    ours = table.loc["ours (published)"]
    assert ours["points"] == 3 and np.isnan(ours["c3"]) and np.isnan(ours["n_at_d512"])
    assert ours["note"] == (
        "no fit: 3 measured dimensions, 4 needed; "
        "capped (lower bounds, not fitted): d = 7, 8"
    )


def test_the_smallest_d_of_each_n_is_bracketed_by_its_own_or_the_previous_failures():
    """A warm chain n = 10, 20, 40 (seeds 0, 1, 2), given in any order."""
    chain = [
        # [1, 8]: 4 and 5 fail, 6 solves (seeds 0 and 2); seed 1 solves none
        d_of_n_search(10, {0: 6, 1: 7, 2: 6}, [4, 6, 5], (1, 8)),
        # [6, 13] from 10's 6: 9, 7, 6 solve; 5 failed at n = 10, so fails here
        d_of_n_search(20, {0: 6, 1: 9, 2: 7}, [9, 7, 6], (6, 13), after=10),
        # [6, 13]: nothing solves, up to the window's end
        d_of_n_search(40, {0: 99, 1: 99, 2: 99}, [9, 11, 12, 13], (6, 13), after=20),
    ]
    found = critical_d_of_n_table(chain[::-1])
    assert list(found.columns[:7]) == [
        "protocol", "k", "n", "queries", "smallest_d", "capped", "bracketed"
    ]  # fmt: skip
    table = found.set_index("n")
    assert (
        list(table.index) == [10, 20, 40] and (table["queries"] == [45, 190, 780]).all()
    )
    ten, twenty, forty = table.loc[10], table.loc[20], table.loc[40]
    assert (ten["smallest_d"], ten["largest_failed_d"], ten["bracketed"]) == (
        6,
        5,
        True,
    )
    assert ten["per_seed_smallest_d"] == "0:6 1:>6 2:6"
    assert ten["median_smallest_d"] == 6.0 and pd.isna(ten["after_n"])
    assert ten["tested_d"] == "4 5 6" and ten["window"] == "1-8"
    # d = 5 was never run at n = 20: it failed at n = 10, the smaller problem
    assert (twenty["smallest_d"], twenty["largest_failed_d"]) == (6, 5)
    assert twenty["bracketed"] and twenty["after_n"] == 10
    # seed 1 solved 9, failed 7: its smallest d is 8 or 9
    assert twenty["per_seed_smallest_d"] == "0:6 1:<=9 2:7"
    assert twenty["median_smallest_d"] == 7.0
    assert pd.isna(forty["smallest_d"]) and forty["capped"]
    assert forty["capped_by"] == "window" and forty["largest_failed_d"] == 13
    assert forty["per_seed_smallest_d"] == "0:>13 1:>13 2:>13"
    assert pd.isna(forty["median_smallest_d"]) and not forty["bracketed"]


def test_a_value_at_its_windows_start_is_only_an_upper_bound():
    """Without a warm start nothing below the window was run: d = 3 solved
    at the window's start 3 says at most 3, unless d is 1."""
    table = critical_d_of_n_table([
        d_of_n_search(10, {0: 2}, [4, 3], (3, 6)),
        d_of_n_search(12, {0: 1}, [2, 1], (1, 4)),
    ]).set_index("n")  # fmt: skip
    assert table.loc[10, "smallest_d"] == 3 and not table.loc[10, "bracketed"]
    assert table.loc[10, "per_seed_smallest_d"] == "0:<=3"
    assert pd.isna(table.loc[10, "largest_failed_d"])
    assert table.loc[12, "smallest_d"] == 1 and table.loc[12, "bracketed"]


def test_a_capped_smallest_d_search_says_what_stopped_it():
    table = critical_d_of_n_table([
        d_of_n_search(10, {0: 99}, [2, 3, 4], (1, 4), limit=4),
        d_of_n_search(20, {0: 99}, [4, 6, 7], (4, 7), memory=True, after=10),
        # a warm start past max_d: nothing run, the failures carried over
        d_of_n_search(30, {0: 99}, [], (5, 4), limit=4, after=10),
    ]).set_index("n")  # fmt: skip
    assert table["capped"].all() and table["smallest_d"].isna().all()
    assert table["capped_by"].tolist() == ["max_d", "memory", "max_d"]
    assert table.loc[30, "tested_d"] == "" and table.loc[30, "largest_failed_d"] == 4
    assert table.loc[30, "per_seed_smallest_d"] == "0:>4"


# -- each seed's own critical value, from its bracket ---------------------------
def searched(search, outcome, lowest=None):
    """A search replayed on synthetic per-seed outcomes: its summary and the
    result documents of the jobs it ran, as the aggregation reads them."""
    done = replay(lambda known: search.plan(known, lowest), outcome)
    n_of = (lambda x: x) if search.axis == "n" else (lambda x: search.documents)
    d_of = (lambda x: search.d) if search.axis == "n" else (lambda x: x)
    docs = [doc(d_of(x), n_of(x), outcome(x)) for x in search.values(done)]
    return search.summary(done), docs


def n_table(truths, d=12, start=None):
    """critical_n.csv's rows of searches where seed s solves n <= truth[s]."""
    docs, found, seeds = [], {}, {}
    for d, truth in truths.items():
        search = Search(protocol="published", axis="n", k=2, d=d, seeds=len(truth),
                        strategy=Gallop(start or start_n(d, 2, "auto")))  # fmt: skip
        outcome = lambda n, t=truth: {s: b is not None and n <= b  # noqa: E731
                                      for s, b in t.items()}  # fmt: skip
        summary, mine = searched(search, outcome)
        docs += mine
        found["published", 2, d] = summary["critical_n"]
        seeds["published", 2, d] = summary["seeds"]
    paper = pd.DataFrame({"d": [12], "critical_n": [52]})
    return critical_n_table(runs_table(docs), found, paper, seeds).set_index("d")


def test_the_median_is_over_every_seed_each_from_its_own_bracket():
    """Issue 22 item 7 at d = 12: seed 0 fails every n the any-seed search
    tested (48 and up). Its own critical n, 44, is measured below them, and
    the median is over all five seeds: 50, not the 50.5 of the other four."""
    row = n_table({12: {0: 44, 1: 52, 2: 50, 3: 51, 4: 49}}).loc[12]
    assert row["per_seed_critical_n"] == "0:44 1:52 2:50 3:51 4:49"
    assert row["median_critical_n"] == 50.0 and row["seed_range"] == "44-52"
    assert row["critical_n"] == 52 and row["critical_n_search"] == 52
    assert row["delta_vs_paper"] == -2.0 and row["delta_any_seed_vs_paper"] == 0
    tested = [int(n) for n in row["tested_n"].split("-")]
    assert tested[0] <= 44  # the runs reach below the sweep (48..57)


def test_a_seed_below_the_floor_is_reported_and_counted_below_all():
    table = n_table({5: {0: None, 1: 14, 2: 13}, 6: {0: None, 1: 19}}, start=10)
    five, six = table.loc[5], table.loc[6]
    assert five["per_seed_critical_n"] == "0:<3 1:14 2:13"
    assert five["median_critical_n"] == 13.0 and five["seed_range"] == "<3-14"
    # half the seeds have no critical n: the median is empty, and says why
    assert six["per_seed_critical_n"] == "0:<3 1:19"
    assert pd.isna(six["median_critical_n"]) and six["seed_range"] == "<3-19"
    assert per_seed_values(table.reset_index()) == {
        ("published", 2): {5: [2, 14, 13], 6: [2, 19]}
    }  # fmt: skip


def test_a_grids_seeds_take_their_values_over_the_grid():
    docs = [doc(4, n, {0: n <= 9, 1: False, 2: True}) for n in (8, 9, 10)]
    row = critical_n_table(runs_table(docs), {}, PAPER).iloc[0]
    assert row["per_seed_critical_n"] == "0:9 1:<8 2:>=10"
    assert row["median_critical_n"] == 9.0 and bool(row["capped"])


def d_search(truth, strategy, n=46, dataset=None, limit=40):
    search = Search(protocol="published", axis="d", k=2, documents=n, dataset=dataset,
                    strategy=strategy, limit=limit, seeds=len(truth))  # fmt: skip
    return search, lambda d: {s: b is not None and d >= b for s, b in truth.items()}


def test_the_critical_d_of_each_seed_comes_from_its_bracket():
    """Seed 1 needs d = 20, far above the any-seed 12; seed 2 solves no d up
    to max_d: each is reported, and the median counts seed 2 above all."""
    search, outcome = d_search({0: 12, 1: 20, 2: None}, Gallop(8, (-2, 3)), dataset="x")
    summary, docs = searched(search, outcome)
    summary["spec"] = {"name": "x", "source": "generated: dense", "documents": 46,
                       "queries": 1000, "k": 2}  # fmt: skip
    row = critical_d_table([(summary, docs)]).iloc[0]
    assert row["critical_d"] == 12 and not row["capped"]
    assert row["per_seed_critical_d"] == "0:12 1:20 2:>40"
    assert row["median_critical_d"] == 20.0


def test_the_smallest_d_of_each_seed_and_n_comes_from_its_bracket():
    """A warm chain n = 10, 20 (window 8): at n = 10 seed 1 needs 11, past
    the window [1, 8]; at n = 20 the window starts at 5, the any-seed value,
    so seed 0's 5 there is bracketed by its failure at n = 10."""
    first, firsts = d_search({0: 5, 1: 11, 2: 5}, Bisect(1, 8), n=10)
    second, seconds = d_search({0: 5, 1: 12, 2: 7}, Bisect(1, 8), n=20)
    first, second = warm_chain([first, second])
    summary10, docs10 = searched(first, firsts)
    summary20, docs20 = searched(second, seconds, lowest=5)
    table = critical_d_of_n_table([(summary10, docs10),
                                   (summary20, docs20)]).set_index("n")  # fmt: skip
    ten, twenty = table.loc[10], table.loc[20]
    assert ten["smallest_d"] == 5 and ten["per_seed_smallest_d"] == "0:5 1:11 2:5"
    assert ten["median_smallest_d"] == 5.0
    assert twenty["smallest_d"] == 5 and twenty["window"] == "5-12"
    assert twenty["per_seed_smallest_d"] == "0:5 1:12 2:7"
    assert twenty["median_smallest_d"] == 7.0
