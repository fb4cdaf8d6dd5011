"""Snakemake script: the datasets' exact witnesses -> dataset_witness.csv."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

from embedding_limits.files import write_table  # noqa: E402
from embedding_limits.reports.witness_table import dataset_witness_table  # noqa: E402
from embedding_limits.store.documents import load_dataset_witness  # noqa: E402

sm = snakemake  # noqa: F821
table = dataset_witness_table([load_dataset_witness(p) for p in sm.input.witnesses])
write_table(table, sm.output.table)
print(table.to_string(index=False), file=sys.stderr)
