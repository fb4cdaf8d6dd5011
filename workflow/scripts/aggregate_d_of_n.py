"""Snakemake script: smallest-d searches (one per protocol and n) ->
critical_d_of_n.csv (what the critical_d_of_n figure draws)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

from embedding_limits.files import write_table  # noqa: E402
from embedding_limits.reports.critical_d import critical_d_of_n_table  # noqa: E402
from embedding_limits.store.documents import load_search  # noqa: E402

sm = snakemake  # noqa: F821
p = sm.params
searches = [
    load_search(path, p.protocols, p.seeds, p.dataset_k) for path in sm.input.summaries
]
table = critical_d_of_n_table(searches)
write_table(table, sm.output.table)
print(table.to_string(index=False), file=sys.stderr)
