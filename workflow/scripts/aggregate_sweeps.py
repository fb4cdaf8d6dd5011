"""Snakemake script: the sweeps' search summaries -> sweeps.csv.

Each summary lists the result files of its (protocol, k, d); every one is
checked against what its path and the config say it is before it is used.
"""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

import pandas as pd  # noqa: E402

from embedding_limits.files import write_table  # noqa: E402
from embedding_limits.reports.critical_n import (  # noqa: E402
    critical_n_table,
    runs_table,
    searches_of,
)
from embedding_limits.reports.sweeps import sweeps_table  # noqa: E402

sm = snakemake  # noqa: F821
p = sm.params
documents, searched, seeds = searches_of(
    sm.input.summaries, p.protocols, p.seeds, p.dataset_k
)
no_paper = pd.DataFrame({"d": [], "critical_n": []})
critical = critical_n_table(runs_table(documents), searched, no_paper, seeds)
table = sweeps_table(critical, p.points)
write_table(table, sm.output.table)
print(table.to_string(index=False), file=sys.stderr)
