"""Memory checks ask the right question: the job's own limit, not the host's;
and every job that grows with its problem declares at least what it uses."""

import math
import subprocess
import sys
from types import SimpleNamespace

import pytest

from conftest import ROOT, SCRIPTS
from free_embedding.devices import DeviceError, check_fits, device_limit
from free_embedding.memory import (
    DATASET_BYTES,
    HEADROOM,
    MB,
    QRELS_BYTES,
    WITNESS_BYTES,
    cgroup_limit,
    cpu_job_limit,
    dataset_job_mb,
    largest_fitting,
    machine_limit,
    qrels_job_mb,
    required_bytes,
    size,
    slurm_limit,
    witness_job_mb,
)

GIB = 2**30


def meminfo(tmp_path, available_gib):
    path = tmp_path / "meminfo"
    path.write_text(
        f"MemTotal: 536870912 kB\nMemAvailable: {available_gib * 2**20} kB\n"
    )
    return path


def cgroup_v2(tmp_path, limit: str):
    root = tmp_path / "cgroup"
    job = root / "system.slice" / "slurmstepd.scope" / "job_7"
    job.mkdir(parents=True)
    (job / "memory.max").write_text(limit + "\n")
    (root / "memory.max").write_text("max\n")
    proc = tmp_path / "self_cgroup"
    proc.write_text("0::/system.slice/slurmstepd.scope/job_7\n")
    return proc, root


def cgroup_v1(tmp_path, limit: int):
    root = tmp_path / "cgroup"
    folder = root / "memory" / "slurm" / "uid_0" / "job_7"
    folder.mkdir(parents=True)
    (folder / "memory.limit_in_bytes").write_text(f"{limit}\n")
    proc = tmp_path / "self_cgroup"
    proc.write_text("12:cpuset:/\n7:memory:/slurm/uid_0/job_7\n")
    return proc, root


def test_a_slurm_job_of_32_gb_on_a_512_gb_node_is_checked_against_32(tmp_path):
    proc, root = cgroup_v2(tmp_path, str(32 * GIB))
    limit, source = cpu_job_limit({}, meminfo(tmp_path, 500), proc, root)
    assert (limit, source) == (32 * GIB, "the job's cgroup limit")


def test_cgroup_v1_limit(tmp_path):
    proc, root = cgroup_v1(tmp_path, 16 * GIB)
    assert cgroup_limit(proc, root) == 16 * GIB
    proc, root = cgroup_v1(tmp_path / "unlimited", 2**63 - 4096)
    assert cgroup_limit(proc, root) is None  # v1 writes "no limit" as a huge number


def test_cgroup_v2_without_a_limit_falls_back_to_the_host(tmp_path):
    proc, root = cgroup_v2(tmp_path, "max")
    assert cgroup_limit(proc, root) is None
    assert cpu_job_limit({}, meminfo(tmp_path, 20), proc, root) == (
        20 * GIB,
        "the host's available memory",
    )


def test_slurm_memory_variables(tmp_path):
    assert slurm_limit({"SLURM_MEM_PER_NODE": "32000"}) == 32000 * 2**20
    assert slurm_limit({"SLURM_MEM_PER_CPU": "4000", "SLURM_CPUS_ON_NODE": "4"}) == (
        16000 * 2**20
    )
    assert slurm_limit({}) is None
    proc = tmp_path / "none"
    limit, source = cpu_job_limit(
        {"SLURM_MEM_PER_NODE": "1000"}, meminfo(tmp_path, 500), proc, tmp_path
    )
    assert (limit, source) == (1000 * 2**20, "SLURM's memory for the job")


def test_a_gpu_without_allocator_statistics_is_not_checked_against_host_memory():
    gpu = SimpleNamespace(
        platform="gpu", device_kind="NVIDIA H100", memory_stats=lambda: None
    )
    assert device_limit(gpu) == (None, "the gpu device reports no memory statistics")
    note = check_fits(gpu, 1, 10**9, 10**6, 8, 2, 10**9)
    assert note == "memory not checked: the gpu device reports no memory statistics"


def test_a_gpu_with_statistics_is_checked_against_its_free_memory():
    stats = {"bytes_limit": 80 * GIB, "bytes_in_use": 70 * GIB}
    gpu = SimpleNamespace(
        platform="gpu", device_kind="NVIDIA H100", memory_stats=lambda: stats
    )
    with pytest.raises(DeviceError, match="free memory of NVIDIA H100 is 10.0 GiB"):
        check_fits(gpu, 1, 100_000, 20_000, 8, 2, 100_000)
    assert check_fits(gpu, 1, 1000, 100, 8, 2, 1000) is None


def test_the_estimate_counts_every_large_array():
    one = required_bytes(1, 1000, 100, 8, 2)
    assert one >= 6 * 4 * 1000 * 100 + 1000 * 100  # logits copies and the mask
    assert required_bytes(3, 1000, 100, 8, 2) > 2.9 * one - 1000 * 100 * 2


# -- what a local run may use ----------------------------------------------------
def test_a_local_run_may_use_the_smallest_of_its_limits(tmp_path):
    none = tmp_path / "no_cgroup"
    machine = lambda: 24 * GIB  # noqa: E731
    unlimited = lambda: None  # noqa: E731
    assert machine_limit({}, none, tmp_path, machine, unlimited) == (
        24 * GIB, "the machine's memory")  # fmt: skip
    assert machine_limit({}, none, tmp_path, machine, lambda: 6 * GIB) == (
        6 * GIB, "the address-space limit (ulimit -v)")  # fmt: skip
    proc, root = cgroup_v2(tmp_path, str(8 * GIB))
    assert machine_limit({}, proc, root, machine, unlimited)[0] == 8 * GIB
    inside = {"SLURM_MEM_PER_NODE": "4000"}
    assert machine_limit(inside, none, tmp_path, machine, unlimited)[0] == 4000 * MB
    assert machine_limit({}, none, tmp_path, unlimited, unlimited) == (None, "unknown")


def test_largest_fitting_and_sizes():
    assert largest_fitting(lambda x: x * x <= 50, 1, 100) == 7
    assert largest_fitting(lambda x: x <= 100, 1, 30) == 30
    assert largest_fitting(lambda x: False, 1, 30) is None
    assert size(18.6 * GIB) == "18.6 GiB" and size(3.79 * 2**40) == "3.8 TiB"


# -- each job against its declaration ---------------------------------------------
def peak_mb(*command) -> float:
    """Peak resident memory of ``command`` (a process of its own, measured by a
    parent that runs nothing else)."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], "
             "check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN)"
             ".ru_maxrss)")  # fmt: skip
    env = {"PYTHONPATH": SCRIPTS, "PATH": "/usr/bin:/bin", "JAX_PLATFORMS": "cpu"}
    command = [sys.executable, "-c", probe, sys.executable, *command]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.split()[-1]) / 1024  # kB -> MB


def qrels(tmp_path, n, k):
    return (f"{SCRIPTS}/make_qrels.py", "--n", str(n), "--k", str(k),
            "--out", str(tmp_path / "q.npz"),
            "--manifest", str(tmp_path / "q.json"))  # fmt: skip


def dataset(tmp_path, documents, attributes):
    return (f"{SCRIPTS}/make_dataset.py", "--name", "x", "--documents",
            str(documents), "--attributes-per-doc", str(attributes), "--vocab",
            f"{ROOT}/resources/vocab", "--out-dir", str(tmp_path / "x"))  # fmt: skip


def witness(tmp_path, k, max_n):
    return (f"{SCRIPTS}/witness.py", "--construction", "trig_moment", "--k", str(k),
            "--precision", "float64", "--placements", "best", "--max-n", str(max_n),
            "--scan-limit", "1", "--out", str(tmp_path / "w.json"))  # fmt: skip


JOBS = {  # job: (its command at a bare size, at a large one; bytes the estimate gives)
    "qrels k=2": (lambda t: qrels(t, 10, 2), lambda t: qrels(t, 4000, 2),
                  QRELS_BYTES * math.comb(4000, 2) * 2, qrels_job_mb(4000, 2)),
    "qrels k=4": (lambda t: qrels(t, 10, 4), lambda t: qrels(t, 90, 4),
                  QRELS_BYTES * math.comb(90, 4) * 4, qrels_job_mb(90, 4)),
    "dataset": (lambda t: dataset(t, 46, 50), lambda t: dataset(t, 20000, 200),
                DATASET_BYTES * (20000 * 200 + 1000 * 2),
                dataset_job_mb(20000, 1000, 2, 200)),
    "witness": (lambda t: witness(t, 4, 9), lambda t: witness(t, 4, 60),
                WITNESS_BYTES * math.comb(60, 4) * 4, witness_job_mb(4, 60)),
}  # fmt: skip


@pytest.mark.parametrize("job", JOBS)
def test_each_job_that_grows_with_its_problem_declares_what_it_uses(tmp_path, job):
    """The process's peak stays under the mem_mb its rule declares, and what
    its arrays add to a bare run stays under the estimate with its headroom."""
    bare, large, estimate, declared = JOBS[job]
    base = peak_mb(*bare(tmp_path))
    peak = peak_mb(*large(tmp_path))
    assert peak <= declared
    assert (peak - base) * MB <= HEADROOM * estimate
    assert (peak - base) * MB >= estimate / 4  # the estimate is of this job
