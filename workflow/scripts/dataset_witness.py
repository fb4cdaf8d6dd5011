#!/usr/bin/env python3
"""An exact witness at d = 2k for a dataset's qrels, in every precision.

    python workflow/scripts/dataset_witness.py \\
        --qrels results/datasets/limit-small/qrels.npz --dataset limit-small \\
        --out results/witnesses/dataset~limit-small.json

Each query's relevant documents must be its exact top k once the documents
and queries are stored in each precision; the documents that no query names
are placed at the origin and, in a second row, on the curve with the rest
(embedding_limits/witnesses/datasets.py says why both).
"""

from __future__ import annotations

import argparse
import sys
import time

from embedding_limits.config.witness_choices import ACCUMULATION, PRECISIONS
from embedding_limits.data.qrels import PAD, load_qrels
from embedding_limits.files import check_writable, write_json_atomic


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--qrels", required=True, help="the dataset's qrels.npz")
    p.add_argument("--dataset", required=True, help="its name, for the result")
    p.add_argument(
        "--precisions",
        nargs="+",
        choices=PRECISIONS,
        default=list(PRECISIONS),
        help="(default: all)",
    )
    p.add_argument("--out", required=True, help="result JSON path")
    args = p.parse_args(argv)
    try:
        args.relevance = load_qrels(args.qrels)
    except ValueError as error:
        p.error(f"argument --qrels: {error}")
    if (args.relevance.relevant == PAD).any():
        p.error(
            f"argument --qrels: {args.qrels} gives its queries different "
            "numbers of relevant documents; a witness at d = 2k needs one k"
        )
    try:
        check_writable(args.out)
    except OSError as error:
        p.error(f"argument --out: {error}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import jax

    jax.config.update("jax_enable_x64", True)  # float64 witnesses need it
    from embedding_limits.witnesses.datasets import CONSTRUCTION, UNNAMED, dataset_check

    relevant, num_docs = args.relevance.relevant, args.relevance.num_docs
    k, rows, started = relevant.shape[1], [], time.perf_counter()
    for unnamed in UNNAMED:
        for precision in args.precisions:
            found = dataset_check(relevant, num_docs, precision, unnamed)
            rows.append(
                {
                    "precision": precision,
                    "accumulation": ACCUMULATION[precision],
                    "unnamed": unnamed,
                    "holds": found.holds,
                    "min_gap": found.min_gap,
                    "violation": None
                    if found.violation is None
                    else {
                        "relevant": list(found.violation[0]),
                        "intruder": found.violation[1],
                    },
                }
            )
            print(
                f"{args.dataset} d={2 * k} {precision}, unnamed at {unnamed}: "
                f"{'holds' if found.holds else 'fails'} (gap {found.min_gap:.3g})",
                file=sys.stderr,
            )
    write_json_atomic(
        args.out,
        {
            "dataset": args.dataset,
            "construction": CONSTRUCTION,
            "k": int(k),
            "d": 2 * int(k),
            "documents": num_docs,
            "queries": int(len(relevant)),
            "named_documents": int(len(set(relevant.ravel().tolist()))),
            "rows": rows,
            "seconds": time.perf_counter() - started,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
