# Shared definitions: paths, interpreter, wildcard constraints, input functions.

import dataclasses
import functools
import math
import os
import sys

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.settings.types import DeploymentMethod

SCRIPTS = os.path.join(workflow.basedir, "workflow", "scripts")
RESOURCES = os.path.join(workflow.basedir, "resources")
ENVS = os.path.join(workflow.basedir, "envs")

from free_embedding.memory import required_bytes  # noqa: E402
from free_embedding.limit_data import DatasetSpec  # noqa: E402
from free_embedding.results import load_run  # noqa: E402
from free_embedding.search import (  # noqa: E402
    SearchDone,
    plan_dimension_search,
    plan_search,
    start_n,
)


wildcard_constraints:
    k=r"\d+",
    d=r"\d+",
    n=r"\d+",
    settings=r"[^/]+",
    dataset=r"[A-Za-z0-9_-]+",
    source=r"k~\d+|dataset~[A-Za-z0-9_-]+",


# The interpreter of shell rules: a conda env's or an image's own python under
# --sdm conda/apptainer; otherwise the one running Snakemake (a venv's, even
# when that venv is not activated and its bin/ is not on PATH).
_DEPLOYMENT = workflow.deployment_settings.deployment_method
_ENVIRONMENTS = {DeploymentMethod.CONDA, DeploymentMethod.APPTAINER}
PYTHON = "python" if _DEPLOYMENT & _ENVIRONMENTS else sys.executable

if DeploymentMethod.APPTAINER in _DEPLOYMENT:
    _missing = [kind for kind, image in config["containers"].items() if not image]
    if _missing:
        raise WorkflowError(
            f"--sdm apptainer needs images, but config containers."
            f"{' and containers.'.join(_missing)} is not set. Build them with "
            "`make images`, then push them to a registry or turn them into .sif "
            "files, and set containers.cpu and containers.cuda12 to their "
            "docker:// URIs or paths (containers/README.md says how)."
        )

GRID = {int(d): sorted(set(ns)) for d, ns in config["search"]["grid"].items()}


def run_path(k, d, n):
    return f"results/runs/k~{k}/d~{d}/n~{n}.json"


@functools.lru_cache(maxsize=None)
def _any_solved(path, mtime_ns):
    return load_run(path)["metrics"]["any_solved"]


def any_solved(path):
    """Whether a finished job was solved by some seed. Snakemake re-runs the
    input functions after every checkpoint, so each file is parsed once per
    version (the mtime key) rather than on every replay of every search."""
    return _any_solved(path, os.stat(path).st_mtime_ns)


def search_result(k, d):
    """Replay the search over finished jobs; schedules the next one if needed.

    ``checkpoints.optimize.get`` raises until that job's result exists, so
    Snakemake runs it and asks again: the search advances one job at a time
    and the sweep's jobs run in parallel.
    """
    s = config["search"]
    start = start_n(d, k, s["start"])
    outcomes = {}
    while True:
        step = plan_search(start, k + 1, outcomes, tuple(s["sweep"]), s["max_n"])
        if isinstance(step, SearchDone):
            return step
        run = checkpoints.optimize.get(source=f"k~{k}", d=d, n=step.n).output.run
        outcomes[step.n] = any_solved(run)


def runs_of(k, d):
    """The result files of (k, d): the grid's, or every n the search ran."""
    if d in GRID:
        return [run_path(k, d, n) for n in GRID[d] if n > k]
    done = search_result(k, d)
    return [run_path(k, d, n) for n in sorted(set(done.probed) | set(done.sweep))]


def search_runs(wildcards):
    return runs_of(int(wildcards.k), int(wildcards.d))


def search_summary(wildcards):
    """What the search found for (k, d); an explicit grid has no search."""
    k, d = int(wildcards.k), int(wildcards.d)
    if d in GRID:
        return {"mode": "grid", "grid": GRID[d]}
    done = search_result(k, d)
    return {
        "mode": "search",
        "critical_n": done.critical_n,
        "upper_n": done.upper_n,
        "probed": list(done.probed),
        "sweep_n": list(done.sweep),
    }


def search_settings(wildcards):
    s = config["search"]
    return {"start": s["start"], "sweep": s["sweep"], "max_n": s["max_n"]}


def search_tag(d):
    """The search settings of d as a path segment: new settings, new summary."""
    if d in GRID:
        return "grid~" + "-".join(map(str, GRID[d]))
    s = config["search"]
    low, high = s["sweep"]
    return f"start~{s['start']}_sweep~{low}..{high}_maxn~{s['max_n']}"


# One summary per (k, d), its path naming the search settings. The tables
# depend on these static paths only, never on checkpoint-dependent inputs:
# Snakemake skips a job waiting on a checkpoint when its output already exists
# (even if its params changed), so new work must show up as a missing summary.
SUMMARIES = [
    f"results/search/k~{k}/d~{d}/{search_tag(d)}.json"
    for k in config["ks"]
    for d in config["dims"]
]


def uses_gpu(d):
    """Whether the optimisation job of dimension d requests a GPU."""
    if config["device"] == "gpu":
        return True
    min_dim = config["gpu_min_dim"]
    return config["device"] == "auto" and min_dim is not None and d >= min_dim


def job_device(wildcards):
    """--device of a job: gpu for every job that requested a GPU, so that a
    GPU that JAX cannot start is an error, never a silent CPU run; otherwise
    the config's (cpu, or auto: a GPU if JAX sees one)."""
    return "gpu" if uses_gpu(int(wildcards.d)) else config["device"]


def job_gpus(wildcards):
    return 1 if uses_gpu(int(wildcards.d)) else 0


def job_group(wildcards):
    """Small CPU jobs may share a cluster job (profile: group-components);
    a GPU job never does, so that it has its GPU to itself."""
    return None if uses_gpu(int(wildcards.d)) else "probe"


def job_mem_mb(wildcards):
    """Host memory of an optimisation job: the working set, plus JAX itself."""
    kind, value = wildcards.source.split("~", 1)
    n = int(wildcards.n)
    queries = (
        math.comb(n, int(value)) if kind == "k" else dataset_spec(value)["queries"]
    )
    need = required_bytes(len(config["seeds"]), queries, n)
    return 1500 + math.ceil(1.5 * need / 2**20)


def job_image(wildcards):
    kind = "cuda12" if uses_gpu(int(wildcards.d)) else "cpu"
    return config["containers"][kind]


def job_conda_env(wildcards):
    name = "jax-cuda12" if uses_gpu(int(wildcards.d)) else "jax-cpu"
    return f"{ENVS}/{name}.yaml"


# JAX on a shared GPU node: allocate on demand, reuse compiled programs.
JAX_ENV = (
    "XLA_PYTHON_CLIENT_PREALLOCATE=false "
    "JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-$PWD/.jax-cache}"
)


# -- LIMIT-style datasets and their critical d ------------------------------
DATASETS = list(config["datasets"])


def dataset_spec(name):
    """A dataset's settings, the generator's defaults filled in."""
    return dataclasses.asdict(DatasetSpec(name=name, **config["datasets"][name]))


def as_options(settings):
    """Settings as command-line options: {"max_steps": 5} -> "--max-steps 5"."""
    return " ".join(
        f"--{key.replace('_', '-')} {value}" for key, value in settings.items()
    )


def dataset_options(wildcards):
    spec = dataset_spec(wildcards.dataset)
    del spec["name"]
    return as_options(spec)


def qrels_of(wildcards):
    """The qrels file an optimisation job's {source} names."""
    kind, value = wildcards.source.split("~", 1)
    if kind == "k":
        return f"results/qrels/k~{value}/n~{wildcards.n}.npz"
    return f"results/datasets/{value}/qrels.npz"


def job_k(wildcards):
    """Top-k of an optimisation job: k~K, or its dataset's k."""
    kind, value = wildcards.source.split("~", 1)
    return int(value) if kind == "k" else dataset_spec(value)["k"]


def dimension_search(dataset):
    """Replay the search over d for a dataset, like search_result over n."""
    c = config["critical_d"]
    source, documents = f"dataset~{dataset}", dataset_spec(dataset)["documents"]
    outcomes = {}
    while True:
        step = plan_dimension_search(
            c["start"], outcomes, tuple(c["sweep"]), c["max_d"]
        )
        if isinstance(step, SearchDone):
            return step
        run = checkpoints.optimize.get(source=source, d=step.n, n=documents).output.run
        outcomes[step.n] = any_solved(run)


def dimension_runs(wildcards):
    done = dimension_search(wildcards.dataset)
    d_values = sorted(set(done.probed) | set(done.sweep))
    n = dataset_spec(wildcards.dataset)["documents"]
    return [
        f"results/runs/dataset~{wildcards.dataset}/d~{d}/n~{n}.json" for d in d_values
    ]


def dimension_summary(wildcards):
    done = dimension_search(wildcards.dataset)
    return {
        "critical_d": done.upper_n,
        "probed": list(done.probed),
        "sweep_d": list(done.sweep),
        "spec": dataset_spec(wildcards.dataset),
    }


def dimension_settings(wildcards):
    return dict(config["critical_d"])


def dimension_tag():
    c = config["critical_d"]
    low, high = c["sweep"]
    return f"start~{c['start']}_sweep~{low}..{high}_maxd~{c['max_d']}"


DIMENSION_SUMMARIES = [
    f"results/search/dataset~{name}/{dimension_tag()}.json" for name in DATASETS
]
DATASET_MANIFESTS = [f"results/datasets/{name}/manifest.json" for name in DATASETS]
DATASET_TABLES = (
    ["results/tables/retrieval.csv"]
    + (["results/tables/critical_d.csv"] if config["critical_d"]["enabled"] else [])
    if DATASETS
    else []
)


def optimizer_options(config):
    """The optimiser settings as command-line options, in the schema's order.

    The schema admits only optimiser keys and fills their defaults, so every
    key is an option. A fixed order keeps the params, and so the reruns,
    independent of the order in which a user's YAML lists them.
    """
    with open(SCHEMA) as handle:
        names = yaml.safe_load(handle)["properties"]["optimizer"]["properties"]
    return as_options({name: config["optimizer"][name] for name in names})
