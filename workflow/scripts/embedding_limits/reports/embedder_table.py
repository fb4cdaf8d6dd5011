"""The embedders' scores as one table, BM25's beside them."""

from __future__ import annotations

import json

import pandas as pd

from ..embedders.backends import PRECISIONS
from ..retrieval.metrics import METRICS
from ..store import paths
from ..store.documents import ResultError

COLUMNS = ("dataset", "source", "documents", "queries", "embedder", "backend",
           "model", "dim", "precision", *METRICS,
           "seconds", "embed_seconds")  # fmt: skip


def load_score(path: str) -> dict:
    """A scoring job's result; ResultError names a file that cannot be used."""
    try:
        document = json.load(open(path))
        metrics = document["metrics"]
        missing = [m for m in METRICS if not isinstance(metrics.get(m), (int, float))]
        if missing:
            raise KeyError(f"metrics {', '.join(missing)}")
        document["parameters"]["dim"], document["timing"]["seconds"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ResultError(
            f"{path}: not a usable embedder score ({error}); delete it and rerun, "
            "and the workflow recomputes it"
        ) from None
    found, held = paths.parse(paths.EMBEDDER_SCORE, path), document["parameters"]
    if found:
        said = {
            "dataset": found["dataset"],
            "embedder": found["embedder"],
            "dim": int(found["dim"]),
            "precision": found["embedding_precision"],
        }
        wrong = {k: held.get(k) for k, v in said.items() if held.get(k) != v}
        if wrong:
            raise ResultError(
                f"{path}: holds the score of "
                + ", ".join(f"{k} {v}" for k, v in wrong.items())
                + ", not what its path says; delete it and rerun, and the "
                "workflow recomputes it"
            )  # fmt: skip
    return document


def embedders_table(score_paths, manifests: dict[str, dict], bm25: pd.DataFrame):
    """One row per (dataset, embedder, dim, precision), then BM25's row of
    each dataset (embedder bm25s, no dim or precision), as COLUMNS."""
    rows = []
    for path in score_paths:
        found = paths.parse(paths.EMBEDDER_SCORE, path)
        score, spec = load_score(path), manifests[found["dataset"]]
        rows.append({
            "dataset": found["dataset"], "source": spec["source"],
            "documents": spec["documents"], "queries": spec["queries"],
            **score["parameters"], **score["metrics"],
            "seconds": score["timing"]["seconds"],
            "embed_seconds": score["timing"]["embed_seconds"],
        })  # fmt: skip
    for row in bm25.to_dict("records"):
        rows.append({**row, "embedder": "bm25s", "backend": "bm25s", "model": "bm25s"})
    table = pd.DataFrame(rows, columns=list(COLUMNS)).astype({"dim": "Int64"})
    order = {precision: i for i, precision in enumerate(PRECISIONS)}
    table["_order"] = table["precision"].map(order)
    table = table.sort_values(["dataset", "embedder", "dim", "_order"],
                              ignore_index=True, na_position="last")  # fmt: skip
    return table.drop(columns="_order")
