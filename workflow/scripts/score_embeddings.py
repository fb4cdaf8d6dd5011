#!/usr/bin/env python3
"""Score one embedder on one dataset at one Matryoshka dimension and precision.

    python score_embeddings.py \
        --embeddings results/embeddings/limit-small/embedder~wordllama.npz \
        --qrels results/datasets/limit-small/qrels.jsonl \
        --dim 64 --precision int8 --out score.json

Truncates to --dim (re-normalised), stores at --precision, ranks every
document for every query and computes MTEB's metrics with pytrec_eval.
"""

from __future__ import annotations

import argparse
import sys
import time

from embedding_limits.data.beir import read_jsonl
from embedding_limits.embedders import quantize
from embedding_limits.embedders import vectors as embedding_files
from embedding_limits.embedders.backends import PRECISIONS
from embedding_limits.files import write_json_atomic
from embedding_limits.retrieval import metrics as ir_metrics


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--embeddings", required=True, help="an embed.py .npz")
    p.add_argument("--qrels", required=True, help="the dataset's qrels.jsonl")
    p.add_argument("--dim", type=int, required=True, help="Matryoshka dimension")
    p.add_argument("--precision", choices=PRECISIONS, required=True)
    p.add_argument("--out", required=True, help="the .json to write")
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        arrays, header = embedding_files.load(args.embeddings)
    except embedding_files.EmbeddingFileError as error:
        sys.exit(str(error))
    if not 1 <= args.dim <= header["dim"]:
        sys.exit(f"--dim {args.dim}: embedder {header['embedder']} gives "
                 f"{header['dim']} dimensions; use 1..{header['dim']}")  # fmt: skip
    started = time.perf_counter()
    document_ids = arrays["document_ids"].tolist()
    depth = min(ir_metrics.DEPTH, len(document_ids))
    order, kept = quantize.rank_in_blocks(
        arrays["documents"], arrays["queries"], args.precision, args.dim,
        ir_metrics.tie_order(document_ids), depth,
    )  # fmt: skip
    run = ir_metrics.run_of(arrays["query_ids"].tolist(), document_ids, order, kept)
    qrels = ir_metrics.read_qrels(read_jsonl(args.qrels))
    metrics = ir_metrics.evaluate(run, qrels)
    seconds = time.perf_counter() - started
    write_json_atomic(args.out, {
        "parameters": {key: header[key] for key in ("embedder", "backend", "model")}
        | {"dim": args.dim, "precision": args.precision, "full_dim": header["dim"]},
        "metrics": metrics,
        "scored_queries": len(qrels),
        "timing": {"seconds": seconds, "embed_seconds": header["seconds"]["embed"]},
        "environment": header["environment"],
    })  # fmt: skip
    print(
        f"{header['embedder']} dim {args.dim} {args.precision}: "
        + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
