"""Results that never lie: a result that is not what its path says is refused,
and a plain `snakemake` after deleting any run, summary or table file remakes
exactly what is missing and what depends on it."""

import json
import os
import shutil
import signal
import subprocess
import time

import pandas as pd
import pytest

from conftest import ROOT
from helpers import BIN, N_FIGURES, TINY, job_counts, run_file, snakemake

pytestmark = pytest.mark.workflow
GRID = {**TINY, "dims": [3], "seeds": [0], "search": {"grid": {3: [5, 6, 7]}}}
SEARCH = {**TINY, "dims": [4], "seeds": [0]}


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("grid")
    snakemake(workdir, config=GRID)
    return workdir


@pytest.fixture(scope="module")
def search_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("search")
    snakemake(workdir, config=SEARCH)
    return workdir


def copy_of(workdir, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(workdir, target)
    return target


def jobs_run(done) -> dict[str, int]:
    """Rule -> job count, from a real run's job stats."""
    return job_counts(done.stdout + done.stderr)


def outcome(path):
    """A result's metrics, without the published per-seed timing."""
    metrics = json.loads(path.read_text())["metrics"]
    for seed in metrics["seeds"]:
        del seed["optimization_duration_seconds"]
    return metrics


def mtimes(workdir):
    return {
        p: p.stat().st_mtime_ns for p in (workdir / "results").rglob("*") if p.is_file()
    }


@pytest.mark.parametrize("fixture", ["grid_run", "search_run"])
def test_a_deleted_run_is_remade_with_what_depends_on_it(request, tmp_path, fixture):
    workdir = copy_of(request.getfixturevalue(fixture), tmp_path)
    summary = next((workdir / "results/search").rglob("*.json"))
    victim = workdir / json.loads(summary.read_text())["runs"][1]
    before = outcome(victim)
    victim.unlink()
    done = snakemake(workdir)
    assert jobs_run(done) == {"optimize": 1, "search": 1, "aggregate": 1,
                              **N_FIGURES, "all": 1}  # fmt: skip
    assert outcome(victim) == before  # deterministic
    assert "Nothing to be done" in snakemake(workdir, "-n").stdout


@pytest.mark.parametrize("target", ["summary", "critical_n.csv", "runs.csv"])
def test_a_deleted_summary_or_table_is_remade(grid_run, tmp_path, target):
    workdir = copy_of(grid_run, tmp_path)
    if target == "summary":
        path = next((workdir / "results/search").rglob("*.json"))
    else:
        path = workdir / "results/tables" / target
    path.unlink()
    runs_before = {p: t for p, t in mtimes(workdir).items() if "/runs/" in str(p)}
    done = snakemake(workdir)
    assert path.exists() and "optimize" not in jobs_run(done)
    assert {
        p: t for p, t in mtimes(workdir).items() if "/runs/" in str(p)
    } == runs_before


def test_a_result_copied_over_another_is_refused(grid_run, tmp_path):
    """cp n~7.json n~6.json: no table may list n=7 twice; the error names the
    file, the field that differs, and the fix, and following it recovers."""
    workdir = copy_of(grid_run, tmp_path)
    (workdir / "results/tables/runs.csv").unlink()
    shutil.copy(workdir / run_file(3, 7), workdir / run_file(3, 6))
    done = snakemake(workdir, check=False)
    message = done.stdout + done.stderr
    assert done.returncode != 0 and not (workdir / "results/tables/runs.csv").exists()
    assert f"{run_file(3, 6)}: parameters.n is 7" in message and "say 6" in message
    assert "delete it and run snakemake again" in message
    (workdir / run_file(3, 6)).unlink()
    snakemake(workdir)
    runs = pd.read_csv(workdir / "results/tables/runs.csv")
    assert sorted(runs["n"]) == [5, 6, 7]


def test_a_result_of_another_dimension_is_refused_by_the_search(search_run, tmp_path):
    workdir = copy_of(search_run, tmp_path)
    summary = json.loads(next((workdir / "results/search").rglob("*.json")).read_text())
    first = workdir / summary["runs"][0]
    doc = json.loads(first.read_text())
    doc["parameters"]["d"] = 3
    first.write_text(json.dumps(doc))
    os.utime(first)
    (workdir / "results/tables/critical_n.csv").unlink()
    done = snakemake(workdir, check=False)
    assert done.returncode != 0
    assert (
        "parameters.d is 3, but its path and the config say 4"
        in done.stdout + done.stderr
    )


def test_a_result_edited_to_look_solved_is_refused(grid_run, tmp_path):
    """Valid JSON whose metrics no longer agree (solved, but stopped at
    max_steps short of 100%) would move the critical n: it is refused, naming
    the file, the seed, what disagrees, and the fix."""
    workdir = copy_of(grid_run, tmp_path)
    path = workdir / run_file(3, 5)
    doc = json.loads(path.read_text())
    assert not doc["metrics"]["any_solved"]
    doc["metrics"]["seeds"][0].update(solved=True)
    doc["metrics"].update(any_solved=True, seeds_solved=[0])
    path.write_text(json.dumps(doc))
    (workdir / "results/tables/critical_n.csv").unlink()
    done = snakemake(workdir, check=False)
    message = done.stdout + done.stderr
    assert done.returncode != 0
    assert not (workdir / "results/tables/critical_n.csv").exists()
    assert f"{run_file(3, 5)}: its metrics contradict each other: seed 0:" in message
    assert "delete it and run snakemake again" in message


def test_a_truncated_result_names_the_file_and_the_fix(grid_run, tmp_path):
    workdir = copy_of(grid_run, tmp_path)
    path = workdir / run_file(3, 5)
    path.write_text(path.read_text()[:100])
    (workdir / "results/tables/runs.csv").unlink()
    done = snakemake(workdir, check=False)
    assert done.returncode != 0
    message = done.stdout + done.stderr
    assert f"{run_file(3, 5)}: not valid JSON" in message
    assert "delete it and run snakemake again" in message


def jobs_in(workdir) -> dict[int, str]:
    """The optimize.py processes running in ``workdir``: pid -> their --out."""
    jobs = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                args = handle.read().decode().split("\0")
        except OSError:
            continue  # gone, or a zombie
        script = any(a.endswith("workflow/scripts/optimize.py") for a in args)
        if script and cwd == os.path.realpath(workdir) and "--out" in args:
            jobs[int(pid)] = args[args.index("--out") + 1]
    return jobs


def test_after_a_hard_kill_the_cut_off_job_is_redone_by_the_first_rerun(tmp_path):
    """kill -9 of Snakemake alone (the OOM killer, a lost login node) leaves its
    running job behind, an orphan that goes on and writes its result while
    Snakemake's incomplete marker stays. docs/running.md, "Interrupted runs":
    wait for or end such jobs, `snakemake --unlock`, rerun; the first rerun must redo
    the cut-off job (the search's second probe, which Snakemake only meets
    after a checkpoint), not reuse it, and a second has nothing to do."""
    config = {**TINY, "dims": [3], "seeds": [0],
              "search": {"start": 6, "sweep": [0, 0]},
              "optimizer": {"max_steps": 20000, "patience": 10**9}}  # fmt: skip
    (tmp_path / "config.yaml").write_text(json.dumps(config))
    command = [os.path.join(BIN, "snakemake"), "-s", os.path.join(ROOT, "Snakefile"),
               "--directory", str(tmp_path), "--cores", "2"]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    runs = tmp_path / "results/runs/protocol~published/k~2/d~3"
    deadline, cut_off = time.time() + 300, None
    while cut_off is None and time.time() < deadline:
        finished = list(runs.glob("*.json")) if runs.exists() else []
        running = [out for out in jobs_in(tmp_path).values()
                   if not (tmp_path / out).exists()]  # fmt: skip
        cut_off = running[0] if finished and running else None
        time.sleep(0.1)
    assert cut_off, "the search's second probe never started"
    os.kill(process.pid, signal.SIGKILL)  # Snakemake alone, not its jobs
    process.wait()
    orphans = jobs_in(tmp_path)
    assert list(orphans.values()) == [cut_off]  # it outlived Snakemake
    while jobs_in(tmp_path) and time.time() < deadline:  # wait for it
        time.sleep(0.2)
    assert not jobs_in(tmp_path) and (tmp_path / cut_off).exists()
    kept = {p.name: p.stat().st_mtime_ns for p in runs.glob("*.json")}
    locked = snakemake(tmp_path, check=False)  # the lock left behind
    assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
    snakemake(tmp_path, "--unlock")
    done = snakemake(tmp_path)
    assert jobs_run(done)["optimize"] >= 1
    redone = {p.name: p.stat().st_mtime_ns for p in runs.glob("*.json")}
    name = os.path.basename(cut_off)
    assert redone[name] != kept[name], f"{cut_off} was reused, not redone"
    assert {n: t for n, t in redone.items() if n in kept and n != name} == {
        n: t for n, t in kept.items() if n != name
    }  # the finished probe is kept
    assert "Nothing to be done" in snakemake(tmp_path, "-n").stdout
