"""Memory checks ask the right question: the job's own limit, not the host's;
and every job that grows with its problem declares at least what it uses."""

import math
import re
import subprocess
import sys
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import pytest

from conftest import ROOT, SCRIPTS
from embedding_limits.config.loss_facts import LOSS_FACTS, TERMS, LossFacts
from embedding_limits.config.protocol import Protocol
from embedding_limits.data.qrels import combinations_qrels
from embedding_limits.free_embedding.devices import (
    DeviceError,
    check_fits,
    device_limit,
)
from embedding_limits.free_embedding.job import relevance_of
from embedding_limits.free_embedding.losses import LOSSES
from embedding_limits.memory.budget import largest_n
from embedding_limits.memory.limits import (
    cgroup_limit,
    cpu_job_limit,
    machine_limit,
    slurm_limit,
)
from embedding_limits.memory.sizes import (
    DATASET_BYTES,
    HEADROOM,
    MB,
    QRELS_BYTES,
    TRIPLE_BYTES,
    WITNESS_BYTES,
    dataset_job_mb,
    largest_fitting,
    qrels_job_mb,
    required_bytes,
    size,
    witness_job_mb,
)
from helpers import TINY, search_summary, snakemake

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


# -- what a loss's terms span ---------------------------------------------------
def largest_array(jaxpr) -> int:
    """The most elements of any value a jaxpr computes, its sub-jaxprs included."""
    sizes = [0]
    for eqn in jaxpr.eqns:
        sizes += [math.prod(getattr(v.aval, "shape", ())) for v in eqn.outvars]
        for param in eqn.params.values():
            for sub in param if isinstance(param, (tuple, list)) else (param,):
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    sizes.append(largest_array(inner))
    return max(sizes)


@pytest.mark.parametrize("loss", LOSS_FACTS)
def test_a_losss_memory_kind_is_what_its_arrays_span(loss):
    """memory/sizes.py sizes a job by its loss's ``terms`` (loss_facts): a loss whose
    value or gradient makes (query, relevant, document) arrays must say
    "triples", or its jobs are declared too small."""
    q, r, n = 20, 3, 6  # every 3-subset of 6 documents
    relevance = relevance_of(combinations_qrels(n, r).relevant, n)
    p = Protocol(loss=loss)
    value = lambda s: LOSSES[loss](s, relevance, p.temperature, p)  # noqa: E731
    scores = jnp.zeros((q, n), jnp.float32)
    spans = largest_array(jax.make_jaxpr(jax.value_and_grad(value))(scores).jaxpr)
    assert q * n <= spans <= q * r * n
    assert LOSS_FACTS[loss].terms == ("triples" if spans > q * n else "pairs")


def test_a_loss_cannot_be_added_without_its_memory_kind():
    """``terms`` has no default: a loss's facts without it fail at import."""
    with pytest.raises(TypeError, match="terms"):
        LossFacts(start_temperature=1.0)
    with pytest.raises(ValueError, match="terms"):
        LossFacts(terms="quads")
    assert set(TRIPLE_BYTES) == set(TERMS)


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


# -- the workflow: refused before any job, searches capped, jobs sharing memory ---
def nothing_ran(workdir) -> bool:
    return not (workdir / "results").exists() and not (workdir / "logs").exists()


@pytest.mark.workflow
def test_a_grid_n_that_cannot_fit_is_refused_before_any_job(tmp_path):
    """The issue's c.yaml, as typed: the qrels job of n = 100000 used to die
    allocating 18.6 GiB (ulimit -v 6000000) or meet the OOM killer."""
    config = {"dims": [3], "seeds": [0], "datasets": {}, "device": "cpu",
              "search": {"grid": {3: [100000]}}}  # fmt: skip
    done = snakemake(tmp_path, config=config, check=False, ulimit_kb=6_000_000)
    out = done.stdout + done.stderr
    assert done.returncode != 0 and nothing_ran(tmp_path)
    assert "search.grid.3: n = 100000 (k = 2, protocol published) needs 17.3 PiB" in out
    assert "one job may have 5.7 GiB here (the address-space limit (ulimit -v))" in out
    assert "MemoryError" not in out


@pytest.mark.workflow
def test_a_first_guess_far_past_what_fits_starts_at_the_largest_n_that_does(tmp_path):
    """dims [65536], start auto: the paper's cubic guesses n = 1,041,681,016,287
    (3.79 TiB of qrels), above any max_n: refused before any job. At d = 280
    the guess (86,417) is below max_n but far past what fits: the first probe
    is the largest n that fits instead."""
    huge = {"dims": [65536], "seeds": [0], "datasets": {}, "device": "cpu"}
    refused = snakemake(tmp_path, "-n", config=huge, check=False)
    assert refused.returncode != 0
    said = refused.stdout + refused.stderr
    assert "search.start: auto's first guess exceeds search.max_n" in said
    config = {**huge, "dims": [280]}
    out = snakemake(tmp_path, "-n", "--resources", "mem_mb=4000", config=config).stdout
    fit = largest_n(4000, 2, 280, Protocol(), 100_000)  # the published one
    assert re.findall(r"output: results/runs/\S+/n~(\d+)\.json", out) == [str(fit)]
    assert "start~86417_" in out  # the setting, as the summary names it
    declared = [int(mb) for mb in re.findall(r"mem_mb=(\d+)", out)]
    assert declared and max(declared) <= 4000


@pytest.mark.workflow
def test_a_search_stopped_by_memory_says_so_and_is_not_forgotten(tmp_path):
    """d = 64 with 1501 MB per job: every n fits up to 29, and 29 is solved, so
    the search ends there; the summary says memory stopped it. Run again with
    the machine's memory, the workflow says which file to delete to go on."""
    config = {**TINY, "dims": [64], "seeds": [0]}
    snakemake(tmp_path, "--resources", "mem_mb=1501", config=config)
    summary = search_summary(tmp_path, 64)
    assert summary["capped_by_memory"] and summary["memory_limit"] == 29
    assert summary["critical_n"] == 29 and summary["sweep_values"] == [28, 29]
    again = snakemake(tmp_path, "-n")
    assert "memory stopped it at n = 29; here n = " in again.stdout + again.stderr


@pytest.mark.workflow
def test_the_witness_stage_is_refused_before_any_job(tmp_path):
    """witnesses ks [16] used to pass validation and die allocating 69.5 GiB;
    a k whose first check does not fit this run's memory is refused by size."""
    target = "results/witnesses/moment/k~16/float64.json"
    config = {"dims": [3], "datasets": {}, "witnesses": {
        "ks": [16], "constructions": ["moment"], "precisions": ["float64"],
        "placements": "best"}}  # fmt: skip
    done = snakemake(tmp_path, target, config=config, check=False, ulimit_kb=8_000_000)
    assert done.returncode != 0 and nothing_ran(tmp_path)
    assert "witnesses.ks[0]: 16 is greater than the maximum of 12" in done.stderr
    config["witnesses"]["ks"] = [11]
    done = snakemake(tmp_path, "witnesses", "--resources", "mem_mb=3000",
                     config=config, check=False)  # fmt: skip
    assert done.returncode != 0 and nothing_ran(tmp_path)
    assert ("witnesses.ks[0]: k = 11: its first check, n = 23 (1,352,078 queries), "
            "needs 4.1 GiB; k <= 10 fits") in done.stderr  # fmt: skip


@pytest.mark.workflow
def test_a_local_run_shares_the_machines_memory_between_its_jobs(tmp_path):
    """Without --resources mem_mb, a local run's mem_mb is the machine's memory
    (so jobs run together only as far as it holds); given, it is the limit."""
    config = {"dims": [3], "datasets": {}}
    target = "results/qrels/k~2/n~4.npz"  # one small job, no JAX
    done = snakemake(tmp_path, target, config=config)
    out = done.stdout + done.stderr
    machine = machine_limit()[0] // MB
    assert f'Provided resources: mem_mb=Resource("mem_mb", {machine})' in out
    assert f"mem_mb={qrels_job_mb(4, 2)}," in out
    (tmp_path / target).unlink()
    done = snakemake(tmp_path, target, "--resources", "mem_mb=3000")
    assert 'Provided resources: mem_mb=Resource("mem_mb", 3000)' in done.stderr
