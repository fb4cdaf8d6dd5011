"""The figures of one search direction (matplotlib, no display needed):
accuracy and critical n against n and d, and the extrapolation.
limit_figures.py's put the limits side by side, embedder_figure.py's the
embedding models; figure_style.py holds what they share, figures.py names
them all.

Each figure function saves its figure to every path given and returns it,
closed, so that tests can read what it drew. A capped search's value is a
lower bound: it is drawn as an open triangle pointing the way the true value
lies, never as a measurement, and no fit uses it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..paper import CUBIC as PAPER_CUBIC
from ..paper import REPORTED as PAPER_REPORTED
from .critical_n import is_capped, measured
from .figure_style import (
    CAPPED,
    MARKERS,
    integer_ticks,
    mark_capped,
    note,
    plt,
    save,
)
from .fit import (
    EXTRAPOLATE_D,
    bootstrap,
    cubic_fit,
    evaluate,
    extrapolation_refused,
)
from .seeds import per_seed_values, range_ends, seeds_label


def _seeds_label(runs: pd.DataFrame) -> str:
    return seeds_label(runs["seed"].unique())


def _several_seeds(runs: pd.DataFrame) -> bool:
    """Whether a seed range (bar or band) means anything."""
    return runs["seed"].nunique() > 1


def _accuracy_label(runs: pd.DataFrame) -> str:
    if _several_seeds(runs):
        return "max top-k accuracy (best seed; band: seed range)"
    return "max top-k accuracy"


def _accuracy_band(ax, group, x: str, label: str, boundary, capped_at=None) -> None:
    """The best seed's max accuracy against ``x`` with the seeds' range as a
    band; the boundary dashed, or, for a capped search, the largest value it
    reached marked as a lower bound (``capped_at``)."""
    by_x = group.groupby(x)["max_accuracy"]
    best = by_x.max()
    (line,) = ax.plot(best.index, best, marker="o", ms=3, label=label)
    ax.fill_between(best.index, by_x.min(), best, color=line.get_color(), alpha=0.2)
    if capped_at is not None:
        mark_capped(ax, [capped_at], [best[capped_at]], line.get_color(), ">")
    elif boundary is not None and pd.notna(boundary):
        ax.axvline(boundary, color=line.get_color(), ls="--", lw=1)


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
        integer_ticks(ax.xaxis)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(_accuracy_label(runs))
    save(fig, paths, dpi)
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
            mark_capped(ax, bounds["d"], bounds["median_critical_n"], color,
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
        note(ax, "no d solved its smallest n tested" if solved
              else "no d solved any n tested")  # fmt: skip
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("critical n (largest n solved)")
    integer_ticks(ax.xaxis, ax.yaxis)
    bars = "; bars: seed range" if several else ""
    ax.set_title(f"Critical n vs d ({_seeds_label(runs)}{bars})")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    save(fig, paths, dpi)
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
            mark_capped(ax, bounds["d"], bounds["median_critical_n"], color)
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
        note(ax, "\n".join(notes))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("critical n")
    ax.set_title(
        f"Extrapolated critical n (fits with c1..c3 >= 0; to d={EXTRAPOLATE_D[-1]})"
    )
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, which="both")
    save(fig, paths, dpi)
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
    integer_ticks(ax.xaxis)
    ax.set_ylabel(_accuracy_label(runs))
    ax.set_title(f"Free embeddings on dataset qrels ({_seeds_label(runs)})\n"
                 "dashed: critical d (smallest d solved)")  # fmt: skip
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save(fig, paths, dpi)
    return fig
