"""Snakemake script: record what a search (critical n or critical d) found."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

from free_embedding.results import write_json_atomic  # noqa: E402

sm = snakemake  # noqa: F821
wildcards = {
    key: int(value) if value.isdigit() else value
    for key, value in sm.wildcards.items()
    if key != "settings"
}
summary = {
    **wildcards,
    "settings": dict(sm.params.settings),
    **sm.params.found,
    "runs": list(sm.input.runs),
}
write_json_atomic(sm.output.summary, summary)
print(summary, file=sys.stderr)
