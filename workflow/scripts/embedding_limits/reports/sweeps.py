"""A sweep's outcome over its grid: the table (pandas) and the figure of
each sweep, a heatmap of critical n per d, the base protocol's point marked."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .figure_style import plt, save
from .seeds import parse_seeds, seeds_label

COLUMNS = ("sweep", "base", "is_base", "protocol", "k", "d", "critical_n",
           "median_critical_n", "capped", "per_seed_critical_n")  # fmt: skip


def sweeps_table(critical: pd.DataFrame, points: list[dict]) -> pd.DataFrame:
    """One row per (sweep, combination, k, d): each swept key's value, the
    critical n any seed reached, each seed's and their median, and whether
    the search was capped (a lower bound), from critical_n_table's rows of
    each combination's protocol (``points``: plan's ``sweep_points``)."""
    found = critical.set_index(["protocol", "k", "d"])
    keys = list(dict.fromkeys(k for p in points for k in p["settings"]))
    rows = []
    for p in points:
        row = found.loc[(p["protocol"], p["k"], p["d"])]
        rows.append({
            "sweep": p["sweep"], **{k: p["settings"].get(k) for k in keys},
            "base": p["base"], "is_base": p["is_base"], "protocol": p["protocol"],
            "k": p["k"], "d": p["d"], "critical_n": row["critical_n"],
            "median_critical_n": row["median_critical_n"], "capped": row["capped"],
            "per_seed_critical_n": row["per_seed_critical_n"],
        })  # fmt: skip
    columns = ["sweep", *keys, *COLUMNS[1:]]
    return pd.DataFrame(rows, columns=columns).astype({"critical_n": "Int64"})


def _grid_keys(table: pd.DataFrame) -> list[str]:
    """The swept keys of one sweep's rows, in the grid's order."""
    fixed = set(COLUMNS)
    return [c for c in table.columns if c not in fixed and table[c].notna().any()]


def sweep_heatmaps(sweeps, sweep, paths, dpi=150) -> plt.Figure:
    """One sweep's figure: per d (a panel), critical n over its grid (any
    seed's with one seed; with several, their median, the value their spread
    is measured against), the first swept key across, the second down (a
    single row for one key); a sweep of more keys gets a panel per
    combination of the others (small multiples). The base protocol's point
    is outlined, a capped search's value marked ``≥``."""
    rows = sweeps[sweeps["sweep"] == sweep]
    if rows.empty:
        raise ValueError(f"sweeps table: no rows of sweep {sweep!r}")
    keys, seeds = _grid_keys(rows), _seeds_of(rows)
    value = "median_critical_n" if len(seeds) > 1 else "critical_n"
    x, y, rest = keys[0], (keys[1] if len(keys) > 1 else None), keys[2:]
    panels = list(rows.groupby(["d", *rest], sort=True) if rest else rows.groupby("d"))
    columns = min(len(panels), 5)
    lines = math.ceil(len(panels) / columns)
    fig, axes = plt.subplots(lines, columns, figsize=(3.6 * columns, 3.2 * lines),
                             squeeze=False)  # fmt: skip
    for ax in axes.ravel()[len(panels) :]:
        ax.axis("off")
    for ax, (at, part) in zip(axes.ravel(), panels, strict=False):
        _heatmap(ax, part, x, y, value)
        at = at if isinstance(at, tuple) else (at,)
        others = zip(rest, at[1:], strict=True)
        ax.set_title(", ".join([f"d = {at[0]}", *(f"{k} = {v}" for k, v in others)]),
                     fontsize=9)  # fmt: skip
    shown = "median over seeds" if len(seeds) > 1 else "any seed"
    fig.suptitle(f"{sweep}: critical n over the grid of {rows['base'].iloc[0]} "
                 f"({seeds_label(seeds)}; {shown}; outlined: the base "
                 "protocol; ≥: capped)", fontsize=10)  # fmt: skip
    fig.tight_layout()
    save(fig, paths, dpi)
    return fig


def _seeds_of(rows: pd.DataFrame) -> list[int]:
    """The seeds the rows' searches ran."""
    return sorted({seed for column in rows["per_seed_critical_n"].dropna()
                   for seed in parse_seeds(column)})  # fmt: skip


def _heatmap(ax, part: pd.DataFrame, x: str, y: str | None, value: str) -> None:
    xs = sorted(part[x].unique(), key=_order)
    ys = sorted(part[y].unique(), key=_order) if y else [None]
    values = np.full((len(ys), len(xs)), np.nan)
    for _, row in part.iterrows():
        i, j = ys.index(row[y] if y else None), xs.index(row[x])
        values[i, j] = np.nan if pd.isna(row[value]) else row[value]
        text = "-" if pd.isna(row[value]) else f"{row[value]:g}"
        ax.text(j, i, ("≥" if row["capped"] else "") + text, ha="center",
                va="center", fontsize=8)  # fmt: skip
        if row["is_base"]:
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2.5,
                                       edgecolor="black"))  # fmt: skip
    ax.imshow(values, cmap="viridis", origin="lower", aspect="auto", alpha=0.8)
    ax.set_xticks(range(len(xs)), [str(v) for v in xs], fontsize=8)
    ax.set_xlabel(x)
    if y:
        ax.set_yticks(range(len(ys)), [str(v) for v in ys], fontsize=8)
        ax.set_ylabel(y)
    else:
        ax.set_yticks([])


def _order(value):
    """Numbers by value, anything else after them by its text."""
    return (
        (0, float(value), "") if isinstance(value, (int, float)) else (1, 0, str(value))
    )
