"""Snakemake script: BM25's MTEB metrics on every dataset -> retrieval.csv."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from embedding_limits.data import beir  # noqa: E402
from embedding_limits.files import write_table  # noqa: E402
from embedding_limits.retrieval.bm25 import bm25_metrics  # noqa: E402

sm = snakemake  # noqa: F821
rows = []
for manifest_path in sm.input.manifests:
    try:
        manifest = beir.verify(Path(manifest_path).parent)
        metrics = bm25_metrics(Path(manifest_path).parent)
    except beir.DatasetFilesError as error:
        sys.exit(str(error))
    keys = ("name", "source", "documents", "queries", "k")
    rows.append({"method": "bm25s", **{key: manifest[key] for key in keys}, **metrics})
table = pd.DataFrame(rows).rename(columns={"name": "dataset"})
write_table(table, sm.output.table)
print(table.to_string(index=False), file=sys.stderr)
