"""Tables from the per-job result documents (pandas)."""

from __future__ import annotations

import pandas as pd

from .search import critical_n

RUN_COLUMNS = [
    "k", "d", "n", "seed", "num_queries", "solved", "max_accuracy",
    "final_accuracy", "steps_run", "stop_reason", "seconds",
]  # fmt: skip


def runs_table(documents: list[dict]) -> pd.DataFrame:
    """One row per (k, d, n, seed)."""
    rows = []
    for doc in documents:
        p, seconds = doc["parameters"], doc["timing"]["total_seconds"]
        for m in doc["metrics"]["seeds"]:
            rows.append(
                {"k": p["k"], "d": p["d"], "n": p["n"], **m, "seconds": seconds}
            )
    table = pd.DataFrame(rows, columns=RUN_COLUMNS)
    return table.sort_values(["k", "d", "n", "seed"], ignore_index=True)


def critical_n_table(runs: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per (k, d): critical n over seeds (any seed solving counts) and per seed."""
    paper_n = dict(zip(paper["d"], paper["critical_n"], strict=True))
    rows = []
    for (k, d), group in runs.groupby(["k", "d"]):
        solved_any = group.groupby("n")["solved"].any().to_dict()
        crit, failed, monotone = critical_n(solved_any)
        per_seed = {
            seed: critical_n(g.set_index("n")["solved"].to_dict())[0]
            for seed, g in group.groupby("seed")
        }
        reference = paper_n.get(d) if k == 2 else None
        delta = None if reference is None or crit is None else crit - reference
        rows.append({
            "k": k, "d": d, "critical_n": crit, "first_failed_n": failed,
            "per_seed_critical_n": " ".join(f"{s}:{v}" for s, v in per_seed.items()),
            "monotone": monotone, "tested_n": f"{min(solved_any)}-{max(solved_any)}",
            "paper_critical_n": reference,
            "delta_vs_paper": delta,
            "seconds": round(float(group.drop_duplicates("n")["seconds"].sum()), 1),
        })  # fmt: skip
    integers = ["critical_n", "first_failed_n", "paper_critical_n", "delta_vs_paper"]
    return pd.DataFrame(rows).astype(dict.fromkeys(integers, "Int64"))
