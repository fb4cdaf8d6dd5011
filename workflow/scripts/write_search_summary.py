"""Snakemake script: record what a search (critical n or critical d) found."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

from embedding_limits.files import write_json_atomic  # noqa: E402

sm = snakemake  # noqa: F821
summary = dict(sm.params.found)
assert summary["runs"] == list(sm.input.runs), "the replay changed under the rule"
write_json_atomic(sm.output.summary, summary)
print(summary, file=sys.stderr)
