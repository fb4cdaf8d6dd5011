"""Snakemake script: dimension-search summaries -> critical_d.csv and the figure."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

import json  # noqa: E402

from free_embedding import plotting  # noqa: E402
from free_embedding.results import load_run  # noqa: E402
from free_embedding.tables import critical_d_table, dimension_runs_table  # noqa: E402

sm = snakemake  # noqa: F821
summaries = [json.load(open(path)) for path in sm.input.summaries]
searches = [(s, [load_run(path) for path in s["runs"]]) for s in summaries]
critical = critical_d_table(searches)
critical.to_csv(sm.output.table, index=False)
figure = [sm.output.figure_png, sm.output.figure_pdf]
plotting.accuracy_vs_d(dimension_runs_table(searches), critical, figure, sm.params.dpi)
print(critical.to_string(index=False), file=sys.stderr)
