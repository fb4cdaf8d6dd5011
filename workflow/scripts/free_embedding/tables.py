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


def per_seed_critical_n(group: pd.DataFrame) -> dict[int, int | None]:
    """Each seed's critical n over the runs of one (k, d)."""
    return {
        seed: critical_n(runs.set_index("n")["solved"].to_dict())[0]
        for seed, runs in group.groupby("seed")
    }


def critical_n_table(runs: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per (k, d): critical n over seeds (any seed solving counts) and per seed."""
    paper_n = dict(zip(paper["d"], paper["critical_n"], strict=True))
    rows = []
    for (k, d), group in runs.groupby(["k", "d"]):
        solved_any = group.groupby("n")["solved"].any().to_dict()
        crit, failed, monotone = critical_n(solved_any)
        per_seed = per_seed_critical_n(group)
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


def critical_d_table(searches: list[tuple[dict, list[dict]]]) -> pd.DataFrame:
    """Per dataset: the smallest d some seed solved, and each seed's.

    ``searches`` pairs each dimension-search summary with its result documents.
    """
    rows = []
    for summary, docs in searches:
        docs = sorted(docs, key=lambda doc: doc["parameters"]["d"])
        per_seed = {}
        for doc in docs:
            for seed in doc["metrics"]["seeds"]:
                if seed["solved"]:
                    per_seed.setdefault(seed["seed"], doc["parameters"]["d"])
        spec = summary["spec"]
        rows.append(
            {
                "dataset": summary["dataset"],
                "pattern": spec["pattern"],
                "documents": spec["documents"],
                "queries": spec["queries"],
                "k": spec["k"],
                "critical_d": summary["critical_d"],
                "per_seed_critical_d": " ".join(
                    f"{s}:{d}" for s, d in sorted(per_seed.items())
                ),
                "tested_d": " ".join(str(doc["parameters"]["d"]) for doc in docs),
            }
        )
    return pd.DataFrame(rows).astype({"critical_d": "Int64"})


def dimension_runs_table(searches: list[tuple[dict, list[dict]]]) -> pd.DataFrame:
    """One row per (dataset, d, seed): what the accuracy-vs-d figure plots."""
    rows = [
        {
            "dataset": summary["dataset"],
            "d": doc["parameters"]["d"],
            "seed": seed["seed"],
            "solved": seed["solved"],
            "max_accuracy": seed["max_accuracy"],
        }
        for summary, docs in searches
        for doc in docs
        for seed in doc["metrics"]["seeds"]
    ]
    return pd.DataFrame(rows).sort_values(["dataset", "d", "seed"], ignore_index=True)
