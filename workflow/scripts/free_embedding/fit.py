"""Cubic fits of critical n against d, and their extrapolation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .search import PAPER_CUBIC

EXTRAPOLATE_D = (512, 768, 1024, 3072, 4096)
# The paper's own extrapolations of its fit (Section 4 of arXiv:2508.21038).
PAPER_REPORTED = {512: 500_000, 768: 1_700_000, 1024: 4_000_000,
                  3072: 107_000_000, 4096: 250_000_000}  # fmt: skip


def cubic_fit(d, n) -> tuple[np.ndarray, float]:
    """Coefficients (c0, c1, c2, c3) of n(d) and r^2; needs 4 or more points."""
    d, n = np.asarray(d, float), np.asarray(n, float)
    if len(d) < 4:
        raise ValueError(f"a cubic fit needs 4 or more dimensions, got {len(d)}")
    coefficients = np.polynomial.polynomial.polyfit(d, n, 3)
    predicted = np.polynomial.polynomial.polyval(d, coefficients)
    total = np.sum((n - n.mean()) ** 2)
    r2 = 1.0 - np.sum((n - predicted) ** 2) / total if total > 0 else float("nan")
    return coefficients, float(r2)


def evaluate(coefficients, d) -> np.ndarray:
    return np.polynomial.polynomial.polyval(np.asarray(d, float), coefficients)


def fit_table(critical: pd.DataFrame) -> pd.DataFrame:
    """Ours (per k, when 4+ dimensions have a critical n) beside the paper's."""
    rows = []
    for k, group in critical.dropna(subset=["critical_n"]).groupby("k"):
        if len(group) < 4:
            continue
        coefficients, r2 = cubic_fit(group["d"], group["critical_n"])
        rows.append(_row("ours", k, len(group), coefficients, r2))
    rows.append(_row("paper_fit", 2, 42, np.array(PAPER_CUBIC), None))
    rows.append({"source": "paper_reported", "k": 2,
                 **{f"n_at_d{d}": n for d, n in PAPER_REPORTED.items()}})  # fmt: skip
    return pd.DataFrame(rows).astype({"points": "Int64"})


def _row(source, k, points, coefficients, r2) -> dict:
    return {
        "source": source, "k": k, "points": points,
        **{f"c{i}": float(c) for i, c in enumerate(coefficients)},
        "r2": r2,
        **{f"n_at_d{d}": float(evaluate(coefficients, d)) for d in EXTRAPOLATE_D},
    }  # fmt: skip
