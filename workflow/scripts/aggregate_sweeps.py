"""Snakemake script: the sweeps' search summaries -> sweeps.csv.

Each summary lists the result files of its (protocol, k, d); every one is
checked against what its path and the config say it is before it is used.
"""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

import pandas as pd  # noqa: E402

from embedding_limits.files import write_table  # noqa: E402
from embedding_limits.reports.critical_n import critical_n_table, runs_table  # noqa: E402
from embedding_limits.reports.sweeps import sweeps_table  # noqa: E402
from embedding_limits.store.documents import load_search  # noqa: E402

sm = snakemake  # noqa: F821
p = sm.params
documents, searched, seeds = [], {}, {}
for path in sm.input.summaries:
    summary, runs = load_search(path, p.protocols, p.seeds, p.dataset_k)
    k, d = (int(part.split("~")[1]) for part in summary["subject"].split("/"))
    searched[summary["protocol"], k, d] = summary.get("critical_n")
    if "seeds" in summary:
        seeds[summary["protocol"], k, d] = summary["seeds"]
    documents += runs
no_paper = pd.DataFrame({"d": [], "critical_n": []})
critical = critical_n_table(runs_table(documents), searched, no_paper, seeds)
table = sweeps_table(critical, p.points)
write_table(table, sm.output.table)
print(table.to_string(index=False), file=sys.stderr)
