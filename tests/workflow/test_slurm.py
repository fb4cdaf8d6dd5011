"""The workflow through a real single-node SLURM cluster (tests/slurm_cluster.py).

They run the shipped profiles/slurm as a user would, overriding on the command
line only what a site must set: the account (this cluster has none) and the
status command (it has no accounting database, so sacct cannot answer); and,
since its jobs end in seconds, the first status check comes after 2 s, not
the plugin's 40 (only the wait changes, not what is submitted or checked).

These tests need root and apt (to install and start SLURM). Where they cannot
run they are skipped with the reason; with REQUIRE_SLURM=1 (set by .ci/run)
that skip is a failure instead.
"""

import glob
import json
import os
import re
import time

import pandas as pd
import pytest

from conftest import ROOT
from helpers import snakemake
from slurm_cluster import LocalSlurm, SlurmUnavailable

pytestmark = pytest.mark.slurm
PROFILE = os.path.join(ROOT, "profiles", "slurm")
SITE = ["--slurm-no-account", "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2"]  # fmt: skip
TINY = {  # an explicit grid: every job is submitted at once
    "dims": [3],
    "seeds": [0],
    "device": "cpu",
    "optimizer": {"max_steps": 2000, "patience": 200},
    "search": {"grid": {3: [4, 5, 6, 7]}},
    "datasets": {},
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        with LocalSlurm(tmp_path_factory.mktemp("slurm")) as running:
            yield running
    except SlurmUnavailable as err:
        if os.environ.get("REQUIRE_SLURM") == "1":
            pytest.fail(f"REQUIRE_SLURM=1 but no test cluster: {err}")
        pytest.skip(f"no local SLURM cluster: {err}")


def results_by_job(workdir):
    """Each result's (d, n) -> its recorded environment."""
    found = {}
    for path in glob.glob(
        str(workdir / "results/runs/protocol~published/k~2/d~*/n~*.json")
    ):
        doc = json.loads(open(path).read())
        found[(doc["parameters"]["d"], doc["parameters"]["n"])] = doc["environment"]
    return found


def comparable(workdir):
    runs = pd.read_csv(workdir / "results/tables/runs.csv")
    return runs.drop(columns=["seconds"])


def test_workflow_runs_through_slurm_and_matches_a_local_run(cluster, tmp_path):
    local, cluster_dir = tmp_path / "local", tmp_path / "slurm"
    local.mkdir(), cluster_dir.mkdir()
    snakemake(local, config=TINY)
    snakemake(cluster_dir, "--profile", PROFILE, *SITE, config=TINY)
    pd.testing.assert_frame_equal(comparable(local), comparable(cluster_dir))
    finished = cluster.finished_jobs()
    environments = results_by_job(cluster_dir)
    assert environments
    for env in environments.values():
        job = finished[env["slurm_job_id"]]  # each job went through SLURM ...
        assert job["JobState"] == "COMPLETED" and job["Partition"] == "cpu"
    for env in results_by_job(local).values():
        assert env["slurm_job_id"] is None  # ... and the local run's did not


def test_gpu_jobs_go_to_the_gpu_partition_and_fail_fast_without_cuda(cluster, tmp_path):
    """gpu_min_dim routes d >= 4 to the GPU partition with --gpus=1. The node's
    GPU is fake and JAX has no CUDA here, so those jobs must stop at once with
    the reason in their logs: a job that asked for a GPU never runs on the CPU."""
    grid = {"grid": {3: [4, 5], 4: [8, 9]}}
    config = {
        **TINY,
        "dims": [3, 4],
        "device": "auto",
        "gpu_min_dim": 4,
        "search": grid,
    }
    started = time.monotonic()
    done = snakemake(tmp_path, "--profile", PROFILE, *SITE, "--keep-going",
                     "--verbose", config=config, check=False)  # fmt: skip
    assert done.returncode != 0  # the GPU jobs failed
    calls = re.findall(r"sbatch call: (.*)", done.stdout + done.stderr)
    gpu_calls = [c for c in calls if "--gpus=1" in c]
    assert len(gpu_calls) == 2 * 2  # two GPU jobs, each tried twice (retries: 1)
    assert all("-p gpu" in c for c in gpu_calls)
    assert all("-p cpu" in c for c in calls if c not in gpu_calls)
    for n in (8, 9):
        log = (tmp_path / f"logs/runs/protocol~published/k~2/d~4/n~{n}.log").read_text()
        assert "--device gpu" in log and "CUDA" in log, log
        assert not (
            tmp_path / f"results/runs/protocol~published/k~2/d~4/n~{n}.json"
        ).exists()
    environments = results_by_job(tmp_path)
    assert set(environments) == {(3, 4), (3, 5)}
    for env in environments.values():
        assert env["slurm_partition"] == "cpu" and env["cuda_visible_devices"] is None
    assert time.monotonic() - started < 600
