"""Tables and fits from result documents."""

import math

import numpy as np
import pandas as pd
import pytest

from free_embedding.fit import PAPER_REPORTED, cubic_fit, evaluate, fit_table
from free_embedding.search import PAPER_CUBIC
from free_embedding.tables import critical_n_table, runs_table

PAPER = pd.DataFrame({"d": [4, 5], "critical_n": [10, 14]})


def doc(d, n, solved_by_seed):
    seeds = [
        {"seed": s, "num_queries": math.comb(n, 2), "solved": ok,
         "max_accuracy": 1.0 if ok else 0.9, "final_accuracy": 1.0 if ok else 0.8,
         "steps_run": 100, "stop_reason": "solved" if ok else "early_stopped"}
        for s, ok in solved_by_seed.items()
    ]  # fmt: skip
    return {
        "parameters": {"k": 2, "d": d, "n": n},
        "metrics": {"seeds": seeds},
        "timing": {"total_seconds": 2.0},
    }


def test_runs_table_has_a_row_per_seed():
    runs = runs_table([doc(4, 9, {0: True, 1: True}), doc(4, 8, {0: True, 1: False})])
    assert list(runs[["n", "seed"]].itertuples(index=False, name=None)) == [
        (8, 0), (8, 1), (9, 0), (9, 1)
    ]  # fmt: skip
    assert runs["num_queries"].tolist() == [28, 28, 36, 36]


def test_critical_n_counts_any_seed_and_compares_with_the_paper():
    docs = [doc(4, n, {0: n <= 11, 1: n <= 9}) for n in range(8, 14)]
    docs += [doc(5, n, {0: n in (12, 14), 1: n == 12}) for n in range(12, 16)]
    table = critical_n_table(runs_table(docs), PAPER).set_index("d")
    assert table.loc[4, "critical_n"] == 11 and table.loc[4, "first_failed_n"] == 12
    assert table.loc[4, "per_seed_critical_n"] == "0:11 1:9"
    assert table.loc[4, "delta_vs_paper"] == 1 and bool(table.loc[4, "monotone"])
    assert table.loc[5, "critical_n"] == 12 and not table.loc[5, "monotone"]
    assert table.loc[5, "delta_vs_paper"] == -2


def test_cubic_fit_recovers_the_paper_cubic():
    d = np.arange(4, 46)
    coefficients, r2 = cubic_fit(d, evaluate(PAPER_CUBIC, d))
    np.testing.assert_allclose(coefficients, PAPER_CUBIC, atol=1e-8)
    assert r2 == pytest.approx(1.0)
    with pytest.raises(ValueError, match="4 or more"):
        cubic_fit([4, 5, 6], [10, 14, 19])


def test_fit_table_sets_ours_beside_the_paper():
    critical = pd.DataFrame({"k": 2, "d": [4, 5, 6, 7], "critical_n": [10, 14, 19, 24]})
    table = fit_table(critical).set_index("source")
    assert table.loc["ours", "points"] == 4 and table.loc["ours", "r2"] > 0.99
    assert table.loc["paper_reported", "n_at_d4096"] == PAPER_REPORTED[4096]
    assert table.loc["paper_fit", "n_at_d512"] == pytest.approx(
        evaluate(PAPER_CUBIC, 512)
    )
