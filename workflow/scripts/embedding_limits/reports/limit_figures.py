"""The figures that put the limits side by side: Table 6 and each protocol's
critical n against d, the smallest-d searches turned round, the exact
witnesses, and the follow-ups' published points (``protocols_vs_d``,
``limits_vs_d``), and the smallest d against n (``critical_d_of_n``)."""

from __future__ import annotations

import pandas as pd
from matplotlib.ticker import ScalarFormatter

from .critical_n import is_capped
from .figure_style import (
    MARKERS,
    STYLES,
    UPPER,
    integer_ticks,
    mark_capped,
    note,
    plt,
    published,
    save,
)


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
            mark_capped(ax, bounds["d"], bounds["median_critical_n"], color)
    integer_ticks(ax.xaxis)
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
    published(ax, followups, "d", "n")
    d_max = max(ours["d"].max() if len(ours) else 10, followups["d"].max(),
                inverted["d"].max() if len(inverted) else 0) + 2  # fmt: skip
    ax.set_xlim(3, d_max)
    ax.set_yscale("log")
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("critical n (k=2), log scale")
    ax.set_title("How much of the limit is the optimiser? Critical n per protocol")
    ax.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    ax.grid(alpha=0.3, which="both")
    save(fig, paths, dpi)
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
    published(ax, followups, "d", "n")
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
    save(fig, paths, dpi)
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
            mark_capped(ax, upper["n"], upper["smallest_d"].astype(float), color,
                         "v", UPPER)  # fmt: skip
        bounds = group[capped]
        if len(bounds):
            low = bounds["window"].str.split("-").str[0].astype(float)
            above = bounds["largest_failed_d"].astype(float).fillna(low - 1) + 1
            mark_capped(ax, bounds["n"], above, color)
    published(ax, followups, "n", "d")
    if critical.empty:
        note(ax, "no search of the smallest d ran")
    ax.set_xscale("log", base=2)  # the follow-ups double n
    ax.xaxis.set_major_formatter(ScalarFormatter())
    integer_ticks(ax.yaxis)
    ax.set_xlabel("documents n (log scale)")
    ax.set_ylabel("smallest d that solves every top-k subset")
    ax.set_title("Smallest d for each n (any seed)")
    # below the axes: the follow-ups' points fill the plot
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    ax.grid(alpha=0.3, which="both")
    save(fig, paths, dpi)
    return fig
