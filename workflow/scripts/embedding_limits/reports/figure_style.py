"""What every figure shares: matplotlib without a display, the line and
marker styles, how a bound and the follow-ups' points are drawn, and how a
figure is saved (to every path given, then closed)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

STYLES = ["-", "--", ":", "-."]
MARKERS = ["o", "D", "P", "X", "h", "*"]  # no triangles: they mark lower bounds
CAPPED = "lower bound (search capped)"
UPPER = "upper bound (d - 1 not ruled out)"


def integer_ticks(*axes) -> None:
    """n and d are integers: no tick at 5.25."""
    for axis in axes:
        axis.set_major_locator(MaxNLocator(integer=True))


def save(fig, paths: list[str], dpi: int) -> None:
    for path in paths:
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def note(ax, text: str) -> None:
    ax.text(0.02, 0.98, text, transform=ax.transAxes, va="top", fontsize=8,
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "grey"})  # fmt: skip


def mark_capped(ax, x, y, color, marker="^", label=CAPPED) -> None:
    """Lower bounds as open triangles (``^``: the value is at least y; ``>``:
    at least x), with one legend entry per label and axes."""
    seen = any(line.get_label() == label for line in ax.get_lines())
    ax.plot(x, y, ls="none", marker=marker, ms=10, mfc="none", mew=1.5, color=color,
            label="_nolegend_" if seen else label)  # fmt: skip


def published(ax, followups, x: str, y: str) -> None:
    """The follow-up papers' published points, black open markers labelled
    as theirs, never as runs of this workflow."""
    papers = followups.groupby(["first_author", "citation", "method"], sort=False)
    for i, ((author, citation, method), points) in enumerate(papers):
        label = f"published by {author} et al. ({citation}): {method}"
        ax.plot(points[x], points[y], MARKERS[(i + 1) % len(MARKERS)], ms=9,
                mfc="none", mew=2, color="black", label=label)  # fmt: skip
