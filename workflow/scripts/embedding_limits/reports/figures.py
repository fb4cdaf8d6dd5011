"""Every figure of the workflow, by the name of its file (figures.smk)."""

from __future__ import annotations

from .embedder_figure import embedders
from .limit_figures import critical_d_of_n, limits_vs_d, protocols_vs_d
from .search_figures import accuracy_vs_d, accuracy_vs_n, critical_n_vs_d, extrapolation

# Every figure by its file's name: figures.smk has a rule for each, whose
# inputs are the function's table arguments by name.
FIGURES = {
    figure.__name__: figure
    for figure in (accuracy_vs_n, critical_n_vs_d, extrapolation, protocols_vs_d,
                   accuracy_vs_d, limits_vs_d, critical_d_of_n, embedders)
}  # fmt: skip
