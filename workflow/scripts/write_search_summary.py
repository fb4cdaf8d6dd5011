"""Snakemake script: record what the critical-n search of one (k, d) found."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake injects it)

from free_embedding.results import write_json_atomic  # noqa: E402

sm = snakemake  # noqa: F821
summary = {
    "k": int(sm.wildcards.k),
    "d": int(sm.wildcards.d),
    "start": sm.params.start,
    "sweep_offsets": list(sm.params.sweep),
    **sm.params.found,
    "runs": list(sm.input.runs),
}
write_json_atomic(sm.output.summary, summary)
print(summary, file=sys.stderr)
