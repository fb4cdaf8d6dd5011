"""How much memory a job may use, read from the machine (no JAX here).

The limit a CPU job may use is the smallest of: the host's available memory,
the cgroup limit the job runs under (SLURM with cgroups, containers), and
SLURM's memory variables. A node's free memory says nothing about a job that
was given a fraction of it. What a whole local run may use (``machine_limit``)
is the smallest of the machine's total memory and the limits Snakemake itself
runs under.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


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
