"""The optimize.py entry point, run as a user runs it (a subprocess)."""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT, SCRIPTS, has_gpu
from free_embedding.qrels import Qrels, save_qrels
from free_embedding.results import load_run

SCRIPT = os.path.join(SCRIPTS, "optimize.py")


def optimize(*args, cwd=ROOT, env=None):
    return subprocess.run(
        [sys.executable, SCRIPT, *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=env,
    )  # fmt: skip


def test_writes_one_complete_result_json(tmp_path):
    out = tmp_path / "runs" / "k~2" / "d~4" / "n~6.json"
    done = optimize(
        "--d", 4, "--n", 6, "--seeds", 0, 1, "--device", "cpu", "--out", out
    )
    assert done.returncode == 0, done.stderr
    assert "steps/s" in done.stderr and "loss" in done.stderr and "acc" in done.stderr
    doc = load_run(str(out))
    assert (
        doc["parameters"] | {"d": 4, "n": 6, "k": 2, "seeds": [0, 1]}
        == doc["parameters"]
    )
    assert (
        doc["parameters"]["learning_rate"] == 0.01
        and doc["parameters"]["patience"] == 1000
    )
    assert doc["metrics"]["any_solved"] and doc["metrics"]["seeds_solved"] == [0, 1]
    for seed in doc["metrics"]["seeds"]:
        assert seed["solved"] and seed["stop_reason"] == "solved"
        for published in ("final_accuracy", "max_accuracy_observed", "final_loss",
                          "best_loss_monitored", "actual_q_generated",
                          "optimization_duration_seconds"):  # fmt: skip
            assert published in seed
        assert seed["actual_q_generated"] == seed["num_queries"] == 15
    curve = doc["curves"][0]
    assert curve["steps"][0] == 0 and curve["accuracies"][-1] == 1.0
    assert len(curve["steps"]) == len(curve["losses"]) == len(curve["accuracies"])
    assert (
        doc["timing"]["compile_seconds"] > 0 and doc["timing"]["steps_per_second"] > 0
    )
    env = doc["environment"]
    assert env["backend"] == "cpu" and env["precision"] == "float32" and env["jax"]
    assert os.listdir(out.parent) == ["n~6.json"]


def test_optimises_a_qrels_file(tmp_path):
    qrels = tmp_path / "cycle.npz"
    save_qrels(
        str(qrels),
        Qrels(np.array([[i, (i + 1) % 7] for i in range(7)], np.int32), 7, "cycle"),
    )
    out = tmp_path / "out.json"
    done = optimize(
        "--d", 3, "--qrels", qrels, "--seeds", 0, "--device", "cpu", "--out", out
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    assert doc["parameters"]["n"] == 7 and doc["parameters"]["qrels"] == "cycle"
    assert doc["metrics"]["seeds"][0]["num_queries"] == 7


BAD = [
    (["--d", 4, "--n", 6, "--k", 0], "--k", "must be >= 1"),
    (["--d", 4, "--n", 6, "--k", 6], "--k", "smaller than n"),
    (["--d", 0, "--n", 6], "--d", ">= 1"),
    (["--d", 4, "--n", 1, "--k", 1], "--n", "at least 2"),
    (["--d", 4.5, "--n", 6], "--d", "invalid int value"),
    (["--d", 4, "--n", "ten"], "--n", "invalid int value"),
    (["--d", 4, "--n", 6, "--max-steps", 0], "--max-steps", "positive"),
    (["--d", 4, "--n", 6, "--learning-rate", -1], "--learning-rate", "positive"),
    (["--d", 4, "--n", 6, "--device", "tpu"], "--device", "invalid choice"),
    (["--d", 4, "--n", 60000, "--k", 2], "--n", "GiB"),
    (["--d", 4], "--n", "required"),
]


@pytest.mark.parametrize(
    "args,name,message", BAD, ids=[" ".join(map(str, b[0])) for b in BAD]
)
def test_bad_input_is_named_and_leaves_no_file(tmp_path, args, name, message):
    out = tmp_path / "r.json"
    done = optimize(*args, "--out", out)
    assert done.returncode != 0
    assert name in done.stderr and message in done.stderr, done.stderr
    assert done.stderr.count("error") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(has_gpu(), reason="a GPU is present, so --device gpu is valid here")
@pytest.mark.parametrize("leaked", [None, "cpu"], ids=["clean", "JAX_PLATFORMS=cpu"])
def test_gpu_without_a_gpu_fails_fast_not_on_the_cpu(tmp_path, leaked):
    """A job routed to a GPU that JAX cannot start stops at once, saying why,
    even with a JAX_PLATFORMS=cpu leaked into its environment."""
    env = {k: v for k, v in os.environ.items() if k != "JAX_PLATFORMS"}
    if leaked:
        env["JAX_PLATFORMS"] = leaked
    out = tmp_path / "r.json"
    started = time.monotonic()
    done = optimize("--d", 4, "--n", 6, "--device", "gpu", "--out", out, env=env)
    assert done.returncode == 2
    assert "--device gpu" in done.stderr and "CUDA" in done.stderr
    assert "does not fall back to the CPU" in done.stderr
    assert not out.exists() and time.monotonic() - started < 60
