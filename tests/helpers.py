"""Helpers that several test files share (not a test file itself): the real
Snakemake on tiny configs, the config's schema and vocabulary."""

import glob
import importlib.metadata
import json
import math
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, SCRIPTS
from embedding_limits.config.schema import read_yaml

SCHEMA_PATH = os.path.join(ROOT, "workflow", "schemas", "config.schema.yaml")
SCHEMA = read_yaml(SCHEMA_PATH)
VOCAB = os.path.join(ROOT, "resources", "vocab")
BIN = os.path.dirname(sys.executable)
TINY = {
    "dims": [3, 4],
    "ks": [2],
    "seeds": [0, 1],
    "device": "cpu",
    "optimizer": {"max_steps": 2000, "patience": 200},
    "search": {"sweep": [-1, 1]},
    "datasets": {},
}
# The figures of the critical-n tables: one job each of the figure rule, which
# planned_jobs counts by figure (figure_<name>).
N_FIGURES = {
    f"figure_{name}": 1
    for name in ("accuracy_vs_n", "critical_n_vs_d", "extrapolation", "protocols_vs_d")
}


def finished_run(tmp_path_factory, name: str, config: dict):
    """A folder of its own in which ``config``'s default target has run:
    what a module-scoped fixture shares between its tests."""
    workdir = tmp_path_factory.mktemp(name)
    snakemake(workdir, config=config)
    return workdir


def snakemake(workdir, *args, config=None, check=True, timeout=600, path=None,
              ulimit_kb=None, env=None, cwd=None):  # fmt: skip
    """The venv's snakemake, unactivated: its bin/ is not on PATH (``path``);
    under ``ulimit -v ulimit_kb`` when given; ``env``: variables set for it;
    ``cwd``: where relative paths of ``args`` are read from."""
    if config is not None:
        (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "PATH": path or os.environ["PATH"], **(env or {})}
    limit = (
        ["bash", "-c", f'ulimit -v {ulimit_kb} && exec "$0" "$@"'] if ulimit_kb else []
    )
    done = subprocess.run(
        [*limit, os.path.join(BIN, "snakemake"), "-s", os.path.join(ROOT, "Snakefile"),
         "--directory", str(workdir), "--cores", "2", *args],
        capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd,
    )  # fmt: skip
    if check:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def run_file(d, n, protocol="published", k=2):
    return f"results/runs/protocol~{protocol}/k~{k}/d~{d}/n~{n}.json"


def search_summary(workdir, d, k=2):
    """The newest search summary of (k, d)."""
    folder = workdir / f"results/search/protocol~published/k~{k}/d~{d}"
    paths = sorted(folder.glob("*.json"),
                   key=lambda p: p.stat().st_mtime_ns)  # fmt: skip
    return json.loads(paths[-1].read_text())


def planned_jobs(workdir, overrides=None) -> dict[str, int]:
    """Rule -> job count of a dry run, with ``overrides`` as an extra config file."""
    extra = []
    if overrides:
        (workdir / "override.yaml").write_text(yaml.safe_dump(overrides))
        extra = [
            "--configfile",
            str(workdir / "config.yaml"),
            str(workdir / "override.yaml"),
        ]
    out = snakemake(workdir, "-n", *extra).stdout
    if "Nothing to be done" in out:
        return {}
    return job_counts(out)


def job_counts(out: str) -> dict[str, int]:
    """Rule -> job count, from Snakemake's job stats (of a run or a dry run);
    the figure rule's jobs counted by the figure each draws (figure_<name>)."""
    table = out.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    rows = [line.split() for line in table.strip().splitlines()[2:]]
    jobs = {rule: int(count) for rule, count in rows if rule != "total"}
    drawn = re.findall(r"rule figure:\n(?:[ \t]+\S.*\n)*?[ \t]+wildcards: figure=(\S+)",
                       out)  # fmt: skip
    if jobs.pop("figure", 0) != len(drawn):
        raise AssertionError(f"figure jobs not all listed: {drawn}")
    for name in drawn:
        jobs[f"figure_{name}"] = jobs.get(f"figure_{name}", 0) + 1
    return jobs


# -- the lock files and the conda envs -------------------------------------
def normal(name: str) -> str:
    """A package name as pip compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: str) -> dict[str, str]:
    pins = {}
    for line in open(path):
        line = line.split("#", 1)[0].split(";", 1)[0].strip()  # no marker
        if "==" in line:
            name, version = line.split("==")
            pins[normal(name)] = version
    return pins


# requirements.lock, and the extras of GPU=1 and ST=1 (and the image's CUDA torch)
LOCKS = ("requirements.lock", "requirements-cuda12.lock", "requirements-st.lock",
         "requirements-st-cuda.lock")  # fmt: skip
LOCK = {
    name: version
    for lock in LOCKS
    for name, version in read_pins(os.path.join(ROOT, lock)).items()
}


def require_locked_versions(*packages: str) -> None:
    """Skip, with the reason, where the installed versions are not the lock's
    (e.g. a GPU machine's own JAX): bit-exact claims hold for the lock only."""
    here = {p: importlib.metadata.version(p) for p in packages}
    locked = {p: LOCK[normal(p)] for p in packages}
    if here != locked:
        pytest.skip(f"bit-exact checks hold for the lock's versions {locked}; "
                    f"this environment has {here}")  # fmt: skip


# rules that pick their conda env per job (optimize.smk: by d and device;
# embedders.smk: by backend), and the light rules' one env
PER_JOB = {
    "OPTIMIZE_JOBS.conda_env": ("jax-cpu", "jax-cuda12"),
    "EMBED_JOBS.conda_env": ("embedders", "sentence-transformers"),
    "ANALYSIS_ENV": ("analysis",),  # common.smk's one constant for the light rules
}


def scripts_by_env() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in glob.glob(os.path.join(ROOT, "workflow", "rules", "*.smk")):
        for block in re.split(r"\n(?=(?:rule|checkpoint) )", open(path).read()):
            scripts = set(re.findall(r"(?i)scripts}?/(\w+\.py)", block))
            names = re.findall(r"(?:envs|ENVS})/([\w-]+)\.yaml", block)
            for marker, per_job in PER_JOB.items():
                if marker in block:
                    names += per_job
            for name in names:
                found.setdefault(name, set()).update(scripts)
    return found


# A job that a container runs beside the host (test_containers, test_cuda_image)
JOB = ["--d", "3", "--n", "8", "--seeds", "0", "1", "--device", "cpu",
       "--protocol", "max_steps=3000", "patience=300"]  # fmt: skip


def result(path):
    """What a job found, without its timings (the published per-seed
    ``optimization_duration_seconds`` sits among the metrics)."""
    doc = json.loads(open(path).read())
    for seed in doc["metrics"]["seeds"]:
        del seed["optimization_duration_seconds"]
    return {key: doc[key] for key in ("parameters", "metrics", "curves")}


def job_here_and_in(image, env, tmp_path, podman_options=()):
    """The job run on the host, then in ``image`` (the checkout mounted
    read-only): the two result files, for the same machine's comparison.
    The host's XLA_FLAGS go into the image too: they decide the bits."""
    script = "workflow/scripts/optimize.py"
    flags = os.environ.get("XLA_FLAGS")
    podman_options = [*podman_options, *(["-e", f"XLA_FLAGS={flags}"] if flags else [])]
    host = subprocess.run(
        [sys.executable, script, *JOB, "--out", str(tmp_path / "host.json")],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert host.returncode == 0, host.stderr
    inside = subprocess.run(
        ["podman", "run", "--rm", *podman_options, "-v", f"{ROOT}:/src:ro",
         "-v", f"{tmp_path}:/out", "-w", "/src",
         image, "python", script, *JOB, "--out", "/out/image.json"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert inside.returncode == 0, inside.stderr
    return tmp_path / "host.json", tmp_path / "image.json"


def run_document(d, n, solved_by_seed, protocol="published", margin=-0.1):
    """A result file's content as the tables read it: each seed solved or not
    (seed s's final margin is margin + s / 100)."""
    seeds = [
        {"seed": s, "num_queries": math.comb(n, 2), "solved": ok,
         "max_accuracy": 1.0 if ok else 0.9, "final_accuracy": 1.0 if ok else 0.8,
         "final_margin": margin + s / 100, "steps_run": 100,
         "stop_reason": "solved" if ok else "early_stopped"}
        for s, ok in solved_by_seed.items()
    ]  # fmt: skip
    return {
        "parameters": {"protocol": {"name": protocol}, "k": 2, "d": d, "n": n},
        "metrics": {"seeds": seeds},
        "timing": {"total_seconds": 2.0},
    }


def d_of_n_search(n, thresholds, tested, window, after=None, limit=1024,
                  memory=False, protocol="published"):  # fmt: skip
    """A smallest-d search's summary and documents: seed s solves d >= its
    threshold; ``tested`` in the search's order."""
    docs = [run_document(d, n, {s: d >= t for s, t in thresholds.items()}, protocol)
            for d in tested]  # fmt: skip
    solved = [d for d in tested if any(d >= t for t in thresholds.values())]
    summary = {"protocol": protocol, "subject": f"k~2/n~{n}",
               "critical_d": min(solved, default=None), "window": list(window),
               "settings": {"start": 1, "window": 8, "limit": limit},
               "capped_by_memory": memory,
               "after": None if after is None else {"n": after}}  # fmt: skip
    return summary, docs


def library_submodules(text: str) -> set[str]:
    """The library's modules imported by name from a package of it
    (``from embedding_limits.embedders import vectors``)."""
    found = set()
    for package, names in re.findall(r"^from (embedding_limits[\w.]*) import ([\w, ]+)",
                                     text, re.M):  # fmt: skip
        for name in (n.split(" as ")[0].strip() for n in names.split(",")):
            module = f"{package}.{name}"
            if os.path.exists(os.path.join(SCRIPTS, *module.split(".")) + ".py"):
                found.add(module)
    return found


def readme_report_commands() -> list[list[str]]:
    """The README's `snakemake ... --report` command lines, as arguments."""
    commands = []
    for line in open(f"{ROOT}/README.md", encoding="utf-8"):
        if line.startswith(".venv/bin/snakemake ") and "--report" in line:
            commands.append(shlex.split(line.split("#")[0])[1:])
    return commands
