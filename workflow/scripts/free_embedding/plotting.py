"""The workflow's figures (matplotlib, no display needed)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .fit import PAPER_REPORTED, cubic_fit, evaluate  # noqa: E402
from .search import PAPER_CUBIC  # noqa: E402
from .tables import per_seed_critical_n  # noqa: E402


def _seeds_label(runs: pd.DataFrame) -> str:
    seeds = sorted(runs["seed"].unique())
    return f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"


def _save(fig, paths: list[str], dpi: int) -> None:
    for path in paths:
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def accuracy_vs_n(runs, critical, paths, dpi=150) -> None:
    """Max top-k accuracy against n, a line per d, seeds as a band."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (k, d), group in runs.groupby(["k", "d"]):
        by_n = group.groupby("n")["max_accuracy"]
        n = by_n.max().index
        (line,) = ax.plot(n, by_n.max(), marker="o", ms=3, label=f"d={d}, k={k}")
        ax.fill_between(n, by_n.min(), by_n.max(), color=line.get_color(), alpha=0.2)
        row = critical[(critical["k"] == k) & (critical["d"] == d)]
        if len(row) and pd.notna(row["critical_n"].iloc[0]):
            ax.axvline(row["critical_n"].iloc[0], color=line.get_color(), ls="--", lw=1)
    ax.set_xlabel("documents n")
    ax.set_ylabel("max top-k accuracy (best seed; band: seed range)")
    ks = ", ".join(map(str, sorted(runs["k"].unique())))
    ax.set_title(f"Free embeddings: accuracy vs n (k={ks}; {_seeds_label(runs)})\n"
                 "dashed: critical n")  # fmt: skip
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    _save(fig, paths, dpi)


def _per_seed_range(runs: pd.DataFrame, k: int, d: int) -> tuple[float, float]:
    per_seed = per_seed_critical_n(runs[(runs["k"] == k) & (runs["d"] == d)])
    values = [v for v in per_seed.values() if v is not None] or [np.nan]
    return min(values), max(values)


def critical_n_vs_d(runs, critical, paper, paths, dpi=150) -> None:
    """Our critical n (per-seed spread) beside Table 6 and both cubic fits."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ours = critical[(critical["k"] == 2)].dropna(subset=["critical_n"])
    d_low, d_high = (ours["d"].min(), ours["d"].max()) if len(ours) else (4, 10)
    shown = paper[(paper["d"] >= d_low - 1) & (paper["d"] <= d_high + 1)]
    ax.plot(shown["d"], shown["critical_n"], "s", color="grey", label="paper, Table 6")
    grid = np.linspace(min(d_low, shown["d"].min()) - 0.5, d_high + 1.5, 100)
    ax.plot(
        grid, evaluate(PAPER_CUBIC, grid), color="grey", ls=":", label="paper cubic fit"
    )
    for k, group in critical.dropna(subset=["critical_n"]).groupby("k"):
        spread = np.array([_per_seed_range(runs, k, d) for d in group["d"]])
        centre = group["critical_n"].to_numpy(float)
        (points,) = ax.plot(group["d"], centre, "o", label=f"ours, k={k} (any seed)")
        ax.vlines(
            group["d"] + 0.08, spread[:, 0], spread[:, 1], color=points.get_color(),
            lw=3, alpha=0.5, label=f"ours, k={k}: per-seed range",
        )  # fmt: skip
        if len(group) >= 4:
            coefficients, r2 = cubic_fit(group["d"], centre)
            fitted = f"d={group['d'].min()}-{group['d'].max()}"
            ax.plot(grid, evaluate(coefficients, grid),
                    label=f"our cubic fit on {fitted} (r²={r2:.3f})")  # fmt: skip
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("critical n (largest n solved)")
    ks = ", ".join(map(str, sorted(runs["k"].unique())))
    ax.set_title(f"Critical n vs d (k={ks}; {_seeds_label(runs)})")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    _save(fig, paths, dpi)


def extrapolation(critical, paths, dpi=150) -> None:
    """Both cubic fits up to d=4096 on log axes, with the paper's numbers."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    grid = np.geomspace(4, 4096, 200)
    ax.plot(
        grid, evaluate(PAPER_CUBIC, grid), color="grey", ls=":", label="paper cubic fit"
    )
    ax.plot(list(PAPER_REPORTED), list(PAPER_REPORTED.values()), "s", color="grey",
            label="paper's extrapolations")  # fmt: skip
    for k, group in critical.dropna(subset=["critical_n"]).groupby("k"):
        ax.plot(group["d"], group["critical_n"], "o", label=f"ours, k={k}")
        if len(group) >= 4:
            coefficients, _ = cubic_fit(group["d"], group["critical_n"])
            values = evaluate(coefficients, grid)
            fitted = f"d={group['d'].min()}-{group['d'].max()}"
            ax.plot(grid[values > 0], values[values > 0],
                    label=f"our cubic fit on {fitted}, k={k}")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("critical n")
    ax.set_title("Extrapolated critical n (cubic fits)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    _save(fig, paths, dpi)


def accuracy_vs_d(runs, critical, paths, dpi=150) -> None:
    """Max top-k accuracy against d, a line per dataset, seeds as a band."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, group in runs.groupby("dataset"):
        by_d = group.groupby("d")["max_accuracy"]
        d = by_d.max().index
        (line,) = ax.plot(d, by_d.max(), marker="o", ms=3, label=name)
        ax.fill_between(d, by_d.min(), by_d.max(), color=line.get_color(), alpha=0.2)
        row = critical[critical["dataset"] == name]
        if len(row) and pd.notna(row["critical_d"].iloc[0]):
            ax.axvline(row["critical_d"].iloc[0], color=line.get_color(), ls="--", lw=1)
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("max top-k accuracy (best seed; band: seed range)")
    ax.set_title(f"Free embeddings on dataset qrels ({_seeds_label(runs)})\n"
                 "dashed: critical d (smallest d solved)")  # fmt: skip
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    _save(fig, paths, dpi)
