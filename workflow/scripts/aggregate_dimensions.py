"""Snakemake script: dimension-search summaries -> critical_d.csv and
dimension_runs.csv (what accuracy_vs_d draws)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

from embedding_limits.files import write_table  # noqa: E402
from embedding_limits.reports.critical_d import critical_d_table, dimension_runs_table  # noqa: E402
from embedding_limits.store.documents import load_search  # noqa: E402

sm = snakemake  # noqa: F821
p = sm.params
searches = []
for path in sm.input.summaries:
    summary, runs = load_search(path, p.protocols, p.seeds, p.dataset_k)
    summary["spec"] = p.specs[summary["subject"].split("~", 1)[1]]
    searches.append((summary, runs))
critical = critical_d_table(searches)
write_table(critical, sm.output.table)
write_table(dimension_runs_table(searches), sm.output.runs)
print(critical.to_string(index=False), file=sys.stderr)
