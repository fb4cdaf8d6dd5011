"""Each seed's critical n as critical_n.csv writes it, and read back.

A seed's own critical n comes from its own bracket (brackets.py, recorded in
its search's summary). The table writes it ``seed:entry``: ``n`` its bracket
(n solved, n + 1 not), ``<F`` no n solved down to the floor F (k + 1, or a
grid's smallest n), ``>=n`` every n solved up to the cap; the median and the
range are over every seed, and the fit's band and the figures read the same
column back.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

BELOW, AT_LEAST = "<", ">="


def seed_critical_n(entry: dict) -> str:
    """A seed's critical n, from its search summary entry (search/brackets.py)."""
    if entry["status"] == "below_floor":
        return f"{BELOW}{entry['boundary'][1]}"
    value = entry["critical_n"]
    return f"{AT_LEAST}{value}" if entry["status"] == "capped" else str(value)


def seed_value(text: str) -> float:
    """A seed's critical n as a number: a bound as its value, "<F" as below
    every n searched (-inf)."""
    return -math.inf if text.startswith(BELOW) else float(text.lstrip(AT_LEAST))


def seeds_label(seeds) -> str:
    """'seed 42' or 'seeds 0, 1, 2': a figure's words for the seeds it shows."""
    seeds = sorted(int(seed) for seed in seeds)
    return f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"


def parse_seeds(column: str) -> dict[int, str]:
    """per_seed_critical_n ("0:44 1:<3 2:>=40") -> {seed: entry}."""
    pairs = (item.split(":", 1) for item in str(column).split())
    return {int(seed): text for seed, text in pairs}


def seed_statistics(per_seed: dict[int, str]) -> tuple[float | None, str | None]:
    """(median, range "lowest-highest") of every seed's critical n. A seed
    below the floor counts as below every seed with a value (its range end
    is "<F"); the median is empty where it falls on such a seed."""
    if not per_seed:
        return None, None
    texts = list(per_seed.values())
    median = float(np.median([seed_value(text) for text in texts]))
    low, high = (f(texts, key=seed_value) for f in (min, max))
    return (median if math.isfinite(median) else None), f"{low}-{high}"


def bound_value(text: str) -> int:
    """A seed's critical n as a number to draw or resample: "<F" as F - 1,
    the largest it can be (k, which one query of all k documents always
    solves, when F is k + 1); ">=n" as n."""
    return int(text[1:]) - 1 if text.startswith(BELOW) else int(seed_value(text))


def range_ends(seed_range: str) -> tuple[int, int]:
    """seed_range ("44-52", "<3-52") as two numbers (bound_value)."""
    low, high = seed_range.split("-", 1)
    return bound_value(low), bound_value(high)


def per_seed_values(critical: pd.DataFrame) -> dict:
    """(protocol, k) -> {d: [each seed's critical n]}, from critical_n.csv
    (for the fit's band), each as :func:`bound_value`."""
    out: dict = {}
    for row in critical.itertuples():
        per_seed = parse_seeds(row.per_seed_critical_n).values()
        values = [bound_value(text) for text in per_seed]
        if values:
            out.setdefault((row.protocol, row.k), {})[row.d] = values
    return out
