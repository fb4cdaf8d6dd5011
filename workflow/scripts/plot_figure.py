"""Snakemake script: tables -> one figure, as PNG and PDF.

The figure is the one the output is named after (reports.figures.FIGURES), called
with the rule's inputs, read as tables, by their names.
"""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from embedding_limits.reports.figures import FIGURES  # noqa: E402

# resources/ tables open with their citation in '#' lines; results/ tables
# have none, and a '#' inside one of their fields is data.
CITED = ("paper", "followups")

sm = snakemake  # noqa: F821
# an optional table (d_of_n) is an input list of one path, or of none when
# its searches are off: the figure then leaves it out
paths = {
    name: value if isinstance(value, str) else (value[0] if len(value) else None)
    for name, value in sm.input.items()
}
tables = {
    name: pd.read_csv(path, comment="#" if name in CITED else None)
    for name, path in paths.items()
    if path
}
draw = FIGURES[Path(sm.output.png).stem]
draw(**tables, paths=[sm.output.png, sm.output.pdf], dpi=sm.params.dpi)
print(f"{Path(sm.output.png).stem}: drawn from {', '.join(tables)}", file=sys.stderr)
