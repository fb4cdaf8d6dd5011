"""Snakemake script: witness results -> witness.csv and the limits figure."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

import pandas as pd  # noqa: E402

from free_embedding import plotting  # noqa: E402
from free_embedding.results import load_witness  # noqa: E402
from free_embedding.tables import witness_tables  # noqa: E402

sm = snakemake  # noqa: F821
results = [load_witness(path) for path in sm.input.witnesses]
best, every = witness_tables(results)
best.to_csv(sm.output.table, index=False)
every.to_csv(sm.output.placements, index=False)
critical = pd.read_csv(sm.input.critical)
paper = pd.read_csv(sm.input.paper, comment="#")
figure = [sm.output.figure_png, sm.output.figure_pdf]
plotting.limits_vs_d(critical, paper, best, figure, sm.params.dpi)
print(best.to_string(index=False), file=sys.stderr)
