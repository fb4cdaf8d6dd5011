"""Lexical baseline: BM25 (bm25s) on a dataset in the BEIR layout, scored
with MTEB's metrics (metrics.py)."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

from ..data import beir
from ..data.beir import embedded_text, read_jsonl
from . import metrics


def bm25_metrics(folder: str | Path) -> dict[str, float]:
    """Every metric of ``metrics.METRICS`` of BM25 on the dataset."""
    folder = Path(folder)
    beir.verify(folder)  # the files are the ones the dataset job made
    corpus = read_jsonl(folder / beir.CORPUS)
    queries = read_jsonl(folder / beir.QUERIES)
    retriever = bm25s.BM25()
    texts = [embedded_text(d) for d in corpus]  # as MTEB embeds them
    retriever.index(bm25s.tokenize(texts, show_progress=False), show_progress=False)
    depth = min(metrics.DEPTH, len(corpus))
    tokens = bm25s.tokenize([q["text"] for q in queries], show_progress=False)
    ranked, scores = retriever.retrieve(tokens, k=depth, show_progress=False)
    run = metrics.run_of([q["_id"] for q in queries], [d["_id"] for d in corpus],
                            np.asarray(ranked), np.asarray(scores))  # fmt: skip
    qrels = metrics.read_qrels(read_jsonl(folder / beir.QRELS))
    return metrics.evaluate(run, qrels)
