"""Memory checks ask the right question: the job's own limit, not the host's."""

from types import SimpleNamespace

import pytest

from free_embedding.devices import DeviceError, check_fits, device_limit
from free_embedding.memory import (
    cgroup_limit,
    cpu_job_limit,
    required_bytes,
    slurm_limit,
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
