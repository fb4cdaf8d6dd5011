"""Snakemake script: tables -> the figures, each as PNG and PDF."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

import pandas as pd  # noqa: E402

from free_embedding import plotting  # noqa: E402
from free_embedding.tables import per_seed_values  # noqa: E402

sm = snakemake  # noqa: F821
runs = pd.read_csv(sm.input.runs)
critical = pd.read_csv(sm.input.critical)
paper = pd.read_csv(sm.input.paper, comment="#")
followups = pd.read_csv(sm.input.followups, comment="#")
dpi, out = sm.params.dpi, sm.output
plotting.accuracy_vs_n(runs, critical, [out.accuracy_png, out.accuracy_pdf], dpi)
plotting.critical_n_vs_d(
    runs, critical, paper, [out.critical_png, out.critical_pdf], dpi
)
plotting.extrapolation(
    critical, per_seed_values(runs), [out.extrapolation_png, out.extrapolation_pdf], dpi
)
plotting.protocols_vs_d(
    critical, paper, followups, [out.protocols_png, out.protocols_pdf], dpi
)
