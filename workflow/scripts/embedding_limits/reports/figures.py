"""Every figure of the workflow, one entry each: the function that draws it,
the tables it draws by argument, and its section of the report.

figures.smk has one rule for them all: the figure ``paths.FIGURE`` names (a
PNG, and a PDF beside it) is drawn by ``FIGURES[figure].draw``, called with
its tables read by argument name; an entry with ``each`` is drawn once per
thing of the config (``sweep~NAME``, a figure per sweep). Adding a figure is
its plotting function, one entry here, and its caption: a block of
``workflow/report/figure.rst``.
No plotting library is imported here (the Snakefile reads this list at every
parse): an entry names its function, imported only when it draws.
"""

from __future__ import annotations

import importlib
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
    SWEEPS_TABLE,
    WITNESS_TABLE,
)

# the cited tables under resources/ (their citation in '#' lines)
PAPER = {"paper": "paper_table6.csv"}
FOLLOWUPS = {"followups": "followup_points.csv"}


@dataclass(frozen=True)
class Figure:
    """One figure: ``draw(**tables, paths=..., dpi=...)`` saves it."""

    function: str  # "module.function" in this package
    tables: dict[str, str]  # argument -> the results table (a paths.py template)
    category: str  # its section of the report
    resources: dict[str, str] = field(default_factory=dict)  # argument -> resources/
    # arguments drawn only where the run makes their table (else left out)
    optional: tuple[str, ...] = ()
    # a figure of each of a config's things (a sweep): the argument that gets
    # its name, written after "~" in the figure's (sweep~NAME)
    each: str | None = None

    @property
    def draw(self) -> Callable:
        """The plotting function (its module imported now)."""
        module, name = self.function.rsplit(".", 1)
        return getattr(importlib.import_module(f".{module}", __package__), name)

    def inputs(self, made: list[str], resources: str) -> dict[str, str]:
        """Its files by argument: its tables (an optional one only if in
        ``made``, the default target's files), and its cited tables under
        ``resources``."""
        tables = {
            name: path
            for name, path in self.tables.items()
            if name not in self.optional or path in made
        }
        cited = {name: f"{resources}/{file}" for name, file in self.resources.items()}
        return tables | cited


FIGURES = {
    "accuracy_vs_n": Figure(
        "search_figures.accuracy_vs_n",
        {"runs": RUNS_TABLE, "critical": CRITICAL_N_TABLE}, "Figures",
    ),
    "critical_n_vs_d": Figure(
        "search_figures.critical_n_vs_d",
        {"runs": RUNS_TABLE, "critical": CRITICAL_N_TABLE}, "Figures", PAPER,
    ),
    "extrapolation": Figure(
        "search_figures.extrapolation", {"critical": CRITICAL_N_TABLE}, "Figures"
    ),
    "protocols_vs_d": Figure(
        "limit_figures.protocols_vs_d",
        {"critical": CRITICAL_N_TABLE, "d_of_n": CRITICAL_D_OF_N_TABLE},
        "Figures", PAPER | FOLLOWUPS, optional=("d_of_n",),
    ),
    "accuracy_vs_d": Figure(
        "search_figures.accuracy_vs_d",
        {"runs": DIMENSION_RUNS_TABLE, "critical": CRITICAL_D_TABLE}, "Datasets",
    ),
    "limits_vs_d": Figure(
        "limit_figures.limits_vs_d",
        {"critical": CRITICAL_N_TABLE, "witnesses": WITNESS_TABLE,
         "d_of_n": CRITICAL_D_OF_N_TABLE},
        "Witnesses", PAPER | FOLLOWUPS, optional=("d_of_n",),
    ),
    "critical_d_of_n": Figure(
        "limit_figures.critical_d_of_n", {"critical": CRITICAL_D_OF_N_TABLE},
        "Smallest d for each n", FOLLOWUPS,
    ),
    "embedders": Figure(
        "embedder_figure.embedders",
        {"embedders": EMBEDDERS_TABLE, "critical_d": CRITICAL_D_TABLE},
        "Figures", optional=("critical_d",),
    ),
    "sweep": Figure(
        "sweeps.sweep_heatmaps", {"sweeps": SWEEPS_TABLE}, "Sweeps", each="sweep"
    ),
}  # fmt: skip


def named(name: str) -> Figure:
    """The figure of ``name`` (the PNG's name: ``paths.FIGURE``): an entry of
    FIGURES, or ``ENTRY~THING`` for an entry drawn for each thing."""
    entry, _, thing = name.partition("~")
    if entry not in FIGURES or bool(thing) != bool(FIGURES[entry].each):
        listed = [f"{n}~NAME" if f.each else n for n, f in FIGURES.items()]
        raise ValueError(
            f"{FIGURE.format(figure=name)} is no figure of reports/figures.py "
            f"(they are: {', '.join(listed)})"
        )
    return FIGURES[entry]


def arguments(name: str) -> dict[str, str]:
    """What figure ``name`` is drawn for, by argument: {} for a figure of
    its own, {each: THING} for ``ENTRY~THING``."""
    figure, thing = named(name), name.partition("~")[2]
    return {figure.each: thing} if figure.each else {}
