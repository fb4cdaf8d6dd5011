"""Snakemake script: search summaries -> runs.csv, critical_n.csv/.md, fit.csv.

Each summary lists the result files of its (protocol, k, d); every one is
checked against what its path and the config say it is before it is used.
"""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

import pandas as pd  # noqa: E402

from embedding_limits.files import write_table, write_text_atomic  # noqa: E402
from embedding_limits.reports.critical_n import critical_n_table, runs_table  # noqa: E402
from embedding_limits.reports.fit import fit_table  # noqa: E402
from embedding_limits.reports.seeds import per_seed_values  # noqa: E402
from embedding_limits.store.documents import load_search  # noqa: E402

sm = snakemake  # noqa: F821
p = sm.params
documents, searched, seeds = [], {}, {}
for path in sm.input.summaries:
    summary, runs = load_search(path, p.protocols, p.seeds, p.dataset_k)
    k, d = (int(part.split("~")[1]) for part in summary["subject"].split("/"))
    searched[summary["protocol"], k, d] = summary.get("critical_n")
    if "seeds" in summary:  # a search's own per-seed brackets; not a grid's
        seeds[summary["protocol"], k, d] = summary["seeds"]
    documents += runs
runs = runs_table(documents)
write_table(runs, sm.output.runs)
paper = pd.read_csv(sm.input.paper, comment="#")
critical = critical_n_table(runs, searched, paper, seeds)
write_table(critical, sm.output.critical_csv)
write_text_atomic(sm.output.critical_md, critical.to_markdown(index=False) + "\n")
write_table(fit_table(critical, per_seed_values(critical)), sm.output.fit)
print(critical.to_string(index=False), file=sys.stderr)
