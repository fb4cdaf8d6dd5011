#!/usr/bin/env python3
"""Where a job's time goes, from process start to result file.

For each shape it runs optimize.py as a job does (a fresh process, seed 42)
and splits the wall time: compile (the job's programs), run (the steps),
and the rest (interpreter, imports, JAX start-up, qrels, writing). "cold"
has an empty compilation cache; "warm" runs the same job again on the cache
the first run filled (reruns, or jobs that repeat a shape).

    python tools/benchmark_startup.py [--repo ../other-checkout]
    python tools/benchmark_startup.py \
        --published ../limit/code/free_embedding_experiment.py

    python tools/benchmark_startup.py --shared-process results

--repo times another checkout's optimize.py (e.g. an older commit, for a
before/after table). --published also times, side by side, the published
script's optimiser at (d=6, n=19, seed 42) and this workflow's snakemake on
the same one job (see compare_published.py for how the script is called).
--shared-process replays the published-protocol jobs of a finished run (its
results folder) twice, one after another on an empty compilation cache each
time: every job in a fresh process, as the workflow runs them, then every job
in one process that imports JAX once. It prints both, wall and CPU seconds.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

import _library  # workflow/scripts on sys.path
from embedding_limits.store import paths

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT, SCRIPTS = _library.ROOT, _library.SCRIPTS
SHAPES = [(4, 10), (6, 19), (8, 29), (12, 60)]


def one_job(repo: str, d: int, n: int, cache: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.json")
        env = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
        if cache:
            env["JAX_COMPILATION_CACHE_DIR"] = cache
        script = os.path.join(repo, "workflow", "scripts", "optimize.py")
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, script, "--d", str(d), "--n", str(n), "--seeds", "42",
             "--device", "cpu", "--out", out], capture_output=True, text=True, env=env,
        )  # fmt: skip
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        timing = json.load(open(out))["timing"]
    compile_s, run_s = timing["compile_seconds"], timing["run_seconds"]
    return dict(d=d, n=n, wall=wall, compile=compile_s, run=run_s,
                rest=wall - compile_s - run_s)  # fmt: skip


def print_rows(title, rows) -> None:
    print(f"\n{title}")
    print(
        f"{'d':>3} {'n':>3} {'rest s':>7} {'compile s':>9} {'run s':>6} {'total s':>8}"
    )
    for r in rows:
        print(f"{r['d']:>3} {r['n']:>3} {r['rest']:>7.2f} {r['compile']:>9.2f} "
              f"{r['run']:>6.2f} {r['wall']:>8.2f}", flush=True)  # fmt: skip


def against_published(published: str) -> None:
    """Whole processes at (6, 19, 42): the published optimiser, and this
    workflow's snakemake from an empty folder (empty compilation cache),
    asked for the same one result, then for everything (tables, figures)."""
    code = (f"import sys; sys.path.insert(0, {HERE!r}); import compare_published as c; "
            f"c.run_published(c.load_published({published!r}), 6, 19, 42)")  # fmt: skip
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, env=env
    )
    theirs = time.perf_counter() - started
    print(f"\nd=6 n=19 seed 42, whole processes: published optimiser {theirs:.1f} s")
    run_file = paths.build(paths.RUN, protocol="published", source="k~2", d=6, n=19)
    for what, targets in [("its result file", [run_file]), ("the whole workflow", [])]:
        ours = snakemake_seconds(targets)
        print(f"  snakemake, {what}: {ours:.1f} s, {theirs / ours:.1f}x faster")


def snakemake_seconds(targets: list[str]) -> float:
    with tempfile.TemporaryDirectory() as workdir:
        with open(os.path.join(workdir, "config.yaml"), "w") as handle:
            handle.write("dims: [6]\nseeds: [42]\ndevice: cpu\ndatasets: {}\n"
                         "search: {grid: {6: [19]}}\n")  # fmt: skip
        snakemake = os.path.join(os.path.dirname(sys.executable), "snakemake")
        env = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
        started = time.perf_counter()
        command = [snakemake, "-s", os.path.join(ROOT, "Snakefile"), "--directory",
                   workdir, "--cores", "1", "-q", "all", "--", *targets]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, env=env)
        return time.perf_counter() - started


def finished_jobs(results: str) -> list[list[str]]:
    """optimize.py arguments of each published-protocol run under ``results``."""
    jobs, top = [], os.path.dirname(os.path.abspath(results))
    runs = paths.RUN.format(protocol="published", source="*", d="*", n="*")
    for path in sorted(glob.glob(os.path.join(top, runs))):
        match = paths.parse(paths.RUN, path)
        if match is None:
            continue
        kind, value = paths.split_source(match["source"])
        if kind == "dataset":
            qrels = paths.build(paths.DATASET_QRELS, dataset=value)
            data = ["--qrels", os.path.join(top, qrels)]
        else:
            data = ["--n", match["n"], "--k", value]
        jobs.append(["--d", match["d"], *data, "--seeds", "42", "--device", "cpu"])
    if not jobs:
        raise SystemExit(f"--shared-process: no published runs at {top}/{runs}")
    return jobs


def timed(command: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one child process."""
    before = os.times()
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def shared_process(results: str) -> None:
    """The same jobs, a process each, then all of them in one process."""
    jobs = finished_jobs(results)
    script = os.path.join(SCRIPTS, "optimize.py")
    rows = []
    for how in ("a process per job", "one process"):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "JAX_COMPILATION_CACHE_DIR": os.path.join(tmp, "jax")}
            argvs = [[*job, "--out", os.path.join(tmp, f"{i}.json")]
                     for i, job in enumerate(jobs)]  # fmt: skip
            if how == "one process":
                code = (f"import sys; sys.path.insert(0, {SCRIPTS!r})\n"
                        "import optimize\n"
                        f"for argv in {argvs!r}: optimize.main(argv)")  # fmt: skip
                wall, cpu = timed([sys.executable, "-c", code], env)
            else:
                each = [timed([sys.executable, script, *a], env) for a in argvs]
                wall, cpu = (sum(column) for column in zip(*each, strict=True))
        rows.append((how, wall, cpu))
        print(f"{len(jobs)} jobs of {results}, {how}: {wall:.1f} s wall, "
              f"{cpu:.1f} s CPU", flush=True)  # fmt: skip
    (_, wall_a, cpu_a), (_, wall_b, cpu_b) = rows
    print(f"one process: {wall_a / wall_b:.2f}x less wall, "
          f"{cpu_a / cpu_b:.2f}x less CPU")  # fmt: skip


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--repo", default=ROOT, help="checkout whose optimize.py to time")
    p.add_argument("--published", help="the published free_embedding_experiment.py")
    p.add_argument("--no-warm", action="store_true", help="skip the warm-cache rows")
    p.add_argument("--shared-process", metavar="RESULTS",
                   help="a finished run's results folder: its jobs, a process "
                   "each against one process (and nothing else)")  # fmt: skip
    args = p.parse_args(argv)
    if args.shared_process:
        shared_process(args.shared_process)
        return 0
    cold, warm = [], []
    for d, n in SHAPES:
        with tempfile.TemporaryDirectory() as cache:
            cold.append(one_job(args.repo, d, n, cache))
            if not args.no_warm:
                warm.append(one_job(args.repo, d, n, cache))
    print_rows(f"{args.repo}: cold (empty compilation cache)", cold)
    if warm:
        print_rows(f"{args.repo}: warm (the same job again, cache filled)", warm)
    if args.published:
        against_published(args.published)
    return 0


if __name__ == "__main__":
    sys.exit(main())
