"""Every figure of the workflow, one entry each: what draws it, from which
tables, in which section of the report, with which caption.

figures.smk has one rule for them all: the figure ``paths.FIGURE`` names (a
PNG, and a PDF beside it) is drawn by ``FIGURES[figure]``, called with its
tables read by argument name. Adding a figure is its plotting function, one
entry here, and its caption, ``workflow/report/figures/<name>.rst``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..store.paths import (
    CRITICAL_D_OF_N_TABLE,
    CRITICAL_D_TABLE,
    CRITICAL_N_TABLE,
    DIMENSION_RUNS_TABLE,
    EMBEDDERS_TABLE,
    FIGURE,
    RUNS_TABLE,
    WITNESS_TABLE,
)
from .embedder_figure import embedders
from .limit_figures import critical_d_of_n, limits_vs_d, protocols_vs_d
from .search_figures import accuracy_vs_d, accuracy_vs_n, critical_n_vs_d, extrapolation

# the cited tables under resources/ (their citation in '#' lines)
PAPER = {"paper": "paper_table6.csv"}
FOLLOWUPS = {"followups": "followup_points.csv"}


@dataclass(frozen=True)
class Figure:
    """One figure: ``draw(**tables, paths=..., dpi=...)`` saves it."""

    draw: Callable
    tables: dict[str, str]  # argument -> the results table (a paths.py template)
    category: str  # its section of the report
    resources: dict[str, str] = field(default_factory=dict)  # argument -> resources/
    # arguments drawn only where the config makes their table (else left out)
    optional: tuple[str, ...] = ()

    def inputs(self, made: list[str], resources: str) -> dict[str, str]:
        """Its files by argument: its tables (an optional one only if in
        ``made``, what the run makes), and its cited tables under ``resources``."""
        tables = {
            name: path
            for name, path in self.tables.items()
            if name not in self.optional or path in made
        }
        cited = {name: f"{resources}/{file}" for name, file in self.resources.items()}
        return tables | cited


FIGURES = {
    "accuracy_vs_n": Figure(
        accuracy_vs_n, {"runs": RUNS_TABLE, "critical": CRITICAL_N_TABLE}, "Figures"
    ),
    "critical_n_vs_d": Figure(
        critical_n_vs_d, {"runs": RUNS_TABLE, "critical": CRITICAL_N_TABLE},
        "Figures", PAPER,
    ),
    "extrapolation": Figure(extrapolation, {"critical": CRITICAL_N_TABLE}, "Figures"),
    "protocols_vs_d": Figure(
        protocols_vs_d, {"critical": CRITICAL_N_TABLE, "d_of_n": CRITICAL_D_OF_N_TABLE},
        "Figures", PAPER | FOLLOWUPS, optional=("d_of_n",),
    ),
    "accuracy_vs_d": Figure(
        accuracy_vs_d, {"runs": DIMENSION_RUNS_TABLE, "critical": CRITICAL_D_TABLE},
        "Datasets",
    ),
    "limits_vs_d": Figure(
        limits_vs_d,
        {"critical": CRITICAL_N_TABLE, "witnesses": WITNESS_TABLE,
         "d_of_n": CRITICAL_D_OF_N_TABLE},
        "Witnesses", PAPER | FOLLOWUPS, optional=("d_of_n",),
    ),
    "critical_d_of_n": Figure(
        critical_d_of_n, {"critical": CRITICAL_D_OF_N_TABLE},
        "Smallest d for each n", FOLLOWUPS,
    ),
    "embedders": Figure(
        embedders, {"embedders": EMBEDDERS_TABLE, "critical_d": CRITICAL_D_TABLE},
        "Figures", optional=("critical_d",),
    ),
}  # fmt: skip


def named(name: str) -> Figure:
    """The figure of ``name`` (the PNG's name: ``paths.FIGURE``)."""
    if name not in FIGURES:
        raise ValueError(
            f"{FIGURE.format(figure=name)} is no figure of reports/figures.py "
            f"(they are: {', '.join(FIGURES)})"
        )
    return FIGURES[name]
