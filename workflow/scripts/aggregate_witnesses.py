"""Snakemake script: witness results -> witness.csv and witness_placements.csv."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

from embedding_limits.files import write_table  # noqa: E402
from embedding_limits.reports.witness_table import witness_tables  # noqa: E402
from embedding_limits.store.documents import load_witness  # noqa: E402

sm = snakemake  # noqa: F821
results = [load_witness(path) for path in sm.input.witnesses]
best, every = witness_tables(results)
write_table(best, sm.output.table)
write_table(every, sm.output.placements)
print(best.to_string(index=False), file=sys.stderr)
