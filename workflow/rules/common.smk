# Shared definitions: paths, config checks, wildcard constraints, input functions.

import os
import sys

SCRIPTS = os.path.join(workflow.basedir, "workflow", "scripts")
RESOURCES = os.path.join(workflow.basedir, "resources")
sys.path.insert(0, SCRIPTS)

from free_embedding.results import load_run  # noqa: E402
from free_embedding.search import SearchDone, plan_search, start_n  # noqa: E402


wildcard_constraints:
    k=r"\d+",
    d=r"\d+",
    n=r"\d+",
    settings=r"[^/]+",


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
    low, high = config["search"]["sweep"]
    if low > high:
        raise ValueError(f"config search.sweep: [{low}, {high}] must be [low, high]")


check_config(config)
GRID = {int(d): sorted(set(ns)) for d, ns in config["search"]["grid"].items()}


def run_path(k, d, n):
    return f"results/runs/k~{k}/d~{d}/n~{n}.json"


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
        step = plan_search(start, k, outcomes, tuple(s["sweep"]), s["max_n"])
        if isinstance(step, SearchDone):
            return step
        run = checkpoints.optimize.get(k=k, d=d, n=step.n).output.run
        outcomes[step.n] = load_run(run)["metrics"]["any_solved"]


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


OPTIMIZER_OPTIONS = (
    "learning_rate", "temperature", "max_steps", "patience", "min_delta", "eval_every"
)  # fmt: skip


def optimizer_options(config):
    """The optimiser settings as command-line options, in a fixed order."""
    o = config["optimizer"]
    return " ".join(
        f"--{name.replace('_', '-')} {o[name]}" for name in OPTIMIZER_OPTIONS
    )
