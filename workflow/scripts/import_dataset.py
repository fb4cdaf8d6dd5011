#!/usr/bin/env python3
"""Read a dataset folder in the MTEB/BEIR layout into the workflow's own form.

    python workflow/scripts/import_dataset.py --name released \\
        --source data/limit-small --out-dir results/datasets/released

Checks every row (each problem by file and line), keeps what MTEB keeps (the
judged queries, score-0 rows as non-relevant, empty texts as they are) and
writes corpus.jsonl, queries.jsonl (the judged queries), qrels.jsonl,
qrels/test.tsv and manifest.json. With --digest, the folder's content must
still be what the run was planned with.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from embedding_limits.data import beir
from embedding_limits.data.folder import DatasetError, digest, read, source_files
from embedding_limits.data.folder import summary as facts_of
from embedding_limits.files import write_json_atomic, write_text_atomic


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--name", required=True, help="dataset name")
    p.add_argument("--source", required=True, help="the folder to read")
    p.add_argument("--digest", help="the content's sha256 the run was planned with")
    p.add_argument("--origin", help="how the config names it (default: path: SOURCE)")
    p.add_argument("--out-dir", required=True, help="dataset folder to write")
    args = p.parse_args(argv)
    try:
        found = digest(source_files(args.source))
    except DatasetError as error:
        p.error(f"argument --source: {error}")
    if args.digest and found != args.digest:
        p.error(
            f"argument --source: {args.source} changed since this run was "
            "planned (its content digest differs); run the workflow again"
        )
    args.digest = found
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        contents = read(args.source)
    except DatasetError as error:
        sys.exit(f"{args.name}: {error}")
    out = Path(args.out_dir)
    corpus = [
        {"_id": i, "title": row["title"], "text": row["text"]}
        for i, row in contents.corpus.items()
    ]
    queries = [{"_id": q, "text": contents.queries[q]["text"]} for q in contents.qrels]
    judged = [(q, d, s) for q, docs in contents.qrels.items() for d, s in docs.items()]
    write_text_atomic(out / beir.CORPUS, beir.jsonl(corpus))
    write_text_atomic(out / beir.QUERIES, beir.jsonl(queries))
    write_text_atomic(
        out / beir.QRELS,
        beir.jsonl({"query-id": q, "corpus-id": d, "score": s} for q, d, s in judged),
    )
    write_text_atomic(
        out / beir.QRELS_TSV,
        "query-id\tcorpus-id\tscore\n"
        + "".join(f"{q}\t{d}\t{s}\n" for q, d, s in judged),
    )
    facts = facts_of(contents)
    manifest = {
        "name": args.name,
        "source": args.origin or f"path: {args.source}",
        "folder": args.source,
        "digest": args.digest,
        **facts,
        "layout": beir.LAYOUT,
        "checksums": beir.checksums(out),
    }
    write_json_atomic(out / beir.MANIFEST, manifest)
    print(
        f"{args.name}: {facts['documents']} documents, {facts['queries']} judged "
        f"of {facts['all_queries']} queries, k = {facts['k']} -> {out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
