"""Retrieval metrics as MTEB names and computes them: trec_eval's measures
through pytrec_eval (pytrec-eval-terrier, the package MTEB uses), averaged
over queries. MTEB's LIMIT tasks report recall_at_2 as their main score."""

from __future__ import annotations

import numpy as np

RECALL_CUTOFFS = (1, 2, 3, 5, 10, 20, 100, 1000)
NDCG_CUTOFFS = (10,)
METRICS = tuple(f"recall_at_{k}" for k in RECALL_CUTOFFS) + tuple(
    f"ndcg_at_{k}" for k in NDCG_CUTOFFS
)
DEPTH = max(RECALL_CUTOFFS)  # documents ranked per query, as MTEB retrieves


def tie_order(document_ids) -> np.ndarray:
    """The order in which trec_eval ranks documents of equal score: by id,
    the last id first (it sorts by score, then by document id descending)."""
    ids = np.asarray(document_ids, dtype=object)
    by_id = np.argsort(ids.astype(str), kind="stable")[::-1]
    order = np.empty(len(ids), dtype=np.int64)
    order[by_id] = np.arange(len(ids))
    return order


def run_of(query_ids, document_ids, order_QxK, scores_QxK) -> dict:
    """A TREC run: query id -> {document id: score}, of the ranked lists."""
    document_ids = list(document_ids)
    return {
        query: {document_ids[j]: float(s) for j, s in zip(row, kept, strict=True)}
        for query, row, kept in zip(query_ids, order_QxK, scores_QxK, strict=True)
    }


def evaluate(run: dict, qrels: dict) -> dict[str, float]:
    """Every metric of ``METRICS``, averaged over the queries of ``qrels``
    (a query missing from ``run`` counts as retrieving nothing)."""
    import pytrec_eval

    measures = {
        "recall." + ",".join(map(str, RECALL_CUTOFFS)),
        "ndcg_cut." + ",".join(map(str, NDCG_CUTOFFS)),
    }
    per_query = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    names = {f"recall_at_{k}": f"recall_{k}" for k in RECALL_CUTOFFS}
    names |= {f"ndcg_at_{k}": f"ndcg_cut_{k}" for k in NDCG_CUTOFFS}
    return {
        metric: float(
            sum(per_query.get(q, {}).get(key, 0.0) for q in qrels) / len(qrels)
        )
        for metric, key in names.items()
    }


def read_qrels(rows) -> dict:
    """BEIR qrels rows ({query-id, corpus-id, score}) as pytrec_eval's dict."""
    qrels: dict[str, dict[str, int]] = {}
    for row in rows:
        qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(
            row.get("score", 1)
        )
    return qrels
