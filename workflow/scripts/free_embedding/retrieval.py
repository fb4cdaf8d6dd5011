"""Lexical baseline: BM25 (bm25s) recall@k on a dataset in the BEIR layout."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

from .beir import read_jsonl

CUTOFFS = (2, 10, 100)


def bm25_recall(folder: str | Path, cutoffs=CUTOFFS) -> dict[str, float]:
    """Mean over queries of the fraction of relevant documents in the top k."""
    folder = Path(folder)
    corpus = read_jsonl(folder / "corpus.jsonl")
    queries = read_jsonl(folder / "queries.jsonl")
    relevant: dict[str, set[str]] = {}
    for row in read_jsonl(folder / "qrels.jsonl"):
        relevant.setdefault(row["query-id"], set()).add(row["corpus-id"])
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([d["text"] for d in corpus], show_progress=False),
                    show_progress=False)  # fmt: skip
    depth = min(max(cutoffs), len(corpus))
    tokens = bm25s.tokenize([q["text"] for q in queries], show_progress=False)
    ranked, _ = retriever.retrieve(tokens, k=depth, show_progress=False)
    ids = np.array([d["_id"] for d in corpus])
    recall = {}
    for cutoff in cutoffs:
        per_query = [
            len(relevant[q["_id"]] & set(ids[row[:cutoff]])) / len(relevant[q["_id"]])
            for q, row in zip(queries, ranked, strict=True)
        ]
        recall[f"recall@{cutoff}"] = float(np.mean(per_query))
    return recall
