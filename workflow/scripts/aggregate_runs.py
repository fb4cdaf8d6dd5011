"""Snakemake script: search summaries -> runs.csv, critical_n.csv/.md, fit.csv.

Each summary lists the result files of its (protocol, k, d); every one is
checked against what its path and the config say it is before it is used.
"""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

import pandas as pd  # noqa: E402

from embedding_limits.files import write_table, write_text_atomic  # noqa: E402
from embedding_limits.reports.critical_n import (  # noqa: E402
    critical_n_table,
    runs_table,
    searches_of,
)
from embedding_limits.reports.fit import fit_table  # noqa: E402
from embedding_limits.reports.seeds import per_seed_values  # noqa: E402

sm = snakemake  # noqa: F821
p = sm.params
documents, searched, seeds = searches_of(
    sm.input.summaries, p.protocols, p.seeds, p.dataset_k
)
runs = runs_table(documents)
write_table(runs, sm.output.runs)
paper = pd.read_csv(sm.input.paper, comment="#")
critical = critical_n_table(runs, searched, paper, seeds)
write_table(critical, sm.output.critical_csv)
write_text_atomic(sm.output.critical_md, critical.to_markdown(index=False) + "\n")
write_table(fit_table(critical, per_seed_values(critical)), sm.output.fit)
print(critical.to_string(index=False), file=sys.stderr)
