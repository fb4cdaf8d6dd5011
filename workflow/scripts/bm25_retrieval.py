"""Snakemake script: BM25's MTEB metrics on every dataset -> retrieval.csv."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from embedding_limits.retrieval.bm25 import bm25_metrics  # noqa: E402

sm = snakemake  # noqa: F821
rows = []
for manifest_path in sm.input.manifests:
    manifest = json.load(open(manifest_path))
    metrics = bm25_metrics(Path(manifest_path).parent)
    keys = ("name", "source", "documents", "queries", "k")
    rows.append({"method": "bm25s", **{key: manifest[key] for key in keys}, **metrics})
table = pd.DataFrame(rows).rename(columns={"name": "dataset"})
table.to_csv(sm.output.table, index=False)
print(table.to_string(index=False), file=sys.stderr)
