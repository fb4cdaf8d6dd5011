"""The critical-n tables (pandas), from the searches' result documents: the
runs, and the critical n of each (protocol, k, d) with each seed's own. The
searches over d have theirs in critical_d.py, the witnesses in
witness_table.py."""

from __future__ import annotations

import pandas as pd

from ..store.documents import load_search
from ..store.paths import CRITICAL_D_TABLE, CRITICAL_N_TABLE
from .seeds import AT_LEAST, BELOW, seed_critical_n, seed_statistics

RUN_COLUMNS = [
    "protocol", "k", "d", "n", "seed", "num_queries", "solved", "max_accuracy",
    "final_accuracy", "final_margin", "steps_run", "stop_reason", "seconds",
]  # fmt: skip


def critical_n(solved_by_n: dict[int, bool]) -> tuple[int | None, int | None, bool]:
    """(critical n, first failed n, monotone) over the tested n.

    The critical n is the largest tested n such that every tested n up to it
    was solved; None when the smallest tested n already failed. ``monotone``
    is False when some larger n was solved after a failure.
    """
    critical, first_failed = None, None
    for n in sorted(solved_by_n):
        if first_failed is not None:
            break
        if solved_by_n[n]:
            critical = n
        else:
            first_failed = n
    monotone = first_failed is None or not any(
        solved for n, solved in solved_by_n.items() if n > first_failed
    )
    return critical, first_failed, monotone


def runs_table(documents: list[dict]) -> pd.DataFrame:
    """One row per (protocol, k, d, n, seed)."""
    rows = []
    for doc in documents:
        p, seconds = doc["parameters"], doc["timing"]["total_seconds"]
        for m in doc["metrics"]["seeds"]:
            rows.append({"protocol": p["protocol"]["name"], "k": p["k"], "d": p["d"],
                         "n": p["n"], **m, "seconds": seconds})  # fmt: skip
    table = pd.DataFrame(rows, columns=RUN_COLUMNS)
    return table.sort_values(["protocol", "k", "d", "n", "seed"], ignore_index=True)


def grid_seed_critical_n(solved_by_n: dict[int, bool]) -> str:
    """A seed's critical n over a grid's n (no search: its strict value)."""
    value, failed, _ = critical_n(solved_by_n)
    if value is None:
        return f"{BELOW}{min(solved_by_n)}"
    return f"{AT_LEAST}{value}" if failed is None else str(value)


def critical_n_table(
    runs: pd.DataFrame, searched: dict, paper: pd.DataFrame, seeds: dict | None = None
) -> pd.DataFrame:
    """Per (protocol, k, d), the critical n three ways.

    - ``critical_n``: the largest tested n such that every tested n up to it
      was solved by some seed (strict, any seed);
    - ``critical_n_search``: the boundary the published search reports
      (``searched`` maps (protocol, k, d) to it; None for a grid);
    - ``median_critical_n``: the median over every seed of its own critical
      n, from its own bracket (``seeds`` maps (protocol, k, d) to the search
      summary's per-seed entries; a grid's seeds take their strict value
      over the grid). A seed that solved no n down to the floor counts as
      below all others, and the median is empty where it falls on one. The
      paper ran one seed, so this is the value comparable with Table 6, and
      ``delta_vs_paper`` uses it; more seeds can only raise the any-seed one.
    - ``per_seed_critical_n``: each seed's, ``seed:n`` (bracketed), ``seed:<F``
      (none down to the floor F), ``seed:>=n`` (solved up to the cap);
      ``seed_range`` their lowest and highest.

    ``capped``: every tested n was solved, so no failure was seen above the
    critical n (the search stopped at max_n, or a grid solved all its n):
    every value of the row is a lower bound, not a measurement, and it has no
    difference from the paper.
    """
    paper_n = dict(zip(paper["d"], paper["critical_n"], strict=True))
    rows = []
    for (protocol, k, d), group in runs.groupby(["protocol", "k", "d"]):
        solved_any = group.groupby("n")["solved"].any().to_dict()
        strict, failed, monotone = critical_n(solved_any)
        capped = strict is not None and failed is None
        found = (seeds or {}).get((protocol, k, d))
        if found is not None:
            per_seed = {e["seed"]: seed_critical_n(e) for e in found}
        else:  # no search of its own (a grid): its strict value over the n run
            per_seed = {
                seed: grid_seed_critical_n(mine.set_index("n")["solved"].to_dict())
                for seed, mine in group.groupby("seed")
            }
        median, seed_range = seed_statistics(per_seed)
        # the best global margin among the seeds that solved the critical n
        at_critical = group[(group["n"] == strict) & group["solved"]]["final_margin"]
        reference = paper_n.get(d) if k == 2 else None
        compared = None if capped else reference  # a bound has no difference
        rows.append({
            "protocol": protocol, "k": k, "d": d, "critical_n": strict,
            "capped": capped,
            "critical_n_search": searched.get((protocol, k, d)),
            "median_critical_n": median,
            "seed_range": seed_range,
            "per_seed_critical_n": " ".join(
                f"{s}:{v}" for s, v in sorted(per_seed.items())),
            "first_failed_n": failed, "monotone": monotone,
            "tested_n": f"{min(solved_any)}-{max(solved_any)}",
            "margin_at_critical_n": at_critical.max() if len(at_critical) else None,
            "paper_critical_n": reference,
            "delta_vs_paper": None if compared is None or median is None
            else median - compared,
            "delta_any_seed_vs_paper": None if compared is None or strict is None
            else strict - compared,
            "seconds": round(float(group.drop_duplicates("n")["seconds"].sum()), 1),
        })  # fmt: skip
    integers = ["critical_n", "critical_n_search", "first_failed_n",
                "paper_critical_n", "delta_any_seed_vs_paper"]  # fmt: skip
    return pd.DataFrame(rows).astype(dict.fromkeys(integers, "Int64"))


def is_capped(critical: pd.DataFrame) -> pd.Series:
    """Which rows of critical_n.csv or critical_d.csv a capped search made:
    lower bounds, not measurements."""
    if "capped" not in critical:
        raise ValueError(
            "the critical-n or critical-d table has no 'capped' column: it was made "
            f"before capped searches were marked; delete {CRITICAL_N_TABLE} and "
            f"{CRITICAL_D_TABLE} and run snakemake again"
        )
    return critical["capped"].astype(bool)


def measured(critical: pd.DataFrame) -> pd.DataFrame:
    """The rows of critical_n.csv that are measurements: a critical n was
    found, and it is not a capped search's lower bound."""
    return critical[critical["median_critical_n"].notna() & ~is_capped(critical)]


def searches_of(summary_paths, protocols: dict, seeds, dataset_k: dict):
    """(result documents, each search's critical n, each search's per-seed
    entries) of critical-n search summaries, by (protocol, k, d); every run
    checked against its path and the config (``load_search``) first."""
    documents, searched, per_seed = [], {}, {}
    for path in summary_paths:
        summary, runs = load_search(path, protocols, seeds, dataset_k)
        k, d = (int(part.split("~")[1]) for part in summary["subject"].split("/"))
        searched[summary["protocol"], k, d] = summary.get("critical_n")
        if "seeds" in summary:  # a search's own per-seed brackets; not a grid's
            per_seed[summary["protocol"], k, d] = summary["seeds"]
        documents += runs
    return documents, searched, per_seed
