"""Snakemake script: search summaries -> runs.csv, critical_n.csv/.md, fit.csv.

Each summary lists the result files of its (k, d); those are read here.
"""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

import json  # noqa: E402

import pandas as pd  # noqa: E402

from free_embedding.fit import fit_table  # noqa: E402
from free_embedding.results import load_run  # noqa: E402
from free_embedding.tables import critical_n_table, runs_table  # noqa: E402

sm = snakemake  # noqa: F821
paths = []
for summary in sm.input.summaries:
    with open(summary) as handle:
        paths += json.load(handle)["runs"]
runs = runs_table([load_run(path) for path in paths])
runs.to_csv(sm.output.runs, index=False)
critical = critical_n_table(runs, pd.read_csv(sm.input.paper, comment="#"))
critical.to_csv(sm.output.critical_csv, index=False)
with open(sm.output.critical_md, "w") as handle:
    handle.write(critical.to_markdown(index=False) + "\n")
fit_table(critical).to_csv(sm.output.fit, index=False)
print(critical.to_string(index=False), file=sys.stderr)
