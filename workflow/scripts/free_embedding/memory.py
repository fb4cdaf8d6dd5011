"""How much memory a job needs, and how much it may use (no JAX here).

The limit a job may use is the smallest of: the host's available memory, the
cgroup limit the job runs under (SLURM, containers), and SLURM's per-job
memory variables. A node's free memory says nothing about a job limited to a
fraction of it.
"""

from __future__ import annotations

# float32 arrays of the logits' shape alive at once in a step, per seed
# (logits, log-softmax, its gradient, softmax, scores for top-k, a spare).
LOGIT_COPIES = 6


def required_bytes(num_seeds: int, num_queries: int, num_docs: int) -> int:
    """A working-set estimate: logit-sized float32 arrays for every seed."""
    return LOGIT_COPIES * 4 * num_seeds * num_queries * num_docs
