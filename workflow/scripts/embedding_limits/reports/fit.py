"""Cubic fits of critical n against d, and their extrapolation, honestly.

The fit has the paper's form, n(d) = c0 + c1 d + c2 d^2 + c3 d^3, with
c1, c2, c3 >= 0: it cannot turn down where the data cannot say so (a free
cubic through d = 4..8 falls to -43 million at d = 512). Extrapolation is
made only when the fitted d span enough range; an uncertainty band comes
from resampling the dimensions, and the seeds within each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import lsq_linear

from .. import paper
from .critical_n import is_capped, measured

EXTRAPOLATE_D = (512, 768, 1024, 3072, 4096)
MIN_POINTS = 5  # dimensions needed before extrapolating
MIN_SPAN = 3.0  # and d_max / d_min at least this
BAND = (5, 95)  # percentiles of the bootstrap band


def design(d) -> np.ndarray:
    d = np.asarray(d, float)
    return np.stack([np.ones_like(d), d, d**2, d**3], axis=1)


def cubic_fit(d, n) -> tuple[np.ndarray, float]:
    """(c0, c1, c2, c3) with c1..c3 >= 0, least squares, and r^2."""
    d, n = np.asarray(d, float), np.asarray(n, float)
    if len(d) < 4:
        raise ValueError(f"a cubic fit needs 4 or more dimensions, got {len(d)}")
    scale = np.array([1.0, d.max(), d.max() ** 2, d.max() ** 3])  # conditioning
    fit = lsq_linear(design(d) / scale, n, bounds=([-np.inf, 0, 0, 0], np.inf))
    coefficients = fit.x / scale
    total = np.sum((n - n.mean()) ** 2)
    residual = np.sum((n - evaluate(coefficients, d)) ** 2)
    return coefficients, float(1.0 - residual / total) if total > 0 else float("nan")


def evaluate(coefficients, d) -> np.ndarray:
    return design(np.atleast_1d(d)) @ np.asarray(coefficients, float)


def extrapolation_refused(d) -> str | None:
    """Why the dimensions ``d`` cannot carry an extrapolation, or None."""
    d = sorted(set(int(x) for x in d))
    if len(d) < MIN_POINTS:
        return f"no extrapolation: {len(d)} dimensions, {MIN_POINTS} needed"
    if d[-1] / d[0] < MIN_SPAN:
        return (f"no extrapolation: d spans {d[0]}-{d[-1]} (max/min "
                f"{d[-1] / d[0]:.1f}), at least {MIN_SPAN:g} needed")  # fmt: skip
    return None


def bootstrap(per_seed: dict[int, list[float]], dims, at, replicates=400, seed=0):
    """Percentile band of the fit at ``at``: resample the fitted dimensions
    ``dims``, and for each drawn dimension one of its seeds' critical n."""
    rng = np.random.default_rng(seed)
    dims = sorted(int(d) for d in dims)
    predictions = []
    for _ in range(replicates):
        chosen = rng.choice(dims, len(dims))
        if len(set(chosen)) < 4:
            continue
        n = [rng.choice(per_seed[d]) for d in chosen]
        predictions.append(evaluate(cubic_fit(chosen, n)[0], at))
    if not predictions:
        return None
    return np.percentile(np.array(predictions), BAND, axis=0)


def fit_table(critical: pd.DataFrame, per_seed: dict) -> pd.DataFrame:
    """Our fit per (protocol, k) on the measured median critical n, beside the
    paper's. Capped rows are lower bounds: left out, and listed in ``capped_d``
    and the note. Under 4 measured dimensions the row says so, with no fit.

    ``per_seed`` maps (protocol, k) to {d: [each seed's critical n]}.
    """
    rows = []
    for (protocol, k), every in critical.groupby(["protocol", "k"]):
        group = measured(every)
        d, n = group["d"].to_numpy(), group["median_critical_n"].to_numpy(float)
        source = f"ours ({protocol})"
        if len(group) < 4:
            note = f"no fit: {len(d)} measured dimensions, 4 needed"
            span = f"{d.min()}-{d.max()}" if len(d) else ""
            row = {"source": source, "protocol": protocol, "k": k,
                   "points": len(d), "d_range": span, "note": note}  # fmt: skip
        else:
            coefficients, r2 = cubic_fit(d, n)
            refused = extrapolation_refused(d)
            row = _row(source, protocol, k, d, coefficients, r2, refused)
            band = (
                None if refused else bootstrap(per_seed[protocol, k], d, EXTRAPOLATE_D)
            )
            for i, at in enumerate(EXTRAPOLATE_D):
                low, high = (np.nan, np.nan) if band is None else band[:, i]
                row.update({f"n_at_d{at}_low": low, f"n_at_d{at}_high": high})
        capped_d = sorted(int(x) for x in every.loc[is_capped(every), "d"])
        row["capped_d"] = " ".join(map(str, capped_d))
        if capped_d:
            excluded = "capped (lower bounds, not fitted): d = " + ", ".join(
                map(str, capped_d)
            )
            row["note"] = "; ".join(filter(None, [row["note"], excluded]))
        rows.append(row)
    rows.append(
        _row("paper_fit", "published", 2, range(4, 46), paper.CUBIC, None, None)
    )
    rows.append({"source": "paper_reported", "protocol": "published", "k": 2,
                 **{f"n_at_d{d}": n for d, n in paper.REPORTED.items()}})  # fmt: skip
    return pd.DataFrame(rows).astype({"points": "Int64"})


def _row(source, protocol, k, d, coefficients, r2, refused) -> dict:
    d = list(d)
    values = {at: float(evaluate(coefficients, at)[0]) for at in EXTRAPOLATE_D}
    return {
        "source": source, "protocol": protocol, "k": k, "points": len(d),
        "d_range": f"{min(d)}-{max(d)}",
        **{f"c{i}": float(c) for i, c in enumerate(coefficients)},
        "r2": r2, "note": refused or "",
        **{f"n_at_d{at}": np.nan if refused else v for at, v in values.items()},
    }  # fmt: skip
