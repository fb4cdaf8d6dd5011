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
import os
import sys
import time

from embedding_limits import cli
from embedding_limits.data.beir import (
    CORPUS,
    MANIFEST,
    QRELS,
    QUERIES,
    DatasetFilesError,
    read_jsonl,
    verify,
)
from embedding_limits.embedders import quantize
from embedding_limits.embedders import vectors as embedding_files
from embedding_limits.embedders.backends import PRECISIONS
from embedding_limits.files import write_json_atomic
from embedding_limits.retrieval import metrics as ir_metrics


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--embeddings", required=True, type=cli.existing_file,
                   help="an embed.py .npz")  # fmt: skip
    p.add_argument("--qrels", required=True, type=cli.existing_file,
                   help="the dataset's qrels.jsonl")  # fmt: skip
    p.add_argument("--dim", type=cli.positive_int, required=True,
                   help="Matryoshka dimension")  # fmt: skip
    p.add_argument("--precision", choices=PRECISIONS, required=True)
    p.add_argument("--out", required=True, help="the .json to write")
    args = p.parse_args(argv)
    folder = os.path.dirname(args.qrels)
    if os.path.exists(os.path.join(folder, MANIFEST)):  # a workflow dataset's
        try:
            manifest = verify(folder, (QRELS,))
            args.dataset = manifest["name"]
            args.files = {
                f: manifest["checksums"][f]["sha256"] for f in (CORPUS, QUERIES)
            }
        except DatasetFilesError as error:
            p.error(f"argument --qrels: {error}")
    else:
        args.dataset = args.files = None
    try:
        args.judgements = ir_metrics.read_qrels(read_jsonl(args.qrels))
    except (ValueError, KeyError, TypeError) as error:
        p.error(f"argument --qrels: {args.qrels}: not qrels.jsonl rows of "
                f"query-id, corpus-id and score ({error!r})")  # fmt: skip
    cli.check_outputs(p, out=args.out)
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        arrays, header = embedding_files.load(args.embeddings)
    except embedding_files.EmbeddingFileError as error:
        sys.exit(str(error))
    made_from = header.get("dataset")
    if args.dataset and made_from != args.dataset:
        sys.exit(f"{args.embeddings}: embeddings of dataset {made_from!r}, not of "
                 f"{args.dataset!r} ({args.qrels}); delete it and rerun")  # fmt: skip
    if args.files and header.get("dataset_files") != args.files:
        sys.exit(f"{args.embeddings}: made from other files of dataset "
                 f"{args.dataset!r} than those there now; delete it and "
                 "rerun")  # fmt: skip
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
    qrels = args.judgements
    metrics = ir_metrics.evaluate(run, qrels)
    seconds = time.perf_counter() - started
    write_json_atomic(args.out, {
        "parameters": {key: header[key] for key in ("embedder", "backend", "model")}
        | {"dataset": made_from, "dim": args.dim, "precision": args.precision,
           "full_dim": header["dim"]},
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
