"""A sweep's table and its figure: a heatmap per d over the grid, drawn for
one sweep of the table, the base protocol's cell outlined."""

import pandas as pd
import pytest

from embedding_limits.reports.sweeps import sweep_heatmaps, sweeps_table

POINTS = [
    {"sweep": sweep, "base": "published", "is_base": t == 0.1 and lr == 0.01,
     "settings": {"temperature": t, "learning_rate": lr},
     "protocol": f"{sweep}_{t}_{lr}", "k": 2, "d": d, "summary": "-"}
    for sweep in ("a", "b") for t in (0.05, 0.1) for lr in (0.003, 0.01)
    for d in (4, 5)
]  # fmt: skip


def critical_rows(per_seed="0:9 1:10 2:8"):
    return pd.DataFrame([
        {"protocol": p["protocol"], "k": 2, "d": p["d"],
         "critical_n": 10 * p["d"] + round(100 * p["settings"]["temperature"]),
         "median_critical_n": 9.5 if p["settings"]["learning_rate"] == 0.01 else 9.0,
         "capped": p["d"] == 5, "per_seed_critical_n": per_seed}
        for p in POINTS
    ])  # fmt: skip


def test_the_table_has_a_column_per_swept_key_and_a_row_per_point():
    table = sweeps_table(critical_rows(), POINTS)
    assert list(table.columns[:3]) == ["sweep", "temperature", "learning_rate"]
    assert len(table) == len(POINTS) and table["is_base"].sum() == 4
    assert list(table["critical_n"][:2]) == [45, 55]


def test_one_sweeps_figure_has_a_panel_per_d_and_outlines_its_base(tmp_path):
    """One seed: each cell is the any-seed critical n."""
    table = sweeps_table(critical_rows(per_seed="42:9"), POINTS)
    paths = [tmp_path / "sweep~a.png", tmp_path / "sweep~a.pdf"]
    fig = sweep_heatmaps(table, "a", paths)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["d = 4", "d = 5"]  # sweep b's rows are not drawn
    title = fig.get_suptitle()
    assert title.startswith("a: critical n over the grid of published (seed 42;")
    assert "any seed" in title
    four, five = (ax for ax in fig.axes if ax.get_title())
    assert {t.get_text() for t in four.texts} == {"45", "50"}
    assert {t.get_text() for t in five.texts} == {"≥55", "≥60"}  # capped
    assert len(four.patches) == 1  # the base's cell (0.1, 0.01), outlined
    assert all(p.stat().st_size > 5000 for p in paths)


def test_with_several_seeds_each_cell_is_their_median(tmp_path):
    table = sweeps_table(critical_rows(), POINTS)
    fig = sweep_heatmaps(table, "b", [tmp_path / "sweep~b.png"])
    assert "(seeds 0, 1, 2; median over seeds;" in fig.get_suptitle()
    four = next(ax for ax in fig.axes if ax.get_title() == "d = 4")
    assert sorted(t.get_text() for t in four.texts) == ["9", "9", "9.5", "9.5"]


def test_a_sweep_the_table_lacks_is_named():
    with pytest.raises(ValueError, match="no rows of sweep 'c'"):
        sweep_heatmaps(sweeps_table(critical_rows(), POINTS), "c", [])
