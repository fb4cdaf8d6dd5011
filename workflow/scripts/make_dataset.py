#!/usr/bin/env python3
"""Make a LIMIT-style text dataset in the MTEB/BEIR layout.

    python workflow/scripts/make_dataset.py --name limit-small --queries 1000 \\
        --documents 46 --vocab resources/vocab --out-dir results/datasets/limit-small
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from embedding_limits import cli
from embedding_limits.data.beir import write_dataset
from embedding_limits.data.limit_text import (
    PATTERNS,
    DatasetSpec,
    generate,
    load_vocabulary,
)

DEFAULTS = {
    f.name: f.default for f in dataclasses.fields(DatasetSpec) if f.name != "name"
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--name", required=True, help="dataset name")
    for field in ("queries", "k", "documents", "attributes_per_doc", "seed"):
        p.add_argument(
            f"--{field.replace('_', '-')}",
            type=cli.nonnegative_int if field == "seed" else cli.positive_int,
            default=DEFAULTS[field],
            help=f"(default: {DEFAULTS[field]})",
        )
    p.add_argument("--pattern", choices=PATTERNS, default=DEFAULTS["pattern"])
    p.add_argument(
        "--vocab",
        required=True,
        type=cli.existing_folder,
        help="folder of the vocabulary files",
    )
    p.add_argument("--out-dir", required=True, help="dataset folder to write")
    args = p.parse_args(argv)
    cli.check_outputs(p, out_dir=f"{args.out_dir}/manifest.json")
    spec = DatasetSpec(
        name=args.name,
        queries=args.queries,
        k=args.k,
        documents=args.documents,
        pattern=args.pattern,
        attributes_per_doc=args.attributes_per_doc,
        seed=args.seed,
    )
    try:
        dataset = generate(spec, load_vocabulary(args.vocab))
    except ValueError as err:
        p.error(str(err))
    manifest = write_dataset(dataset, args.out_dir)
    print(
        f"{spec.name}: {spec.documents} documents, {spec.queries} queries, "
        f"{manifest['relevant_documents']} relevant -> {args.out_dir}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
