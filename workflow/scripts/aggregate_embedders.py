"""Snakemake script: every embedder score and BM25's -> embedders.csv."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from embedding_limits.files import write_table  # noqa: E402
from embedding_limits.reports.embedder_table import embedders_table  # noqa: E402
from embedding_limits.store.documents import ResultError  # noqa: E402

sm = snakemake  # noqa: F821
manifests = {Path(p).parent.name: json.load(open(p)) for p in sm.input.manifests}
try:
    table = embedders_table(sm.input.scores, manifests, pd.read_csv(sm.input.bm25))
except ResultError as error:
    sys.exit(str(error))
write_table(table, sm.output.table)
print(table.to_string(index=False), file=sys.stderr)
