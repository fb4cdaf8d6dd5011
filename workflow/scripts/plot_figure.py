"""Snakemake script: tables -> one figure, as PNG and PDF.

The figure is the one the output is named after (reports/figures.py's
FIGURES; sweep~NAME: the sweep figure of NAME), called with the rule's inputs,
read as tables, by their names.
"""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from embedding_limits.reports import figures  # noqa: E402

sm = snakemake  # noqa: F821
name = Path(sm.output.png).stem
figure = figures.named(name)
# resources/ tables open with their citation in '#' lines; results/ tables
# have none, and a '#' inside one of their fields is data. An optional table
# the config does not make is no input: the figure then leaves it out.
tables = {
    argument: pd.read_csv(path, comment="#" if argument in figure.resources else None)
    for argument, path in sm.input.items()
}
drawn_for = figures.arguments(name)  # {"sweep": NAME} for sweep~NAME
figure.draw(**tables, **drawn_for, paths=[sm.output.png, sm.output.pdf],
            dpi=sm.params.dpi)  # fmt: skip
print(f"{name}: drawn from {', '.join(tables)}", file=sys.stderr)
