"""The optimize.py entry point, run as a user runs it (a subprocess)."""

import json
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT, SCRIPTS, TOOLS, has_gpu
from embedding_limits.config.protocol import Protocol
from embedding_limits.data.qrels import Qrels, save_qrels
from embedding_limits.store.documents import load_run

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
    protocol = doc["parameters"]["protocol"]
    assert protocol["name"] == "published" and protocol["learning_rate"] == 0.01
    assert protocol["patience"] == 1000 and protocol["precision"] == "default"
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
    assert env["backend"] == "cpu" and env["precision"] == "default" and env["jax"]
    assert env["matmul"].startswith("float32")
    assert os.listdir(out.parent) == ["n~6.json"]
    assert out.stat().st_mode & 0o777 == 0o666 & ~current_umask()


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


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("batching", ["sequential", "vmap"])
def test_each_seed_records_its_own_time_and_the_compile_once(tmp_path, batching):
    """optimization_duration_seconds was the whole job's time, compile
    included, for every seed. In turn (a CPU's default), each seed is timed
    alone: at (d=4, n=10) seed 5 runs 4x the steps of seed 2 and takes longer;
    batched with vmap, the seeds share the batch's time. Either way the seeds'
    times add up to the run's, and compile_seconds is recorded once."""
    out = tmp_path / "r.json"
    done = optimize("--d", 4, "--n", 10, "--seeds", 0, 2, 5, "--device", "cpu",
                    "--seed-batching", batching, "--out", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = load_run(str(out))
    timing, seeds = doc["timing"], doc["metrics"]["seeds"]
    seconds = {s["seed"]: s["optimization_duration_seconds"] for s in seeds}
    steps = {s["seed"]: s["steps_run"] for s in seeds}
    assert sum(seconds.values()) == pytest.approx(timing["run_seconds"], abs=0.02)
    assert timing["compile_seconds"] > 0
    assert max(seconds.values()) < timing["compile_seconds"] + timing["run_seconds"]
    if batching == "sequential":
        assert steps[5] > 3 * steps[2] and seconds[5] > seconds[2]
        assert timing["seed_timing"].startswith("each seed's own run, timed alone")
    else:
        assert len(set(seconds.values())) == 1
        assert timing["seed_timing"].startswith("the batch's run time over its seeds")


def test_a_protocol_of_ones_own(tmp_path):
    out = tmp_path / "sigmoid.json"
    done = optimize("--d", 4, "--n", 6, "--seeds", 0, "--device", "cpu", "--protocol",
                    "name=sigmoid", "loss=sigmoid", "learn_temperature=true",
                    "schedule=warmup_cosine", "max_steps=3000", "min_delta=1e-6",
                    "success=margin", "--out", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = load_run(str(out))
    protocol = doc["parameters"]["protocol"]
    assert (protocol["loss"], protocol["temperature"]) == ("sigmoid", 1.0)
    assert protocol["min_delta"] == 1e-6 and protocol["success"] == "margin"
    seed = doc["metrics"]["seeds"][0]
    assert seed["temperature"] != 1.0 and "sigmoid d=4" in done.stderr
    assert seed["solved"] == (seed["final_margin"] > 0)


def test_the_workflows_protocol_document_runs_as_its_words_do(tmp_path):
    """--protocol-json (the workflow's form) and --protocol KEY=VALUE (the
    people's) describe the same job: the same protocol in the result, and the
    same trajectory to the last bit."""
    protocol = Protocol(name="mine", max_steps=300, learning_rate=0.02)
    words, document = tmp_path / "words.json", tmp_path / "document.json"
    common = ("--d", 3, "--n", 5, "--seeds", 0, "--device", "cpu")
    done = optimize(*common, "--protocol", *protocol.options(), "--out", words)
    assert done.returncode == 0, done.stderr
    done = optimize(*common, "--protocol-json", protocol.to_json(), "--out", document)
    assert done.returncode == 0, done.stderr
    first, second = load_run(str(words)), load_run(str(document))
    assert first["parameters"] == second["parameters"]
    assert first["parameters"]["protocol"] == protocol.to_dict()
    assert first["curves"] == second["curves"]


def test_a_result_of_other_settings_is_not_named_published(tmp_path):
    """--protocol max_steps=5 is no longer the published protocol: its result
    says custom (unless name= says otherwise), and its label too."""
    out = tmp_path / "r.json"
    done = optimize("--d", 3, "--n", 4, "--seeds", 0, "--device", "cpu",
                    "--protocol", "max_steps=5", "--out", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    protocol = load_run(str(out))["parameters"]["protocol"]
    assert protocol["name"] == "custom" and protocol["max_steps"] == 5
    assert "custom d=3 k=2 n=4" in done.stderr


BAD = [
    (["--d", 4, "--n", 6, "--k", 0], "--k", "must be >= 1"),
    (["--d", 4, "--n", 6, "--k", 6], "--k", "smaller than n"),
    (["--d", 0, "--n", 6], "--d", ">= 1"),
    (["--d", 4, "--n", 1, "--k", 1], "--n", "at least 2"),
    (["--d", 4.5, "--n", 6], "--d", "invalid int value"),
    (["--d", 4, "--n", "ten"], "--n", "invalid int value"),
    (["--d", 4, "--n", 6, "--protocol", "max_steps=0"], "max_steps", "integer in 1.."),
    (["--d", 4, "--n", 6, "--protocol", "learning_rate=-1"], "learning_rate", "posit"),
    (["--d", 4, "--n", 6, "--protocol", "loss=cosine"], "loss", "one of infonce"),
    (["--d", 4, "--n", 6, "--protocol", "colour=red"], "colour", "KEY=VALUE"),
    (["--d", 4, "--n", 6, "--protocol", "learning_rate=0.01", "learning_rate=5"],
     "learning_rate", "given twice (learning_rate=0.01, learning_rate=5)"),
    (["--d", 4, "--n", 6, "--protocol", "loss=hinge", "learn_temperature=true"],
     "learn_temperature", "no temperature"),
    (["--d", 4, "--n", 6, "--protocol", "schedule=onecycle", "max_steps=3"],
     "pct_start", "must exceed 1"),
    (["--d", 4, "--n", 6, "--seeds", 2**31], "--seeds", "0..2147483647"),
    (["--d", 4, "--n", 6, "--device", "tpu"], "--device", "invalid choice"),
    (["--d", 4, "--n", 200000], "--max-queries", "GiB"),
    (["--d", 4], "--n", "required"),
    (["--d", 4, "--n", 6, "--protocol-json", '{"lr": 1}'], "--protocol-json: lr",
     "is not a protocol setting"),
    (["--d", 4, "--n", 6, "--protocol-json", "{"], "--protocol-json", "not JSON"),
    (["--d", 4, "--n", 6, "--protocol-json", "{}", "--protocol", "max_steps=3"],
     "--protocol", "not allowed with argument"),
]  # fmt: skip


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


def test_the_memory_advice_works(tmp_path):
    """The advice for a job that cannot fit names a --max-queries that runs,
    and that run lists no more than its sample (no n x n array on the way)."""
    done = optimize("--d", 4, "--n", 200000, "--device", "cpu", "--out", tmp_path / "x")
    advice = re.search(r"--max-queries (\d+)", done.stderr)
    assert done.returncode == 2 and advice, done.stderr
    out = tmp_path / "capped.json"
    cap = min(int(advice[1]), 10)
    capped = optimize("--d", 4, "--n", 200000, "--device", "cpu", "--max-queries",
                      cap, "--protocol", "max_steps=3", "--out", out)  # fmt: skip
    assert capped.returncode == 0, capped.stderr
    assert load_run(str(out))["metrics"]["seeds"][0]["num_queries"] == 10


@pytest.mark.parametrize("target", ["a directory", "under a file"])
def test_an_unwritable_out_fails_before_any_work(tmp_path, target):
    """Checked before optimising (the old CLI failed after the whole run)."""
    out = tmp_path / "out.json"
    if target == "a directory":
        out.mkdir()
    else:  # no one, root included, can make a file inside a file
        (tmp_path / "file").write_text("")
        out = tmp_path / "file" / "out.json"
    started = time.monotonic()
    done = optimize("--d", 4, "--n", 6, "--out", out)
    assert done.returncode == 2 and "argument --out: cannot write" in done.stderr
    assert "Traceback" not in done.stderr and time.monotonic() - started < 30


def test_a_qrels_file_must_agree_with_k(tmp_path):
    qrels = tmp_path / "triples.npz"
    save_qrels(str(qrels), Qrels(np.array([[0, 1, 2], [1, 2, 3]], np.int32), 5, "hand"))
    out = tmp_path / "r.json"
    done = optimize("--d", 3, "--qrels", qrels, "--k", 2, "--out", out)
    assert done.returncode == 2 and "argument --k: 2" in done.stderr
    assert "[3] relevant documents" in done.stderr and not out.exists()
    corrupt = tmp_path / "bad.npz"
    corrupt.write_bytes(b"no zip")
    done = optimize("--d", 3, "--qrels", corrupt, "--out", out)
    assert "not a readable .npz" in done.stderr and "pickle" not in done.stderr


@pytest.mark.parametrize(
    "relevant,message",
    [
        ([[0, 1], [2, 2]], "query 1 lists document 2 twice ([2, 2])"),
        ([[0.0, 1.7], [2.0, 3.0]], "'relevant' has dtype float64"),
        (None, "a .npz without 'relevant', so not a qrels file (it holds"),
    ],
    ids=["a document twice", "float indices", "no relevant"],
)
def test_malformed_qrels_fail_before_any_work(tmp_path, relevant, message):
    """A query listing one document twice used to be 'solved'; float indices
    were truncated; a .npz without 'relevant' got a garbled message."""
    path = tmp_path / "q.npz"
    fields = {"num_docs": np.int64(5), "source": np.str_("hand")}
    if relevant is not None:
        fields["relevant"] = np.asarray(relevant)
    np.savez(path, **fields)
    out = tmp_path / "r.json"
    done = optimize("--d", 3, "--qrels", path, "--device", "cpu", "--out", out)
    assert done.returncode == 2 and not out.exists()
    assert f"argument --qrels: {path}: {message}" in done.stderr, done.stderr
    assert done.stderr.count("error") == 1


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


@pytest.mark.skipif(has_gpu(), reason="a GPU is present: make gpu-check would run")
def test_gpu_check_says_plainly_that_it_needs_a_gpu(tmp_path):
    report = tmp_path / "gpu-check.md"
    done = subprocess.run(
        [sys.executable, os.path.join(TOOLS, "gpu_check.py"), "--report", report],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2 and "no GPU visible to JAX" in done.stderr
    assert "make venv GPU=1" in done.stderr and not report.exists()


def test_the_deterministic_gpu_mode_is_passed_to_xla_and_recorded(tmp_path):
    out = tmp_path / "r.json"
    done = optimize("--d", 3, "--n", 5, "--device", "cpu", "--deterministic",
                    "--protocol", "max_steps=200", "--out", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = load_run(str(out))
    assert doc["parameters"]["deterministic"] is True
    env = doc["environment"]
    assert (
        env["deterministic_gpu_ops"]
        and "--xla_gpu_deterministic_ops=true" in env["xla_flags"]
    )
