"""The figures, read back from the matplotlib objects the plotting functions
return: what each series holds, its marker and its legend label."""

import math
import os

import pandas as pd
import pytest

from conftest import ROOT
from embedding_limits.reports import (
    figure_style,
    figures,
    limit_figures,
    search_figures,
)
from embedding_limits.reports.critical_d import (
    critical_d_of_n_table,
    critical_d_table,
    dimension_runs_table,
)
from embedding_limits.reports.critical_n import critical_n_table, runs_table
from helpers import d_of_n_search
from helpers import run_document as doc

RESOURCES = os.path.join(ROOT, "resources")
PAPER = pd.read_csv(os.path.join(RESOURCES, "paper_table6.csv"), comment="#")
FOLLOWUPS = pd.read_csv(os.path.join(RESOURCES, "followup_points.csv"), comment="#")
CAPPED = "lower bound (search capped)"


def tables(tmp_path, docs):
    """runs.csv and critical_n.csv as the workflow writes and the figures
    rule reads them back."""
    runs = runs_table(docs)
    runs.to_csv(tmp_path / "runs.csv", index=False)
    critical_n_table(runs, {}, PAPER).to_csv(tmp_path / "critical.csv", index=False)
    return pd.read_csv(tmp_path / "runs.csv"), pd.read_csv(tmp_path / "critical.csv")


@pytest.fixture
def capped_at_d5(tmp_path):
    """d = 4 and 6 measured (seeds 0, 1); d = 5 solved every n up to its cap, 12."""
    docs = [doc(4, n, {0: n <= 9, 1: n <= 10}) for n in range(7, 13)]
    docs += [doc(5, n, {0: True, 1: n <= 11}) for n in range(8, 13)]
    docs += [doc(6, n, {0: n <= 18, 1: n <= 19}) for n in range(16, 22)]
    return tables(tmp_path, docs)


def lines(fig):
    return [line for ax in fig.axes for line in ax.get_lines()]


def legend(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def capped_markers(fig, marker="^"):
    """(x, y) of every point drawn with the capped marker, and their labels."""
    found = [line for line in lines(fig) if line.get_marker() == marker
             and line.get_markerfacecolor() == "none"]  # fmt: skip
    points = {
        (float(x), float(y))
        for line in found
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
    }
    return points, [line.get_label() for line in found]


def test_critical_n_vs_d_shows_a_capped_search_as_a_lower_bound(capped_at_d5):
    runs, critical = capped_at_d5
    fig = search_figures.critical_n_vs_d(runs, critical, PAPER, [])
    points, labels = capped_markers(fig)
    # at the median over seeds: seed 1 fails n = 12 (11), seed 0 solves up to
    # the cap (12, a bound), so 11.5 is a lower bound of the median too
    assert points == {(5.0, 11.5)}
    assert any(CAPPED in label for label in labels)
    assert any(CAPPED in label for label in legend(fig.axes[0]))
    ours = [line for line in lines(fig) if "median over seeds" in line.get_label()]
    assert [list(map(float, line.get_xdata())) for line in ours] == [[4.0, 6.0]]
    fit = [line for line in lines(fig) if ": fit" in line.get_label()]
    assert fit == []  # two measured d: no fit, and the capped one is not a third


def test_protocols_and_limits_figures_mark_the_cap(capped_at_d5):
    _, critical = capped_at_d5
    for fig in (
        limit_figures.protocols_vs_d(critical, PAPER, FOLLOWUPS, []),
        limit_figures.limits_vs_d(
            critical, PAPER, pd.DataFrame(columns=WITNESS), FOLLOWUPS, []
        ),
    ):
        points, _ = capped_markers(fig)
        assert (5.0, 11.5) in points  # the median over seeds, a bound
        assert CAPPED in legend(fig.axes[0])
        ours = [line for line in lines(fig) if "published" in line.get_label()
                and line.get_marker() == "o"]  # fmt: skip
        assert len(ours) == 1  # its line breaks at d = 5: no value drawn there
        values = dict(zip(ours[0].get_xdata(), ours[0].get_ydata(), strict=True))
        assert values[4] == 9.5 and values[6] == 18.5 and math.isnan(values[5])


WITNESS = ["construction", "k", "d", "precision", "max_n", "capped"]


def test_extrapolation_fits_measured_rows_only(tmp_path):
    docs = []
    for d in range(4, 16, 2):  # every d measured at its paper value
        target = int(PAPER.set_index("d").loc[d, "critical_n"])
        docs += [doc(d, n, {0: n <= target}) for n in range(target - 1, target + 2)]
    docs += [doc(16, n, {0: True}) for n in range(10, 13)]  # capped far too low
    _, critical = tables(tmp_path, docs)
    fig = search_figures.extrapolation(critical, [])
    points, labels = capped_markers(fig)
    assert points == {(16.0, 12.0)} and labels == [CAPPED]
    ours = [line for line in lines(fig) if line.get_label().startswith("ours")]
    assert 16.0 not in [float(x) for x in ours[0].get_xdata()]
    assert any(
        line.get_label() == "our fit on d=4-14" for line in lines(fig)
    )  # six measured d, not seven


def test_accuracy_figures_mark_the_cap_on_their_x_axis(capped_at_d5, tmp_path):
    runs, critical = capped_at_d5
    fig = search_figures.accuracy_vs_n(runs, critical, [])
    points, labels = capped_markers(fig, ">")
    assert points == {(12.0, 1.0)} and CAPPED in legend(fig.axes[0])
    dashed = [line for line in lines(fig) if line.get_linestyle() == "--"]
    assert sorted(float(line.get_xdata()[0]) for line in dashed) == [10.0, 19.0]
    # critical d: dataset "a" solved from d = 3, "b" nothing up to its cap d = 4
    searches = []
    for name, found in (("a", 3), ("b", None)):
        summary = {"protocol": "published", "critical_d": found,
                   "spec": {"name": name, "source": "generated: dense", "documents": 6,
                            "queries": 15, "k": 2}}  # fmt: skip
        docs = [{"parameters": {"d": d}, "metrics": {"seeds": [
            {"seed": 0, "solved": found is not None and d >= found,
             "max_accuracy": 0.5 + d / 10}]}} for d in (2, 3, 4)]  # fmt: skip
        searches.append((summary, docs))
    table = critical_d_table(searches)
    table.to_csv(tmp_path / "critical_d.csv", index=False)
    fig = search_figures.accuracy_vs_d(
        dimension_runs_table(searches), pd.read_csv(tmp_path / "critical_d.csv"), []
    )
    points, _ = capped_markers(fig, ">")
    assert points == {(4.0, 0.9)} and CAPPED in legend(fig.axes[0])
    dashed = [line for line in lines(fig) if line.get_linestyle() == "--"]
    assert [float(line.get_xdata()[0]) for line in dashed] == [3.0]


def test_seed_range_is_named_only_with_several_seeds(tmp_path):
    one = tables(tmp_path, [doc(4, n, {0: n <= 9}) for n in range(8, 11)])
    two = tables(tmp_path, [doc(4, n, {0: n <= 9, 1: n <= 8}) for n in range(8, 11)])
    for (runs, critical), named in ((one, False), (two, True)):
        fig = search_figures.critical_n_vs_d(runs, critical, PAPER, [])
        assert ("seed range" in fig.axes[0].get_title()) is named
        fig = search_figures.accuracy_vs_n(runs, critical, [])
        assert ("seed range" in fig.axes[0].get_ylabel()) is named


def test_n_and_d_axes_have_integer_ticks(tmp_path):
    # n = 5..6 at one d: matplotlib's default ticks are 5.0, 5.25, 5.5, ...
    runs, critical = tables(tmp_path, [doc(4, n, {0: n <= 5}) for n in (5, 6)])
    axes = [
        (search_figures.accuracy_vs_n(runs, critical, []), "x"),
        (search_figures.critical_n_vs_d(runs, critical, PAPER, []), "x"),
        (search_figures.critical_n_vs_d(runs, critical, PAPER, []), "y"),
        (limit_figures.protocols_vs_d(critical, PAPER, FOLLOWUPS, []), "x"),
    ]
    for fig, axis in axes:
        ax = fig.axes[0]
        low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
        ticks = ax.get_xticks() if axis == "x" else ax.get_yticks()
        shown = [t for t in ticks if low <= t <= high]
        assert shown and all(float(t).is_integer() for t in shown), (axis, shown)


def test_published_points_are_labelled_as_published_not_ours(capped_at_d5):
    fig = limit_figures.protocols_vs_d(capped_at_d5[1], PAPER, FOLLOWUPS, [])
    labels = legend(fig.axes[0])
    assert any(
        label.startswith("published by Bangachev et al. (arXiv:2605.23556)")
        for label in labels
    )
    assert any(
        label.startswith("published by Wang et al. (arXiv:2601.20844)")
        for label in labels
    )


def three_smallest_d(tmp_path) -> pd.DataFrame:
    """critical_d_of_n.csv, written and read back: n = 10 determined at 6,
    n = 12 at most 7 (6 never ruled out), n = 20 nothing solved up to 13."""
    table = critical_d_of_n_table([
        d_of_n_search(10, {0: 6}, [4, 6, 5], (1, 8)),
        d_of_n_search(12, {0: 7}, [7], (7, 7)),
        d_of_n_search(20, {0: 99}, [9, 11, 12, 13], (6, 13), after=10),
    ])  # fmt: skip
    table.to_csv(tmp_path / "critical_d_of_n.csv", index=False)
    return pd.read_csv(tmp_path / "critical_d_of_n.csv")


def test_the_smallest_d_of_n_draws_only_determined_values_on_its_line(tmp_path):
    """n = 10: 6, bracketed; n = 12: at most 7 (6 never ruled out); n = 20:
    nothing solved up to 13, a lower bound at 14; the follow-ups in black."""
    critical = three_smallest_d(tmp_path)
    fig = limit_figures.critical_d_of_n(critical, FOLLOWUPS, [])
    ours = [line for line in lines(fig) if line.get_label().startswith("ours")]
    assert [line.get_label() for line in ours] == ["ours: published, k=2 (any seed)"]
    values = dict(zip(ours[0].get_xdata(), ours[0].get_ydata(), strict=True))
    assert values[10] == 6 and math.isnan(values[12]) and math.isnan(values[20])
    assert capped_markers(fig, "v") == ({(12.0, 7.0)}, [figure_style.UPPER])
    assert capped_markers(fig, "^") == ({(20.0, 14.0)}, [CAPPED])
    labels = legend(fig.axes[0])
    published = [label for label in labels if label.startswith("published by ")]
    methods = FOLLOWUPS.groupby(["first_author", "citation", "method"]).ngroups
    assert len(published) == methods
    black = [line for line in lines(fig) if line.get_color() == "black"]
    drawn = {
        (float(x), float(y))
        for line in black
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
    }
    published = zip(FOLLOWUPS["n"], FOLLOWUPS["d"], strict=True)
    assert drawn == {(float(n), float(d)) for n, d in published}
    assert fig.axes[0].get_xscale() == "log"


def test_no_solved_d_is_said_in_the_axes(tmp_path):
    runs, critical = tables(tmp_path, [doc(4, n, {0: False}) for n in (5, 6)])
    fig = search_figures.critical_n_vs_d(runs, critical, PAPER, [])
    texts = [text.get_text() for text in fig.axes[0].texts]
    assert "no d solved any n tested" in texts


def test_every_figure_is_one_entry_drawn_by_the_one_figure_rule():
    """One place for figures: figures.smk is one rule, whose job for
    results/figures/<name>.png calls FIGURES[name] with its tables by
    argument; each entry's tables are its function's arguments (an optional
    one defaults to None), and figure.rst holds one caption for each."""
    import glob
    import inspect
    import re

    from embedding_limits.store import paths

    rules = os.path.join(ROOT, "workflow", "rules")
    text = open(os.path.join(rules, "figures.smk")).read()
    assert re.findall(r"^rule (\w+):", text, re.M) == ["figure"]
    captions = open(os.path.join(ROOT, "workflow", "report", "figure.rst")).read()
    blocks = re.findall(r'entry == "(\w+)" %}\n(.+)\n', captions)
    assert [name for name, _ in blocks] == list(figures.FIGURES)
    assert all(len(caption) > 80 for _, caption in blocks)
    made = {v for v in vars(paths).values() if isinstance(v, str)}
    for name, figure in figures.FIGURES.items():
        signature = inspect.signature(figure.draw).parameters
        arguments = set(signature) - {"paths", "dpi", figure.each}
        assert arguments == set(figure.tables) | set(figure.resources), name
        for optional in figure.optional:
            assert optional in figure.tables and signature[optional].default is None
        assert set(figure.tables.values()) <= made, name  # paths.py's tables
        for file in figure.resources.values():
            assert os.path.exists(os.path.join(ROOT, "resources", file))
    for path in glob.glob(os.path.join(rules, "*.smk")):
        if not path.endswith("figures.smk"):
            assert "paths.FIGURE" not in open(path).read(), path


def test_the_list_of_figures_imports_no_plotting_library():
    """The Snakefile reads FIGURES at every parse (each run, dry run and
    cluster job): matplotlib, pandas and scipy load only when a figure draws."""
    import subprocess
    import sys

    from conftest import SCRIPTS

    heavy = "{'matplotlib', 'pandas', 'scipy'}"
    code = ("import sys; from embedding_limits.reports import figures; "
            f"print(sorted({heavy} & set(sys.modules)))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=SCRIPTS,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_a_figure_of_no_entry_is_named_with_the_list():
    with pytest.raises(ValueError, match="no figure of reports/figures.py"):
        figures.named("nosuch")
    assert figures.named("embedders").draw is figures.FIGURES["embedders"].draw


def test_a_figure_drawn_for_each_sweep_is_named_after_it():
    """sweep~NAME is the sweep figure, drawn with sweep=NAME; the entry
    alone, or a thing after a figure of its own, is no figure."""
    from embedding_limits.store import paths

    assert figures.named("sweep~tau-lr") is figures.FIGURES["sweep"]
    assert figures.arguments("sweep~tau-lr") == {"sweep": "tau-lr"}
    assert figures.arguments("embedders") == {}
    for wrong in ("sweep", "embedders~x"):
        with pytest.raises(ValueError, match="sweep~NAME"):
            figures.named(wrong)
    assert paths.figure("sweep", of="tau-lr") == "results/figures/sweep~tau-lr.png"
    assert paths.parse(paths.FIGURE, "results/figures/sweep~a~b.png") is None


def test_both_directions_meet_in_the_limit_figures(tmp_path, capped_at_d5):
    """The smallest-d table turned round: each determined (smallest d, n) a
    point of its protocol's colour, the same as its critical-n line's; an
    undetermined one (n = 12) and a capped one (n = 20) are not drawn."""
    d_of_n = three_smallest_d(tmp_path)
    _, critical = capped_at_d5
    for fig in (
        limit_figures.protocols_vs_d(critical, PAPER, FOLLOWUPS, [], d_of_n=d_of_n),
        limit_figures.limits_vs_d(
            critical, PAPER, pd.DataFrame(columns=WITNESS), FOLLOWUPS, [], d_of_n=d_of_n
        ),
    ):
        turned = [
            line
            for line in lines(fig)
            if line.get_label() == "ours: published, smallest d for each n"
        ]
        assert len(turned) == 1
        points = zip(turned[0].get_xdata(), turned[0].get_ydata(), strict=True)
        assert list(points) == [(6.0, 10)]
        same = [line for line in lines(fig) if line.get_label().startswith("ours")
                or line.get_label().startswith("optimised")]  # fmt: skip
        assert {line.get_color() for line in same} == {turned[0].get_color()}
        labels = legend(fig.axes[0])
        assert any(label.startswith("published by Wang") for label in labels)
