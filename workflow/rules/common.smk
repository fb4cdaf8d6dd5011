# Shared definitions: paths, config checks, wildcard constraints, input functions.

import dataclasses
import functools
import os
import sys

import yaml

SCRIPTS = os.path.join(workflow.basedir, "workflow", "scripts")
RESOURCES = os.path.join(workflow.basedir, "resources")
ENVS = os.path.join(workflow.basedir, "envs")
sys.path.insert(0, SCRIPTS)

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


def check_config(config):
    """Checks the schema cannot express; each names the key and the fix."""
    for d, ns in config["search"]["grid"].items():
        if not str(d).isdigit() or int(d) < 1:
            raise ValueError(
                f"config search.grid: key {d!r} is not a dimension; use an integer d >= 1"
            )
        for k in config["ks"]:
            if any(n <= k for n in ns):
                raise ValueError(
                    f"config search.grid.{d}: every n must be greater than k={k}, "
                    f"got {sorted(n for n in ns if n <= k)}"
                )
    for key in ("search", "critical_d"):
        low, high = config[key]["sweep"]
        if low > high:
            raise ValueError(f"config {key}.sweep: [{low}, {high}] must be [low, high]")


check_config(config)
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
    """Whether the optimisation job of dimension d requests a GPU.

    The job's --device stays config["device"]: with auto, a GPU job that lands
    where JAX sees no GPU still runs (the result records where it ran); with
    gpu, that is an error.
    """
    if config["device"] == "gpu":
        return True
    min_dim = config["gpu_min_dim"]
    return config["device"] == "auto" and min_dim is not None and d >= min_dim


def job_gpus(wildcards):
    return 1 if uses_gpu(int(wildcards.d)) else 0


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
    ["results/tables/critical_d.csv", "results/tables/retrieval.csv"]
    if DATASETS
    else []
)


def optimizer_options(config):
    """The optimiser settings as command-line options, in the schema's order.

    The schema admits only optimiser keys and fills their defaults, so every
    key is an option. A fixed order keeps the params, and so the reruns,
    independent of the order in which a user's YAML lists them.
    """
    with open(os.path.join(workflow.basedir, SCHEMA)) as handle:
        names = yaml.safe_load(handle)["properties"]["optimizer"]["properties"]
    return as_options({name: config["optimizer"][name] for name in names})
