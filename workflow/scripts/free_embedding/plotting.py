"""The workflow's figures (matplotlib, no display needed).

Each figure function saves its figure to every path given and returns it,
closed, so that tests can read what it drew. A capped search's value is a
lower bound: it is drawn as an open triangle pointing the way the true value
lies, never as a measurement, and no fit uses it.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator, ScalarFormatter  # noqa: E402

from .embedder_plots import embedders  # noqa: E402
from .fit import (  # noqa: E402
    EXTRAPOLATE_D,
    bootstrap,
    cubic_fit,
    evaluate,
    extrapolation_refused,
)
from .paper import CUBIC as PAPER_CUBIC  # noqa: E402
from .paper import REPORTED as PAPER_REPORTED  # noqa: E402
from .seeds import per_seed_values, range_ends  # noqa: E402
from .tables import is_capped, measured  # noqa: E402

STYLES = ["-", "--", ":", "-."]
MARKERS = ["o", "D", "P", "X", "h", "*"]  # no triangles: they mark lower bounds
CAPPED = "lower bound (search capped)"
UPPER = "upper bound (d - 1 not ruled out)"


def _seeds_label(runs: pd.DataFrame) -> str:
    seeds = sorted(runs["seed"].unique())
    return f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"


def _several_seeds(runs: pd.DataFrame) -> bool:
    """Whether a seed range (bar or band) means anything."""
    return runs["seed"].nunique() > 1


def _accuracy_label(runs: pd.DataFrame) -> str:
    if _several_seeds(runs):
        return "max top-k accuracy (best seed; band: seed range)"
    return "max top-k accuracy"


def _integer_ticks(*axes) -> None:
    """n and d are integers: no tick at 5.25."""
    for axis in axes:
        axis.set_major_locator(MaxNLocator(integer=True))


def _save(fig, paths: list[str], dpi: int) -> None:
    for path in paths:
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def _note(ax, text: str) -> None:
    ax.text(0.02, 0.98, text, transform=ax.transAxes, va="top", fontsize=8,
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "grey"})  # fmt: skip


def _mark_capped(ax, x, y, color, marker="^", label=CAPPED) -> None:
    """Lower bounds as open triangles (``^``: the value is at least y; ``>``:
    at least x), with one legend entry per label and axes."""
    seen = any(line.get_label() == label for line in ax.get_lines())
    ax.plot(x, y, ls="none", marker=marker, ms=10, mfc="none", mew=1.5, color=color,
            label="_nolegend_" if seen else label)  # fmt: skip


def _accuracy_band(ax, group, x: str, label: str, boundary, capped_at=None) -> None:
    """The best seed's max accuracy against ``x`` with the seeds' range as a
    band; the boundary dashed, or, for a capped search, the largest value it
    reached marked as a lower bound (``capped_at``)."""
    by_x = group.groupby(x)["max_accuracy"]
    best = by_x.max()
    (line,) = ax.plot(best.index, best, marker="o", ms=3, label=label)
    ax.fill_between(best.index, by_x.min(), best, color=line.get_color(), alpha=0.2)
    if capped_at is not None:
        _mark_capped(ax, [capped_at], [best[capped_at]], line.get_color(), ">")
    elif boundary is not None and pd.notna(boundary):
        ax.axvline(boundary, color=line.get_color(), ls="--", lw=1)


def _published(ax, followups, x: str, y: str) -> None:
    """The follow-up papers' published points, black open markers labelled
    as theirs, never as runs of this workflow."""
    papers = followups.groupby(["first_author", "citation", "method"], sort=False)
    for i, ((author, citation, method), points) in enumerate(papers):
        label = f"published by {author} et al. ({citation}): {method}"
        ax.plot(points[x], points[y], MARKERS[(i + 1) % len(MARKERS)], ms=9,
                mfc="none", mew=2, color="black", label=label)  # fmt: skip


def accuracy_vs_n(runs, critical, paths, dpi=150) -> plt.Figure:
    """Max top-k accuracy against n, a panel per protocol, a line per d."""
    protocols = sorted(runs["protocol"].unique())
    fig, axes = plt.subplots(1, len(protocols), figsize=(6 * len(protocols), 4.5),
                             sharey=True, squeeze=False)  # fmt: skip
    for ax, protocol in zip(axes[0], protocols, strict=True):
        mine = runs[runs["protocol"] == protocol]
        for (k, d), group in mine.groupby(["k", "d"]):
            row = critical[(critical["protocol"] == protocol) & (critical["k"] == k)
                           & (critical["d"] == d)]  # fmt: skip
            boundary = row["critical_n"].iloc[0] if len(row) else None
            capped = boundary if len(row) and is_capped(row).iloc[0] else None
            _accuracy_band(ax, group, "n", f"d={d}, k={k}", boundary, capped)
        ax.set_title(f"{protocol}: accuracy vs n ({_seeds_label(mine)})\n"
                     "dashed: critical n (any seed)", fontsize=10)  # fmt: skip
        ax.set_xlabel("documents n")
        _integer_ticks(ax.xaxis)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(_accuracy_label(runs))
    _save(fig, paths, dpi)
    return fig


def critical_n_vs_d(runs, critical, paper, paths, dpi=150) -> plt.Figure:
    """Per protocol: the median over seeds, its range and the any-seed value,
    beside Table 6, the paper's cubic and our non-negative one; a capped
    search's median as a lower bound, left out of the fit."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    found = critical.dropna(subset=["median_critical_n"])  # measured or capped
    d_low, d_high = (
        (critical["d"].min(), critical["d"].max()) if len(critical) else (4, 10)
    )
    shown = paper[(paper["d"] >= d_low - 1) & (paper["d"] <= d_high + 1)]
    ax.plot(shown["d"], shown["critical_n"], "s", color="grey", label="paper, Table 6")
    grid = np.linspace(min(d_low, shown["d"].min()) - 0.5, d_high + 1.5, 100)
    ax.plot(
        grid, evaluate(PAPER_CUBIC, grid), color="grey", ls=":", label="paper cubic fit"
    )
    several = _several_seeds(runs)
    for i, ((protocol, k), group) in enumerate(found.groupby(["protocol", "k"])):
        color, mine = f"C{i}", measured(group)
        bounds = group[is_capped(group)]
        if len(bounds):
            _mark_capped(ax, bounds["d"], bounds["median_critical_n"], color,
                         label=f"{protocol}, k={k}: {CAPPED}")  # fmt: skip
        if not len(mine):
            continue
        median = mine["median_critical_n"].to_numpy(float)
        ax.plot(mine["d"], median, MARKERS[i % len(MARKERS)], color=color,
                label=f"{protocol}, k={k}: median over seeds")  # fmt: skip
        if several:
            low, high = zip(*map(range_ends, mine["seed_range"]), strict=True)
            ax.vlines(mine["d"], low, high, color=color, lw=3, alpha=0.4)
        ax.plot(mine["d"] + 0.12, mine["critical_n"].astype(float), "x", color=color,
                ms=5, label=f"{protocol}: any seed")  # fmt: skip
        if len(mine) >= 4:
            coefficients, r2 = cubic_fit(mine["d"], median)
            ax.plot(grid, evaluate(coefficients, grid), color=color, lw=1,
                    label=f"{protocol}: fit, c1..c3 >= 0 (r²={r2:.3f})")  # fmt: skip
    if found.empty:
        solved = runs["solved"].any()
        _note(ax, "no d solved its smallest n tested" if solved
              else "no d solved any n tested")  # fmt: skip
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("critical n (largest n solved)")
    _integer_ticks(ax.xaxis, ax.yaxis)
    bars = "; bars: seed range" if several else ""
    ax.set_title(f"Critical n vs d ({_seeds_label(runs)}{bars})")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    _save(fig, paths, dpi)
    return fig


def extrapolation(critical, paths, dpi=150) -> plt.Figure:
    """The paper's fit to d = 4096 and ours where the measured dimensions
    allow it, with a bootstrap band over each row's seeds; otherwise the
    reason there is none. A capped search's value is drawn as a lower bound
    and not fitted."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    per_seed = per_seed_values(critical)
    grid = np.geomspace(4, 4096, 200)
    ax.plot(
        grid, evaluate(PAPER_CUBIC, grid), color="grey", ls=":", label="paper cubic fit"
    )
    ax.plot(list(PAPER_REPORTED), list(PAPER_REPORTED.values()), "s", color="grey",
            label="paper's extrapolations")  # fmt: skip
    notes = []
    found = critical.dropna(subset=["median_critical_n"])
    for i, ((protocol, k), group) in enumerate(found.groupby(["protocol", "k"])):
        color, mine = f"C{i}", measured(group)
        bounds = group[is_capped(group)]
        if len(bounds):
            _mark_capped(ax, bounds["d"], bounds["median_critical_n"], color)
        d, n = mine["d"].to_numpy(), mine["median_critical_n"].to_numpy(float)
        if len(d):
            ax.plot(d, n, "o", color=color, label=f"ours ({protocol}, k={k})")
        refused = (
            extrapolation_refused(d)
            if len(d) >= 4
            else "no fit: under 4 measured dimensions"
        )
        if refused:
            notes.append(f"{protocol}: {refused}")
            continue
        coefficients, _ = cubic_fit(d, n)
        ax.plot(grid, evaluate(coefficients, grid), color=color,
                label=f"our fit on d={d.min()}-{d.max()}")  # fmt: skip
        band = bootstrap(per_seed[protocol, k], d, grid)
        if band is not None:
            ax.fill_between(grid, np.maximum(band[0], 1), band[1],
                            color=color, alpha=0.2)  # fmt: skip
    if notes:
        _note(ax, "\n".join(notes))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("critical n")
    ax.set_title(
        f"Extrapolated critical n (fits with c1..c3 >= 0; to d={EXTRAPOLATE_D[-1]})"
    )
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, which="both")
    _save(fig, paths, dpi)
    return fig


def _colors(*tables) -> dict[str, str]:
    """One colour per protocol, the same in every table it appears in."""
    names = sorted({p for t in tables if t is not None for p in t["protocol"]})
    return {name: f"C{i}" for i, name in enumerate(names)}


def _table6_and_protocols(ax, paper, critical, label: str, colors: dict):
    """Table 6 as a grey line and each protocol's median critical n (k = 2),
    a capped search's as a lower bound; returns the rows plotted."""
    ax.plot(paper["d"], paper["critical_n"], color="grey", lw=2, label="paper, Table 6")
    found = critical.dropna(subset=["median_critical_n"])
    found = found[found["k"] == 2]
    for i, (protocol, group) in enumerate(found.groupby("protocol")):
        color, capped = colors[protocol], is_capped(group)
        # the line breaks at a bound: it never draws through one as a value
        values = group["median_critical_n"].mask(capped)
        ax.plot(group["d"], values, marker="o", ls=STYLES[i % 4], color=color,
                label=label.format(protocol))  # fmt: skip
        bounds = group[capped]
        if len(bounds):
            _mark_capped(ax, bounds["d"], bounds["median_critical_n"], color)
    _integer_ticks(ax.xaxis)
    return found


def _smallest_d_inverted(ax, d_of_n, colors: dict) -> pd.DataFrame:
    """The smallest-d searches turned round (k = 2): each determined
    (smallest d, n) a point of its protocol's colour, joined by a dotted
    line; returns the rows drawn."""
    if d_of_n is None:
        return pd.DataFrame(columns=["d", "n"])
    found = d_of_n[(d_of_n["k"] == 2) & d_of_n["bracketed"].astype(bool)]
    found = found[~is_capped(found)] if len(found) else found
    for protocol, group in found.groupby("protocol"):
        group = group.sort_values("n")
        ax.plot(group["smallest_d"].astype(float), group["n"], marker="s", ms=6,
                mfc="none", ls=":", color=colors[protocol],
                label=f"ours: {protocol}, smallest d for each n")  # fmt: skip
    return found.assign(d=found["smallest_d"].astype(float))


def protocols_vs_d(critical, paper, followups, paths, dpi=150, d_of_n=None):
    """Critical n per protocol against d, with Table 6 as the reference, the
    smallest-d searches turned round (both directions of one question), and
    the follow-up papers' published points as markers."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    colors = _colors(critical, d_of_n)
    ours = _table6_and_protocols(ax, paper, critical, "ours: {} (median over seeds)",
                                 colors)  # fmt: skip
    inverted = _smallest_d_inverted(ax, d_of_n, colors)
    _published(ax, followups, "d", "n")
    d_max = max(ours["d"].max() if len(ours) else 10, followups["d"].max(),
                inverted["d"].max() if len(inverted) else 0) + 2  # fmt: skip
    ax.set_xlim(3, d_max)
    ax.set_yscale("log")
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("critical n (k=2), log scale")
    ax.set_title("How much of the limit is the optimiser? Critical n per protocol")
    ax.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    ax.grid(alpha=0.3, which="both")
    _save(fig, paths, dpi)
    return fig


def accuracy_vs_d(runs, critical, paths, dpi=150) -> plt.Figure:
    """Max top-k accuracy against d, a line per (protocol, dataset)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (protocol, name), group in runs.groupby(["protocol", "dataset"]):
        row = critical[
            (critical["dataset"] == name) & (critical["protocol"] == protocol)
        ]
        capped = group["d"].max() if len(row) and is_capped(row).iloc[0] else None
        boundary = row["critical_d"].iloc[0] if len(row) else None
        _accuracy_band(ax, group, "d", f"{name} ({protocol})", boundary, capped)
    ax.set_xlabel("embedding dimension d")
    _integer_ticks(ax.xaxis)
    ax.set_ylabel(_accuracy_label(runs))
    ax.set_title(f"Free embeddings on dataset qrels ({_seeds_label(runs)})\n"
                 "dashed: critical d (smallest d solved)")  # fmt: skip
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    _save(fig, paths, dpi)
    return fig


def limits_vs_d(critical, paper, witnesses, followups, paths, dpi=150, d_of_n=None):
    """Critical n against d on a log scale: Table 6, each protocol's critical
    n (and its smallest d for each n, turned round), the follow-ups'
    published points, and the n each float precision lets an exact witness
    hold (at d = 2k; an upward triangle: still holding at the cap)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    colors = _colors(critical, d_of_n)
    ours = _table6_and_protocols(ax, paper, critical, "optimised: {}", colors)
    inverted = _smallest_d_inverted(ax, d_of_n, colors)
    _published(ax, followups, "d", "n")
    ours = pd.concat([ours[["d"]], inverted[["d"]], followups[["d"]]])
    shapes = {"float64": "D", "float32": "s", "float16": "v", "bfloat16": "P"}
    for (construction, precision), rows in witnesses[witnesses["k"] == 2].groupby(
        ["construction", "precision"]
    ):
        offset = 0.15 if construction == "trig_moment" else -0.15
        for _, row in rows.iterrows():
            marker = "^" if row["capped"] else shapes.get(precision, "o")
            ax.plot(row["d"] + offset, row["max_n"], marker, ms=8, mfc="none", mew=1.5,
                    color="C3" if construction == "moment" else "C4",
                    label=f"witness {construction}, {precision}"
                    + (" (cap)" if row["capped"] else ""))  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlim(2.5, max(12, ours["d"].max() + 1 if len(ours) else 12))
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("documents n with every top-2 subset represented")
    ax.set_title("Geometry, precision or optimiser? (k=2)")
    ax.legend(fontsize=6.5, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    ax.grid(alpha=0.3, which="both")
    _save(fig, paths, dpi)
    return fig


def critical_d_of_n(critical, followups, paths, dpi=150) -> plt.Figure:
    """The smallest d that solves every k-subset of n documents against n
    (log scale), a line per (protocol, k) through the values the tested d
    determine (any seed). A value whose d - 1 was never ruled out is an upper
    bound (open downward triangle); a search that solved no d, a lower bound
    just above its largest failed d (open upward triangle): the line breaks
    at both. The follow-ups' published points (k = 2) in black."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, ((protocol, k), group) in enumerate(critical.groupby(["protocol", "k"])):
        color, group = f"C{i}", group.sort_values("n")
        capped, exact = is_capped(group), group["bracketed"].astype(bool)
        ax.plot(group["n"], group["smallest_d"].where(exact).astype(float),
                marker=MARKERS[i % len(MARKERS)], ls=STYLES[i % 4], color=color,
                label=f"ours: {protocol}, k={k} (any seed)")  # fmt: skip
        upper = group[~exact & ~capped]
        if len(upper):
            _mark_capped(ax, upper["n"], upper["smallest_d"].astype(float), color,
                         "v", UPPER)  # fmt: skip
        bounds = group[capped]
        if len(bounds):
            low = bounds["window"].str.split("-").str[0].astype(float)
            above = bounds["largest_failed_d"].astype(float).fillna(low - 1) + 1
            _mark_capped(ax, bounds["n"], above, color)
    _published(ax, followups, "n", "d")
    if critical.empty:
        _note(ax, "no search of the smallest d ran")
    ax.set_xscale("log", base=2)  # the follow-ups double n
    ax.xaxis.set_major_formatter(ScalarFormatter())
    _integer_ticks(ax.yaxis)
    ax.set_xlabel("documents n (log scale)")
    ax.set_ylabel("smallest d that solves every top-k subset")
    ax.set_title("Smallest d for each n (any seed)")
    # below the axes: the follow-ups' points fill the plot
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    ax.grid(alpha=0.3, which="both")
    _save(fig, paths, dpi)
    return fig


# Every figure by its file's name: figures.smk has a rule for each, whose
# inputs are the function's table arguments by name.
FIGURES = {
    figure.__name__: figure
    for figure in (accuracy_vs_n, critical_n_vs_d, extrapolation, protocols_vs_d,
                   accuracy_vs_d, limits_vs_d, critical_d_of_n, embedders)
}  # fmt: skip
