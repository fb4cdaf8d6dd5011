"""How much memory a job needs, and how much it may use (no JAX here).

This module is the one home of the estimates: every job that allocates in
proportion to its problem (qrels, optimisation, witness, dataset) has a
``*_job_mb`` here, which its rule declares as ``mem_mb`` and which the
workflow checks against what one job may have before any job runs.

The limit a CPU job may use is the smallest of: the host's available memory,
the cgroup limit the job runs under (SLURM with cgroups, containers), and
SLURM's memory variables. A node's free memory says nothing about a job that
was given a fraction of it. What a whole local run may use (``machine_limit``)
is the smallest of the machine's total memory and the limits Snakemake itself
runs under.
"""

from __future__ import annotations

import math
import os
import resource
from collections.abc import Callable
from pathlib import Path

from .loss_facts import LOSS_FACTS

# float32 arrays of the logits' shape alive at once in a step, per seed
# (logits, log-softmax, its gradient, softmax, scores for top-k, a spare).
LOGIT_COPIES = 6
CGROUP_ROOT = Path("/sys/fs/cgroup")


# Bytes per seed and per (query, relevant, document) triple of a loss, beyond
# the logit copies, by what its terms span (loss_facts.TERMS): a triple loss's
# (Q, R, N) arrays dwarf the logits.
TRIPLE_BYTES = {"pairs": 0, "triples": 8}


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
    triples = TRIPLE_BYTES[LOSS_FACTS[loss].terms] * q * r * n
    per_seed = LOGIT_COPIES * 4 * q * n + triples + 3 * 4 * (q + n) * d
    shared = 2 * q * n + 2 * 4 * q * r
    return num_seeds * per_seed + shared


def bytes_per_query(num_seeds: int, num_docs: int, **shape) -> int:
    """What one more query costs (to advise a --max-queries that fits);
    ``shape`` (d, per_query, loss) as for :func:`required_bytes`."""
    return required_bytes(num_seeds, 2, num_docs, **shape) - required_bytes(
        num_seeds, 1, num_docs, **shape
    )


# What a job declares: a process's own footprint, plus its arrays with headroom
# for what the estimates leave out (temporaries, allocator slack).
MB = 2**20
PYTHON_MB = 200  # Python with numpy (qrels, datasets)
JAX_MB = 1500  # Python with JAX, XLA and the job's compiled programs
HEADROOM = 1.5
# Peak bytes per entry, measured (peak RSS less the bare process), rounded up:
QRELS_BYTES = 12  # per (query, relevant document): 9.6 at k = 2, 4.5 at k = 3..5
WITNESS_BYTES = 128  # per (query, k): 58-64 for moment, 112-113 for trig_moment
DATASET_BYTES = 64  # per liked thing of a document: 43-44


def job_mb(need_bytes: int, base_mb: int) -> int:
    """The ``mem_mb`` a job declares for arrays of ``need_bytes`` in all."""
    return base_mb + math.ceil(HEADROOM * need_bytes / MB)


def qrels_job_mb(n: int, k: int) -> int:
    """make_qrels.py: every k-subset of n documents, as int32 (plus, for
    k = 2, the two index columns it is stacked from)."""
    return job_mb(QRELS_BYTES * math.comb(n, k) * k, PYTHON_MB)


def optimize_job_mb(
    num_queries: int, num_docs: int, d: int, per_query: int, loss: str
) -> int:
    """optimize.py on the host: one seed's arrays (a CPU runs seeds in turn; a
    GPU job holds on the host only what goes to the device)."""
    need = required_bytes(1, num_queries, num_docs, d, per_query, loss)
    return job_mb(need, JAX_MB)


def witness_job_mb(k: int, n: int) -> int:
    """witness.py when it checks n documents (its largest n sets its peak):
    every k-subset, its nodes, its query and the scaled copies, in float64."""
    return job_mb(WITNESS_BYTES * math.comb(n, k) * k, JAX_MB)


def dataset_job_mb(documents: int, queries: int, k: int, attributes: int) -> int:
    """make_dataset.py: every document's liked things, as lists and as text."""
    return job_mb(DATASET_BYTES * (documents * attributes + queries * k), PYTHON_MB)


def largest_fitting(fits: Callable[[int], bool], low: int, high: int) -> int | None:
    """The largest x in [low, high] with ``fits(x)``, for a ``fits`` that holds
    up to some x and not beyond; None when not even ``low`` fits."""
    if high < low or not fits(low):
        return None
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(mid) else (low, mid - 1)
    return low


def size(num_bytes: float) -> str:
    """Bytes for people: 18.6 GiB, 3.8 TiB."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    power = 0
    while num_bytes >= 1024 and power < len(units) - 1:
        num_bytes, power = num_bytes / 1024, power + 1
    return f"{num_bytes:.1f} {units[power]}"


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


def address_space_limit() -> int | None:
    """This process's RLIMIT_AS (``ulimit -v``), inherited by its jobs."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


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


def physical_memory() -> int | None:
    """The machine's total memory (Linux and macOS)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def machine_limit(
    environ=os.environ,
    proc_cgroup: Path = Path("/proc/self/cgroup"),
    root: Path = CGROUP_ROOT,
    physical: Callable[[], int | None] = physical_memory,
    rlimit: Callable[[], int | None] = address_space_limit,
) -> tuple[int | None, str]:
    """The bytes a local run's jobs may share, and what sets that limit: the
    machine's total memory, or this process's cgroup, SLURM allocation or
    ``ulimit -v``, whichever is smallest."""
    candidates = {
        "the machine's memory": physical(),
        "the cgroup limit Snakemake runs under": cgroup_limit(proc_cgroup, root),
        "the SLURM allocation Snakemake runs in": slurm_limit(environ),
        "the address-space limit (ulimit -v)": rlimit(),
    }
    known = {name: value for name, value in candidates.items() if value is not None}
    if not known:
        return None, "unknown"
    name = min(known, key=known.get)
    return known[name], name
