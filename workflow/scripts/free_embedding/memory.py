"""How much memory a job needs, and how much it may use (no JAX here).

The limit a CPU job may use is the smallest of: the host's available memory,
the cgroup limit the job runs under (SLURM with cgroups, containers), and
SLURM's memory variables. A node's free memory says nothing about a job that
was given a fraction of it.
"""

from __future__ import annotations

import os
from pathlib import Path

# float32 arrays of the logits' shape alive at once in a step, per seed
# (logits, log-softmax, its gradient, softmax, scores for top-k, a spare).
LOGIT_COPIES = 6
CGROUP_ROOT = Path("/sys/fs/cgroup")


# Losses whose terms span every (query, relevant, other document) triple
# (losses.hinge): their (Q, R, N) arrays dwarf the logits.
TRIPLE_LOSSES = ("hinge",)


def required_bytes(
    num_seeds: int,
    num_queries: int,
    num_docs: int,
    d: int = 64,
    per_query: int = 2,
    loss: str = "infonce",
) -> int:
    """Every large allocation of a job, for ``num_seeds`` seeds in flight.

    Logit-shaped float32 arrays in the step; the boolean relevance mask (host
    and device) and its (Q, R) index form; a triple loss's (Q, R, N) terms;
    the parameters with Adam's two moments.
    """
    q, n, r = num_queries, num_docs, per_query
    triples = 8 * q * r * n if loss in TRIPLE_LOSSES else 0
    per_seed = LOGIT_COPIES * 4 * q * n + triples + 3 * 4 * (q + n) * d
    shared = 2 * q * n + 2 * 4 * q * r
    return num_seeds * per_seed + shared


def bytes_per_query(num_seeds: int, num_docs: int, **shape) -> int:
    """What one more query costs (to advise a --max-queries that fits);
    ``shape`` (d, per_query, loss) as for :func:`required_bytes`."""
    return required_bytes(num_seeds, 2, num_docs, **shape) - required_bytes(
        num_seeds, 1, num_docs, **shape
    )


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def cgroup_limit(proc_cgroup: Path = Path("/proc/self/cgroup"), root=CGROUP_ROOT):
    """The memory limit of this process's cgroup (v2 or v1), or None."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    limits = []
    for line in lines:
        _, controllers, relative = line.split(":", 2)
        relative = relative.lstrip("/")
        if controllers == "":  # cgroup v2: memory.max up the tree
            folder = root / relative
            while True:
                limits.append(_read_int(folder / "memory.max"))
                if folder == root or root not in folder.parents:
                    break
                folder = folder.parent
        elif "memory" in controllers.split(","):
            limits.append(
                _read_int(root / "memory" / relative / "memory.limit_in_bytes")
            )
    # v1 reports "no limit" as a huge number
    real = [x for x in limits if x is not None and x < 1 << 60]
    return min(real) if real else None


def slurm_limit(environ=os.environ) -> int | None:
    """SLURM's memory for this job (SLURM_MEM_PER_NODE or _PER_CPU, in MB)."""
    if environ.get("SLURM_MEM_PER_NODE", "").isdigit():
        return int(environ["SLURM_MEM_PER_NODE"]) * 2**20
    per_cpu = environ.get("SLURM_MEM_PER_CPU", "")
    cpus = environ.get("SLURM_CPUS_ON_NODE", "")
    if per_cpu.isdigit() and cpus.isdigit():
        return int(per_cpu) * int(cpus) * 2**20
    return None


def host_available(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def cpu_job_limit(
    environ=os.environ,
    meminfo: Path = Path("/proc/meminfo"),
    proc_cgroup: Path = Path("/proc/self/cgroup"),
    root: Path = CGROUP_ROOT,
) -> tuple[int | None, str]:
    """The bytes a CPU job may use, and what sets that limit."""
    candidates = {
        "the host's available memory": host_available(meminfo),
        "the job's cgroup limit": cgroup_limit(proc_cgroup, root),
        "SLURM's memory for the job": slurm_limit(environ),
    }
    known = {name: value for name, value in candidates.items() if value is not None}
    if not known:
        return None, "unknown"
    name = min(known, key=known.get)
    return known[name], name
