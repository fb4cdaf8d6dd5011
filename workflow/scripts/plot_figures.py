"""Snakemake script: tables -> the three figures, each as PNG and PDF."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

import pandas as pd  # noqa: E402

from free_embedding import plotting  # noqa: E402

sm = snakemake  # noqa: F821
runs = pd.read_csv(sm.input.runs)
critical = pd.read_csv(sm.input.critical)
paper = pd.read_csv(sm.input.paper, comment="#")
dpi = sm.params.dpi
out = sm.output
plotting.accuracy_vs_n(runs, critical, [out.accuracy_png, out.accuracy_pdf], dpi)
plotting.critical_n_vs_d(
    runs, critical, paper, [out.critical_png, out.critical_pdf], dpi
)
plotting.extrapolation(critical, [out.extrapolation_png, out.extrapolation_pdf], dpi)
