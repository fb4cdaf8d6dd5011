"""Snakemake script: witness results -> witness.csv and witness_placements.csv."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

from embedding_limits.reports.witness_table import witness_tables  # noqa: E402
from embedding_limits.store.documents import load_witness  # noqa: E402

sm = snakemake  # noqa: F821
results = [load_witness(path) for path in sm.input.witnesses]
best, every = witness_tables(results)
best.to_csv(sm.output.table, index=False)
every.to_csv(sm.output.placements, index=False)
print(best.to_string(index=False), file=sys.stderr)
