#!/usr/bin/env python3
"""Embed a dataset's documents and queries with one embedder, once.

    python embed.py --dataset-dir results/datasets/limit-small --embedder wordllama \
        --backend wordllama --out results/embeddings/limit-small/embedder~wordllama.npz

Writes the vectors at the model's full dimension; the scoring jobs truncate
and quantise them. Progress (texts per second) goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sys
import time

from embedding_limits import cli
from embedding_limits.data.beir import (
    CORPUS,
    MANIFEST,
    QUERIES,
    DatasetFilesError,
    embedded_text,
    read_jsonl,
    verify,
)
from embedding_limits.embedders import vectors as embedding_files
from embedding_limits.embedders.backends import BACKENDS
from embedding_limits.embedders.encoders import EncoderError, encode, load


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset-dir", required=True, type=cli.existing_folder,
                   help="a dataset folder (BEIR layout)")  # fmt: skip
    p.add_argument(
        "--embedder", required=True, help="the embedder's name in the config"
    )
    p.add_argument("--backend", required=True, choices=sorted(BACKENDS))
    p.add_argument(
        "--model", default=None, help="model name or folder (default: bundled)"
    )
    p.add_argument(
        "--query-prompt", default="", help='put before each query, e.g. "query: "'
    )
    p.add_argument("--document-prompt", default="", help="put before each document")
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    p.add_argument("--out", required=True, help="the .npz to write")
    args = p.parse_args(argv)
    missing = [f for f in (CORPUS, QUERIES)
               if not os.path.isfile(os.path.join(args.dataset_dir, f))]  # fmt: skip
    if missing:
        p.error(f"argument --dataset-dir: {args.dataset_dir} holds no "
                f"{' and no '.join(missing)}")  # fmt: skip
    if args.embedder.startswith("-"):
        p.error(f"argument --embedder: {args.embedder!r} is not a name")
    facts = BACKENDS[args.backend]
    if args.model and facts.bundled and args.model not in facts.bundled:
        p.error(f"argument --model: backend {args.backend} carries only "
                f"{', '.join(facts.bundled)}; leave --model out")  # fmt: skip
    if facts.needs_model and not args.model:
        p.error(f"argument --model: backend {args.backend} carries no model; give "
                "a Hugging Face model name or a model folder")  # fmt: skip
    cli.check_outputs(p, out=args.out)
    args.dataset, args.files = os.path.basename(os.path.abspath(args.dataset_dir)), None
    if os.path.exists(os.path.join(args.dataset_dir, MANIFEST)):  # a workflow's
        try:
            manifest = verify(args.dataset_dir, (CORPUS, QUERIES))
        except DatasetFilesError as error:
            p.error(f"argument --dataset-dir: {error}")
        args.dataset = manifest["name"]
        args.files = {f: manifest["checksums"][f]["sha256"] for f in (CORPUS, QUERIES)}
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.device not in BACKENDS[args.backend].devices:
        sys.exit(f"--device {args.device}: backend {args.backend} runs on "
                 f"{', '.join(BACKENDS[args.backend].devices)} only")  # fmt: skip
    corpus = read_jsonl(os.path.join(args.dataset_dir, CORPUS))
    queries = read_jsonl(os.path.join(args.dataset_dir, QUERIES))
    started = time.perf_counter()
    try:
        encoder = load(args.embedder, args.backend, args.model, args.device)
    except EncoderError as error:
        sys.exit(str(error))
    loaded = time.perf_counter()
    texts = [args.document_prompt + embedded_text(d) for d in corpus]
    documents = encode(encoder, texts, f"{args.embedder} documents")
    query_vectors = encode(encoder, [args.query_prompt + q["text"] for q in queries],
                           f"{args.embedder} queries")  # fmt: skip
    done = time.perf_counter()
    module = BACKENDS[args.backend].module
    header = {
        "embedder": args.embedder,
        "dataset": args.dataset,
        "dataset_files": args.files,
        "backend": args.backend,
        "model": args.model or BACKENDS[args.backend].default_model,
        "dim": int(documents.shape[1]),
        "prompts": {"query": args.query_prompt, "document": args.document_prompt},
        "device": args.device,
        "seconds": {"load": loaded - started, "embed": done - loaded},
        "environment": {
            "python": platform.python_version(),
            "package": _version(module),
            "machine": platform.machine(),
        },
    }
    embedding_files.save(args.out, documents, query_vectors, [d["_id"] for d in corpus],
                         [q["_id"] for q in queries], header)  # fmt: skip
    print(f"{args.out}: {len(corpus)} documents, {len(queries)} queries, "
          f"dim {documents.shape[1]}", file=sys.stderr)  # fmt: skip


def _version(module: str) -> str | None:
    """The installed version of the package that provides ``module``."""
    packages = importlib.metadata.packages_distributions().get(module)
    return importlib.metadata.version(packages[0]) if packages else None


if __name__ == "__main__":
    main()
