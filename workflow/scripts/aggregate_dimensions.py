"""Snakemake script: dimension-search summaries -> critical_d.csv and
dimension_runs.csv (what accuracy_vs_d draws)."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

from free_embedding.results import expected_parameters, load_run, load_summary  # noqa: E402
from free_embedding.tables import critical_d_table, dimension_runs_table  # noqa: E402

sm = snakemake  # noqa: F821
p = sm.params
searches = []
for path in sm.input.summaries:
    summary = load_summary(path)
    summary["spec"] = p.specs[summary["subject"].split("~", 1)[1]]
    runs = [
        load_run(run, expected_parameters(run, p.protocols, p.seeds, p.dataset_k))
        for run in summary["runs"]
    ]
    searches.append((summary, runs))
critical = critical_d_table(searches)
critical.to_csv(sm.output.table, index=False)
dimension_runs_table(searches).to_csv(sm.output.runs, index=False)
print(critical.to_string(index=False), file=sys.stderr)
