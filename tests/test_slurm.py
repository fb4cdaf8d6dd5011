"""The workflow through a real single-node SLURM cluster (tests/slurm_cluster.py).

These tests need root and apt (to install and start SLURM). Where they cannot
run they are skipped with the reason; with REQUIRE_SLURM=1 (set by .ci/run)
that skip is a failure instead.
"""

import glob
import json
import os
import re

import pandas as pd
import pytest

from conftest import ROOT
from slurm_cluster import LocalSlurm, SlurmUnavailable
from test_workflow import snakemake

pytestmark = pytest.mark.slurm
PROFILE = os.path.join(ROOT, "tests", "slurm_profile")
TINY = {
    "dims": [3],
    "seeds": [0],
    "device": "cpu",
    "optimizer": {"max_steps": 2000, "patience": 200},
    "search": {"sweep": [-1, 1]},
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
    for path in glob.glob(str(workdir / "results/runs/k~2/d~*/n~*.json")):
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
    snakemake(cluster_dir, "--profile", PROFILE, config=TINY)
    pd.testing.assert_frame_equal(comparable(local), comparable(cluster_dir))
    finished = cluster.finished_jobs()
    environments = results_by_job(cluster_dir)
    assert environments
    for env in environments.values():
        job = finished[env["slurm_job_id"]]  # each job went through SLURM ...
        assert job["JobState"] == "COMPLETED" and job["Partition"] == "cpu"
    for env in results_by_job(local).values():
        assert env["slurm_job_id"] is None  # ... and the local run's did not


def test_gpu_min_dim_sends_large_d_to_the_gpu_partition(cluster, tmp_path):
    grid = {"grid": {3: [4, 5], 4: [8, 9]}}  # no search: all four jobs at once
    config = {
        **TINY,
        "dims": [3, 4],
        "device": "auto",
        "gpu_min_dim": 4,
        "search": grid,
    }
    done = snakemake(tmp_path, "--profile", PROFILE, "--verbose", config=config)
    calls = re.findall(r"sbatch call: (.*)", done.stdout + done.stderr)
    optimise_calls = [c for c in calls if "rule_optimize" in c or "optimize" in c]
    assert optimise_calls, "no sbatch call of the optimize rule was logged"
    for call in optimise_calls:
        d = int(re.search(r"d[~=](\d+)", call).group(1))
        assert ("--gpus=1" in call) == ("-p gpu" in call) == (d >= 4), call
    environments = results_by_job(tmp_path)
    assert {d for d, _ in environments} == {3, 4}
    for (d, _), env in environments.items():
        expected = ("gpu", "0") if d >= 4 else ("cpu", None)
        assert (env["slurm_partition"], env["cuda_visible_devices"]) == expected
        assert env["backend"] == "cpu"  # a fake GPU: JAX falls back (device auto)
