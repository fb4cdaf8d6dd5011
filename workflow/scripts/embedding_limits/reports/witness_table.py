"""The witness tables (pandas): the largest n each construction and precision
represents at d = 2k, and every placement tried."""

from __future__ import annotations

import pandas as pd


def witness_tables(results: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the best placement per (construction, k, d, precision), every placement).

    ``max_n`` is strict (every n up to it holds); ``search_n`` the boundary
    the search found; ``capped``: still holding at the cap (so "at least");
    ``capped_by_memory``: that cap was the largest n that fit in memory.
    """
    every = []
    for result in results:
        for i, row in enumerate(result["placements"]):
            violation = row["violation"]
            every.append({
                "construction": result["construction"], "k": result["k"],
                "d": result["d"], "precision": result["precision"],
                "accumulation": result["accumulation"], "placement": row["placement"],
                "max_n": row["max_n"], "capped": row["capped"],
                "capped_by_memory": row.get("capped_by_memory", False),
                "search_n": row["search_n"], "first_failing_n": row["first_failing_n"],
                "gap_at_max_n": row["gap_at_max_n"],
                "gap_at_first_failing_n": row["gap_at_first_failing_n"],
                "violation": None if violation is None else
                f"query {violation['subset']} ranks document {violation['intruder']} "
                "in its top k",
                "best": i == result["best"], "cap": result["max_n_cap"],
            })  # fmt: skip
    every = pd.DataFrame(every).astype({"max_n": "Int64", "search_n": "Int64",
                                        "first_failing_n": "Int64"})  # fmt: skip
    best = every[every["best"]].drop(columns="best").reset_index(drop=True)
    return best, every.drop(columns="best")


def dataset_witness_table(results: list[dict]) -> pd.DataFrame:
    """One row per (dataset, where the unnamed documents go, precision):
    whether the dataset's qrels hold at d = 2k, and the smallest gap."""
    rows = [
        {
            "dataset": result["dataset"], "construction": result["construction"],
            "k": result["k"], "d": result["d"], "documents": result["documents"],
            "queries": result["queries"], "named_documents": result["named_documents"],
            "unnamed": row["unnamed"], "precision": row["precision"],
            "accumulation": row["accumulation"], "holds": row["holds"],
            "min_gap": row["min_gap"],
            "violation": None if row["violation"] is None else
            f"query of documents {row['violation']['relevant']} ranks document "
            f"{row['violation']['intruder']} in its top k",
        }
        for result in results
        for row in result["rows"]
    ]  # fmt: skip
    return pd.DataFrame(rows)
