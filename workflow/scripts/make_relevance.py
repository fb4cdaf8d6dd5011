#!/usr/bin/env python3
"""The optimiser's qrels of a dataset folder: each judged query's relevant
documents by their place in the corpus.

    python workflow/scripts/make_relevance.py --dataset-dir FOLDER \\
        --name NAME --out FOLDER/qrels.npz

Every judged query must have the same number k of relevant documents.
"""

from __future__ import annotations

import argparse
import sys

from embedding_limits import cli
from embedding_limits.data.beir import DatasetFilesError, verify
from embedding_limits.data.folder import DatasetError, read, relevance
from embedding_limits.data.qrels import save_qrels


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--dataset-dir",
        required=True,
        type=cli.existing_folder,
        help="a dataset folder",
    )
    p.add_argument("--name", required=True, help="the dataset's name")
    p.add_argument("--out", required=True, help="the .npz to write")
    args = p.parse_args(argv)
    try:
        verify(args.dataset_dir)
        qrels = relevance(read(args.dataset_dir), args.name)
    except (DatasetError, DatasetFilesError) as error:
        p.error(f"argument --dataset-dir: {error}")
    save_qrels(args.out, qrels)
    print(
        f"{args.name}: {qrels.num_queries} queries over {qrels.num_docs} "
        f"documents -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
