#!/usr/bin/env python3
"""Write the qrels of every k-subset of n documents, plus a small manifest.

    python workflow/scripts/make_qrels.py --n 30 --k 2 \\
        --out results/qrels/k~2/n~30.npz --manifest results/qrels/k~2/n~30.json
"""

from __future__ import annotations

import argparse
import sys

from embedding_limits import cli
from embedding_limits.data.qrels import combinations_qrels, save_qrels
from embedding_limits.files import write_json_atomic


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--n", type=cli.positive_int, required=True,
                   help="number of documents")  # fmt: skip
    p.add_argument("--k", type=cli.positive_int, required=True,
                   help="relevant documents per query")  # fmt: skip
    p.add_argument("--out", required=True, help="qrels .npz path")
    p.add_argument("--manifest", required=True, help="manifest .json path")
    args = p.parse_args(argv)
    if not 1 <= args.k < args.n:
        p.error(f"argument --k: need 1 <= k < n, got k={args.k}, n={args.n}")
    cli.check_outputs(p, out=args.out, manifest=args.manifest)
    qrels = combinations_qrels(args.n, args.k)
    save_qrels(args.out, qrels)
    write_json_atomic(args.manifest, {
        "n": args.n, "k": args.k, "num_queries": qrels.num_queries,
        "made_by": qrels.source, "file": args.out,
    })  # fmt: skip
    print(f"{qrels.num_queries} queries -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
