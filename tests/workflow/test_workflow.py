"""The real Snakemake workflow on tiny configs, each in its own directory."""

import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from embedding_limits.search.searches import Search, replay
from embedding_limits.search.strategies import Bisect, Gallop
from helpers import (
    BIN,
    N_FIGURES,
    TINY,
    finished_run,
    planned_jobs,
    run_file,
    search_summary,
    snakemake,
)

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return finished_run(tmp_path_factory, "tiny", TINY)


def test_full_run_writes_every_table_and_figure(tiny_run):
    runs = pd.read_csv(tiny_run / "results/tables/runs.csv")
    assert set(runs["d"]) == {3, 4} and set(runs["seed"]) == {0, 1}
    assert runs["max_accuracy"].between(0, 1).all()
    assert (runs["num_queries"] == runs["n"] * (runs["n"] - 1) // 2).all()
    critical = pd.read_csv(tiny_run / "results/tables/critical_n.csv").set_index("d")
    assert 3 <= critical.loc[3, "critical_n"] <= 7
    assert 6 <= critical.loc[4, "critical_n"] <= 12
    assert critical.loc[4, "paper_critical_n"] == 10
    four = critical.loc[4]
    assert four["delta_vs_paper"] == four["median_critical_n"] - 10
    assert four["delta_any_seed_vs_paper"] == four["critical_n"] - 10
    assert four["median_critical_n"] <= four["critical_n"]  # any seed >= median
    assert four["protocol"] == "published" and four["critical_n_search"] > 0
    assert not critical["capped"].any()  # each search saw a failure above it
    fit = pd.read_csv(tiny_run / "results/tables/fit.csv").set_index("source")
    assert set(fit.index) == {"ours (published)", "paper_fit", "paper_reported"}
    ours = fit.loc["ours (published)"]  # 2 dims: no fit, and the row says so
    assert ours["note"] == "no fit: 2 measured dimensions, 4 needed"
    assert pd.isna(ours["c3"]) and pd.isna(ours["capped_d"])
    for name in ("accuracy_vs_n", "critical_n_vs_d", "extrapolation", "protocols_vs_d"):
        for ext in ("png", "pdf"):
            assert (tiny_run / f"results/figures/{name}.{ext}").stat().st_size > 5000
    summary = search_summary(tiny_run, 4)
    assert summary["critical_n"] in summary["probed"]
    assert summary["sweep_values"] == list(
        range(summary["critical_n"] - 1, summary["critical_n"] + 2)
    )
    table_md = (tiny_run / "results/tables/critical_n.md").read_text()
    assert "critical_n" in table_md and "|" in table_md


def test_report_holds_tables_and_figures(tiny_run):
    snakemake(tiny_run, "--report", "results/report.html")
    html = (tiny_run / "results/report.html").read_text(errors="replace")
    for name in ("critical_n.csv", "runs.csv", "fit.csv", "critical_n_vs_d.png"):
        assert name in html


def test_nothing_changed_means_nothing_to_do(tiny_run):
    assert planned_jobs(tiny_run) == {}


def test_figure_setting_reruns_only_the_figures(tiny_run):
    assert planned_jobs(tiny_run, {"figures": {"dpi": 90}}) == {**N_FIGURES, "all": 1}


def test_new_dimension_runs_only_its_own_jobs(tiny_run):
    dry = planned_jobs(tiny_run, {"dims": [3, 4, 5]})
    assert set(dry) <= {"qrels", "optimize", "search", "aggregate", *N_FIGURES, "all"}
    assert dry["optimize"] >= 1 and dry["aggregate"] == 1
    configs = [str(tiny_run / "config.yaml"), str(tiny_run / "override.yaml")]
    out = snakemake(tiny_run, "-n", "--configfile", *configs).stdout
    planned_runs = re.findall(
        r"output: results/runs/protocol~published/k~2/d~(\d+)/", out
    )
    assert planned_runs and set(planned_runs) == {"5"}


def test_optimizer_change_reruns_the_optimisation(tiny_run, tmp_path):
    # Every outcome is stale, so each search restarts at its first guess: the
    # dry run plans those first jobs (one per d) and everything downstream.
    dry = planned_jobs(tiny_run, {"optimizer": {"learning_rate": 0.02}})
    assert dry["optimize"] == len(TINY["dims"]) and dry["search"] == len(TINY["dims"])
    # Run it: every result then carries the new setting.
    workdir = tmp_path / "copy"
    shutil.copytree(tiny_run, workdir)
    configs = [str(workdir / "config.yaml"), str(workdir / "override.yaml")]
    snakemake(workdir, "--configfile", *configs)
    runs = pd.read_csv(workdir / "results/tables/runs.csv")
    for d, n in set(zip(runs.d, runs.n, strict=True)):
        doc = json.loads((workdir / run_file(d, n)).read_text())
        assert doc["parameters"]["protocol"]["learning_rate"] == 0.02


def test_search_finds_the_boundary_from_far_off_starts(tmp_path):
    config = {**TINY, "dims": [5], "seeds": [0]}
    found = {}
    for start in (3, 60):
        config["search"] = {"start": start, "sweep": [-1, 1]}
        snakemake(tmp_path, config=config)
        summary = search_summary(tmp_path, 5)
        assert summary["settings"]["start"] == start
        found[start] = summary["critical_n"]
        # one seed: its bracket is the search's, and it ran nothing more
        assert summary["seed_probed"] == [] and len(summary["seeds"]) == 1
        assert summary["seeds"][0]["boundary"] == summary["boundary"]
        assert summary["runs"] == [
            run_file(5, n)
            for n in sorted({*summary["probed"], *summary["sweep_values"]})
        ]
    assert found[3] == found[60] and 11 <= found[3] <= 16  # paper: 14


def outcomes_on_disk(workdir, d="*", n="*"):
    """{n or d: {seed: solved}} of every result file of k = 2 at d (or n)."""
    runs = workdir / "results/runs/protocol~published/k~2"
    found = {}
    for path in runs.glob(f"d~{d}/n~{n}.json"):
        seeds = json.loads(path.read_text())["metrics"]["seeds"]
        x = int((path.stem if n == "*" else path.parent.name)[2:])
        found[x] = {s["seed"]: s["solved"] for s in seeds}
    return found


def ran_what_its_replay_needs(summary, search, on_disk):
    """The summary is the library's search replayed over the result files,
    which are exactly its runs; each seed's bracket holds in those files."""
    replayed = search.summary(replay(search.plan, on_disk.get))
    assert {key: summary[key] for key in replayed} == replayed
    assert sorted(summary["runs"]) == sorted(search.run_path(x) for x in on_disk)
    any_seed = replay(lambda known: search.plan(known, seeds=False), on_disk.get)
    assert summary["probed"] == list(any_seed.probed)  # the strategy's own
    for entry in summary["seeds"]:  # [held, did not] for that seed, adjacent
        held, not_held = entry["boundary"]
        assert not_held == held + 1 and entry["status"] == "bracketed"
        solved = on_disk[held][entry["seed"]], on_disk[not_held][entry["seed"]]
        assert solved == ((True, False) if search.axis == "n" else (False, True))


def test_each_seeds_boundary_is_bracketed_with_jobs_only_where_needed(tmp_path):
    """Five seeds at d = 4, searched from n = 9 with no sweep: here seeds 0,
    1 and 4 solve 9, seeds 2 and 3 fail it (they solve 8), so the search runs
    n = 8 for them, and nothing else. Whatever the outcomes (another CPU may
    give others), the search ran exactly what its replay over the files
    needs: the any-seed search's own jobs, then each seed's bracket."""
    config = {**TINY, "dims": [4], "seeds": [0, 1, 2, 3, 4],
              "search": {"start": 9, "sweep": [0, 0]}}  # fmt: skip
    snakemake(tmp_path, config=config)
    summary = search_summary(tmp_path, 4)
    on_disk = outcomes_on_disk(tmp_path, 4)
    search = Search(protocol="published", axis="n", k=2, d=4, seeds=5,
                    strategy=Gallop(9, (0, 0)))  # fmt: skip
    ran_what_its_replay_needs(summary, search, on_disk)
    # this machine's outcomes: seeds 2 and 3 needed n = 8, below the search
    assert summary["probed"] == [9, 10] and summary["seed_probed"] == [8]
    row = pd.read_csv(tmp_path / "results/tables/critical_n.csv").iloc[0]
    per_seed = {e["seed"]: e["critical_n"] for e in summary["seeds"]}
    assert row["per_seed_critical_n"] == " ".join(
        f"{s}:{n}" for s, n in sorted(per_seed.items())
    )
    assert row["median_critical_n"] == float(np.median(list(per_seed.values())))
    assert planned_jobs(tmp_path) == {}  # and a rerun runs nothing


def test_each_seeds_smallest_d_is_bracketed_past_the_window(tmp_path):
    """The smallest d of n = 8 (two seeds, Wang et al.'s bisection of [1, 4]):
    here seed 0 solves d = 4 and seed 1 fails it, so seed 1's search goes on
    past the window to d = 5, where it solves; nothing else is run."""
    config = {**TINY, "dims": [3], "search": {"grid": {3: [5]}},
              "critical_d_of_n": {"enabled": True, "ns": [8], "window": 4,
                                  "max_d": 8, "probe_ahead": False}}  # fmt: skip
    snakemake(tmp_path, config=config)  # one probe at a time: no guess runs
    [path] = (tmp_path / "results/search/protocol~published/k~2/n~8").glob("*.json")
    assert path.name == "start~1_window~4_maxd~8_seeds~bracketed.json"
    summary = json.loads(path.read_text())
    search = Search(protocol="published", axis="d", k=2, documents=8, limit=8,
                    strategy=Bisect(1, 4), seeds=2)  # fmt: skip
    ran_what_its_replay_needs(summary, search, outcomes_on_disk(tmp_path, n=8))
    # this machine's outcomes: the any-seed search is Wang et al.'s, alone
    assert summary["probed"] == [2, 3, 4] and summary["critical_d"] == 4
    assert summary["seed_probed"] == [5]
    row = pd.read_csv(tmp_path / "results/tables/critical_d_of_n.csv").iloc[0]
    assert row["smallest_d"] == 4 and row["per_seed_smallest_d"] == "0:4 1:5"
    assert row["median_smallest_d"] == 4.5 and row["tested_d"] == "2 3 4 5"


def test_explicit_grid_runs_exactly_those_n(tmp_path):
    config = {**TINY, "dims": [3], "search": {"grid": {3: [4, 6]}}}
    snakemake(tmp_path, config=config)
    runs = sorted(
        p.name for p in (tmp_path / "results/runs/protocol~published/k~2/d~3").iterdir()
    )
    assert runs == ["n~4.json", "n~6.json"]
    summary = search_summary(tmp_path, 3)
    assert summary["strategy"] == "grid" and summary["settings"]["grid"] == [4, 6]


def test_a_capped_search_runs_nothing_above_max_n_and_says_so(tmp_path):
    # d = 4 solves n = 4 and 5 (Table 6: 10), so the search stops at its cap;
    # its sweep used to run n = 6 past it, and the table called 5 a measurement
    config = {**TINY, "dims": [4], "seeds": [0],
              "search": {"start": 4, "max_n": 5, "sweep": [-1, 1]}}  # fmt: skip
    snakemake(tmp_path, config=config)
    runs = sorted(
        p.name for p in (tmp_path / "results/runs/protocol~published/k~2/d~4").iterdir()
    )
    assert runs == ["n~4.json", "n~5.json"]
    assert search_summary(tmp_path, 4)["boundary"] == [5, None]
    row = pd.read_csv(tmp_path / "results/tables/critical_n.csv").iloc[0]
    assert row["critical_n"] == 5 and row["capped"] and row["paper_critical_n"] == 10
    assert pd.isna(row["delta_vs_paper"]) and pd.isna(row["delta_any_seed_vs_paper"])
    assert "| capped" in (tmp_path / "results/tables/critical_n.md").read_text()
    fit = pd.read_csv(tmp_path / "results/tables/fit.csv").set_index("source")
    assert fit.loc["ours (published)", "note"] == (
        "no fit: 0 measured dimensions, 4 needed; "
        "capped (lower bounds, not fitted): d = 4"
    )


def test_dataset_critical_d_and_bm25(tmp_path):
    config = {
        **TINY, "dims": [3], "seeds": [0],
        "datasets": {"tiny": {"queries": 15, "documents": 6, "attributes_per_doc": 8}},
        "critical_d": {"start": 2, "sweep": [-1, 1]},
    }  # fmt: skip
    snakemake(tmp_path, "datasets", config=config)  # the named target: datasets only
    assert (tmp_path / "results/datasets/tiny/qrels/test.tsv").exists()
    assert not (tmp_path / "results/runs").exists()
    snakemake(tmp_path)
    critical = pd.read_csv(tmp_path / "results/tables/critical_d.csv")
    assert critical["dataset"].tolist() == ["tiny"] and critical["documents"][0] == 6
    assert 1 <= critical["critical_d"][0] <= 6  # six documents fit in six dimensions
    retrieval = pd.read_csv(tmp_path / "results/tables/retrieval.csv")
    assert retrieval["recall_at_100"][0] == 1.0 and 0 < retrieval["recall_at_2"][0] <= 1
    assert (tmp_path / "results/figures/accuracy_vs_d.png").stat().st_size > 5000


# Two protocols, each with one n-search job and the smallest d of n = 5, 6
D_OF_N = {
    **TINY, "dims": [3], "search": {"grid": {3: [5]}},
    "protocols": {"published": {}, "fast": {"learning_rate": 0.05}},
    "critical_d_of_n": {"enabled": True, "ns": [5, 6], "window": 4, "max_d": 8},
}  # fmt: skip
D_OF_N_JOBS = {"critical_d_of_n": 1, "figure_critical_d_of_n": 1, "all": 1}


@pytest.fixture(scope="module")
def d_of_n_run(tmp_path_factory):
    return finished_run(tmp_path_factory, "d_of_n", D_OF_N)


def test_the_smallest_d_of_each_n_gets_its_table_and_figure(d_of_n_run):
    table = pd.read_csv(d_of_n_run / "results/tables/critical_d_of_n.csv")
    assert sorted(zip(table.protocol, table.n, strict=True)) == [
        ("fast", 5), ("fast", 6), ("published", 5), ("published", 6)
    ]  # fmt: skip
    for protocol, rows in table.groupby("protocol"):
        five, six = rows.set_index("n").loc[5], rows.set_index("n").loc[6]
        assert five["window"] == "1-4" and pd.isna(five["after_n"])
        assert 2 <= five["smallest_d"] <= 4 and five["bracketed"]  # d = 1 fails
        # warm start: n = 6's window starts at n = 5's smallest d
        assert six["window"] == f"{five['smallest_d']}-{five['smallest_d'] + 3}"
        assert six["after_n"] == 5 and six["smallest_d"] >= five["smallest_d"]
        tested = [int(d) for d in six["tested_d"].split()]
        assert all(five["smallest_d"] <= d <= five["smallest_d"] + 3 for d in tested)
        summary = json.loads(next(
            (d_of_n_run / f"results/search/protocol~{protocol}/k~2/n~6").glob("*.json")
        ).read_text())  # fmt: skip
        assert summary["strategy"] == "bisect" and summary["after"]["n"] == 5
        assert summary["critical_d"] == six["smallest_d"]
    for name, ext in itertools.product(("critical_d_of_n", "protocols_vs_d"),
                                       ("png", "pdf")):  # fmt: skip
        figure = d_of_n_run / f"results/figures/{name}.{ext}"
        assert figure.stat().st_size > 5000
    # protocols_vs_d drew the smallest-d table too (it names its input)
    log = (d_of_n_run / "logs/figures/protocols_vs_d.log").read_text()
    assert "d_of_n" in log
    snakemake(d_of_n_run, "--report", "results/report.html")
    html = (d_of_n_run / "results/report.html").read_text(errors="replace")
    assert "critical_d_of_n.csv" in html and "critical_d_of_n.png" in html


def planned_outputs(workdir, folder):
    """What a dry run with override.yaml plans to write under results/folder/."""
    configs = [str(workdir / "config.yaml"), str(workdir / "override.yaml")]
    out = snakemake(workdir, "-n", "--configfile", *configs).stdout
    return re.findall(rf"output: (results/{folder}/[^\s,]+)", out)


def test_a_protocols_settings_rerun_only_its_smallest_d_searches(d_of_n_run):
    fast = {"protocols": {"fast": {"learning_rate": 0.02}}}
    dry = planned_jobs(d_of_n_run, fast)
    # fast's n-search and its two smallest-d searches, from their first probes:
    # the n-search's one; n = 5's and its guess (probe_ahead); n = 6 waits for 5
    assert dry["search"] == 3 and dry["optimize"] == 3
    assert set(dry) == {"optimize", "search", "aggregate", *N_FIGURES, *D_OF_N_JOBS}
    planned = planned_outputs(d_of_n_run, "runs") + planned_outputs(
        d_of_n_run, "search"
    )
    assert len(planned) == 6 and all("protocol~fast/" in path for path in planned)


def test_an_appended_n_runs_only_its_own_search(d_of_n_run):
    more = {"critical_d_of_n": {"ns": [5, 6, 7]}}
    # each protocol's n = 7: its first probe and that probe's guess; the
    # protocols figure draws the smallest-d table too: it is redrawn
    assert planned_jobs(d_of_n_run, more) == {
        "qrels": 1, "optimize": 4, "search": 2, **D_OF_N_JOBS,
        "figure_protocols_vs_d": 1,
    }  # fmt: skip
    assert all("/n~7/" in path for path in planned_outputs(d_of_n_run, "search"))


def test_without_the_warm_start_only_the_later_ns_search_again(d_of_n_run):
    """The first n's window is the same either way: its summary is kept."""
    cold = {"critical_d_of_n": {"warm_start": False}}
    assert planned_jobs(d_of_n_run, cold)["search"] == 2
    searches = planned_outputs(d_of_n_run, "search")
    tag = "/n~6/start~1_window~4_maxd~8_seeds~bracketed.json"  # two seeds
    assert len(searches) == 2 and all(tag in path for path in searches)


def test_probing_ahead_changes_no_answer_so_turning_it_off_reruns_nothing(d_of_n_run):
    """The run probed ahead (the default); a search's summary lists the runs
    it read, its probes and its seeds' brackets, never a wrong guess."""
    assert planned_jobs(d_of_n_run, {"critical_d_of_n": {"probe_ahead": False}}) == {}
    for path in (d_of_n_run / "results/search").glob("protocol~*/k~2/n~*/*.json"):
        summary = json.loads(path.read_text())
        read = set(summary["probed"]) | set(summary["seed_probed"])
        assert {
            int(run.split("/d~")[1].split("/")[0]) for run in summary["runs"]
        } == read


def finished_runs(log: str) -> set[str]:
    """The run files of the optimize jobs that Snakemake's log reports finished
    (it says so only after it recorded the job as complete)."""
    outputs = dict(re.findall(r"output: (results/runs/\S+)\n(?:.*\n)*?\s+jobid: (\d+)",
                              log))  # fmt: skip
    outputs = {jobid: path for path, jobid in outputs.items()}
    done = re.findall(r"Finished jobid: (\d+) \(Rule: optimize\)", log)
    return {outputs[jobid] for jobid in done}


def test_killed_run_resumes_without_redoing_finished_jobs(tmp_path):
    config = {**TINY, "dims": [6], "seeds": [0]}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    with open(tmp_path / "killed.log", "w") as log:
        process = subprocess.Popen(
            [os.path.join(BIN, "snakemake"), "-s", os.path.join(ROOT, "Snakefile"),
             "--directory", str(tmp_path), "--cores", "2"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    runs_dir = tmp_path / "results/runs/protocol~published/k~2/d~6"
    deadline = time.time() + 300
    while time.time() < deadline and len(list(runs_dir.glob("*.json"))) < 2:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)  # the whole run, jobs included
    process.wait()
    assert len(list(runs_dir.glob("*.json"))) >= 2
    assert not (tmp_path / "results/tables/runs.csv").exists()
    for path in runs_dir.iterdir():
        json.loads(path.read_text())  # nothing half-written
    # A result written in the instant before the kill, whose job Snakemake had
    # not yet recorded as finished, is redone (rerun-incomplete); every job it
    # reported finished is kept.
    finished = {
        path: (tmp_path / path).stat().st_mtime_ns
        for path in finished_runs((tmp_path / "killed.log").read_text())
    }
    assert finished
    snakemake(tmp_path, "--unlock")  # a hard kill leaves Snakemake's lock behind
    snakemake(tmp_path)
    for path, mtime in finished.items():
        assert (tmp_path / path).stat().st_mtime_ns == mtime, f"{path} was redone"
    assert (tmp_path / "results/tables/critical_n.csv").exists()


def test_the_venvs_snakemake_runs_without_activation(tmp_path):
    """Rules run under the interpreter that runs Snakemake, not PATH's python."""
    config = {**TINY, "dims": [3], "search": {"grid": {3: [5, 6]}}}
    snakemake(tmp_path, config=config, path="/usr/bin:/bin")
    doc = json.loads((tmp_path / run_file(3, 6)).read_text())
    assert doc["metrics"]["seeds"] and (tmp_path / "results/tables/runs.csv").exists()


def test_the_shipped_config_plans_the_jobs_it_planned_before_seed_brackets(tmp_path):
    """One seed: bracketing it runs nothing, and no path changes. The dry run
    of config.yaml plans, job for job, what it planned before (the first
    guess of each search; its summary at the same path), and the bundled
    embedders on limit-small: each embeds it once, then 3 dims x 3 precisions;
    and since datasets have an exact witness, limit-small's relevance for the
    optimiser (its own job now), its witness and their table."""
    shutil.copy(os.path.join(ROOT, "config.yaml"), tmp_path / "config.yaml")
    out = snakemake(tmp_path, "-n").stdout
    embedders = {"embed": 2, "score_embedder": 18, "embedders_table": 1,
                 "figure_embedders": 1}  # fmt: skip
    assert planned_jobs(tmp_path) == {
        "limit_dataset": 1, "qrels": 5, "optimize": 6, "retrieval": 1, "search": 6,
        "aggregate": 1, "critical_d": 1, **N_FIGURES, "figure_accuracy_vs_d": 1,
        "all": 1, **embedders, "relevance": 1, "dataset_witness": 1,
        "dataset_witness_table": 1,
    }  # fmt: skip
    first = dict(zip(range(4, 9), (7, 11, 16, 22, 27), strict=True))  # start auto
    dataset = "protocol~published/dataset~limit-small"
    runs = set(re.findall(r"output: (results/runs/\S+\.json)", out))
    assert runs == {run_file(d, n) for d, n in first.items()} | {
        f"results/runs/{dataset}/d~8/n~46.json"
    }
    summaries = set(re.findall(r"output: (results/search/\S+\.json)", out))
    assert summaries == {
        f"results/search/protocol~published/k~2/d~{d}/start~{n}_sweep~-4..5_maxn~100000.json"
        for d, n in first.items()
    } | {f"results/search/{dataset}/start~8_sweep~-2..3_maxd~1024.json"}


def test_a_config_file_of_ones_own_replaces_config_yaml(tmp_path):
    """--configfile my.yaml turns the default dataset off with datasets: {},
    inside a clone (config.yaml present) and anywhere else alike."""
    mine = {"dims": [3], "seeds": [0], "datasets": {}, "search": {"grid": {3: [5]}}}
    jobs = {}
    for where in ("clone", "elsewhere"):
        workdir = tmp_path / where
        workdir.mkdir()
        if where == "clone":
            shutil.copy(os.path.join(ROOT, "config.yaml"), workdir / "config.yaml")
        (workdir / "my.yaml").write_text(yaml.safe_dump(mine))
        out = snakemake(workdir, "-n", "--configfile", str(workdir / "my.yaml")).stdout
        jobs[where] = out.split("Job stats:", 1)[1].split("\n\n", 1)[0]
        assert "limit_dataset" not in jobs[where] and "optimize" in jobs[where]
    assert jobs["clone"] == jobs["elsewhere"]


def test_config_on_the_command_line_goes_on_top_as_typed(tmp_path):
    """--config 'seeds=[0]' 'optimizer={max_steps: 500}': Snakemake hands the
    numbers inside a list or mapping over as strings; they reach the jobs as
    numbers, and names stay names."""
    config = {**TINY, "dims": [3], "search": {"grid": {3: [5]}}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    out = snakemake(
        tmp_path, "-n", "-p", "--config", "seeds=[0, 7]",
        "optimizer={max_steps: 500, learning_rate: 1e-3}",
    ).stdout  # fmt: skip
    assert "--seeds 0 7" in out and '"max_steps": 500' in out
    assert '"learning_rate": 0.001' in out
    config = "protocols={fast-1: {max_steps: 9, loss: sigmoid}}"
    out = snakemake(tmp_path, "-n", "-p", "--config", config).stdout
    assert '"name": "fast-1", "loss": "sigmoid"' in out and '"max_steps": 9' in out
    assert "protocol~fast-1/k~2/d~3/n~5.json" in out
    done = snakemake(tmp_path, "-n", "--config", "seeds=[zero]", check=False)
    message = done.stdout + done.stderr
    assert done.returncode != 0 and "seeds[0]: 'zero' is not of type" in message


def test_the_critical_d_search_can_be_turned_off(tmp_path):
    tiny = {"queries": 6, "documents": 4, "attributes_per_doc": 8}
    config = {**TINY, "dims": [3], "search": {"grid": {3: [5]}},
              "datasets": {"tiny": tiny}, "critical_d": {"enabled": False}}  # fmt: skip
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    jobs = planned_jobs(tmp_path)
    assert jobs["limit_dataset"] == 1 and jobs["retrieval"] == 1
    assert "critical_d" not in jobs and "search_dimension" not in jobs


BAD_CONFIGS = [
    ({"dims": [4], "colour": "red"}, "colour"),
    ({"dims": [3.0]}, "dims[0]: 3.0 must be written as an integer (3)"),
    ({"seeds": [4294967296]}, "seeds[0]"),
    ({"optimizer": {"learning_rate": float("inf")}}, "optimizer.learning_rate"),
    ({"optimizer": {"max_steps": 10**12}}, "optimizer.max_steps"),
    ({"datasets": {"x": {"queries": 5000, "documents": 20}}}, "datasets.x"),
    ({"dims": [0]}, "dims"),
    ({"dims": [4], "ks": [0]}, "ks"),
    ({"dims": []}, "dims"),
    ({"dims": [4], "search": {"grid": {4: [2, 8]}}}, "search.grid.4"),
    ({"dims": [3], "search": {"grid": {5: [6, 7]}}}, "search.grid.5: d=5 is not in"),
    ({"dims": [4], "optimizer": {"learning_rate": "fast"}}, "learning_rate"),
    ({"dims": [4], "optimizer": {"patiense": 10}}, "patiense"),
    ({"dims": [4], "datasets": {"x": {"querys": 10}}}, "querys"),
    ({"dims": [4], "critical_d": {"sweep": [3, -2]}}, "critical_d.sweep"),
    ({"dims": [8], "search": {"start": 12, "max_n": 10}}, "search.start: 12 is above"),
    ({"dims": [300]}, "search.start: auto's first guess exceeds search.max_n"),
    ({"dims": [4], "critical_d": {"start": 50, "max_d": 4}}, "critical_d.start"),
    ({"dims": [4], "datasets": {"x": {"pattern": "spiral"}}}, "spiral"),
    ({"dims": [4], "critical_d_of_n": {"ns": [2, 8]}}, "critical_d_of_n.ns[0]: n = 2"),
    ({"dims": [4], "critical_d_of_n": {"ns": []}}, "critical_d_of_n.ns: [] lists"),
    (
        {"dims": [4], "critical_d_of_n": {"start": 9, "max_d": 8}},
        "critical_d_of_n.start: 9 is above critical_d_of_n.max_d (8)",
    ),
]


@pytest.mark.parametrize("config,key", BAD_CONFIGS, ids=[k for _, k in BAD_CONFIGS])
def test_bad_config_fails_before_any_job_naming_the_key(tmp_path, config, key):
    done = snakemake(tmp_path, config=config, check=False)
    assert done.returncode != 0
    assert key in done.stderr + done.stdout
    assert not (tmp_path / "results").exists()


def test_a_yaml_error_names_file_line_and_column(tmp_path):
    (tmp_path / "config.yaml").write_text(
        "dims: [4]\noptimizer:\n  max_steps: 10\n   patience: 3\n"
    )
    done = snakemake(tmp_path, "-n", check=False)
    assert done.returncode != 0
    assert "config.yaml:4:12: YAML syntax error" in done.stderr + done.stdout


def test_lint_and_format_are_clean(tmp_path):
    shutil.copy(os.path.join(ROOT, "config.yaml"), tmp_path / "config.yaml")
    lint = snakemake(tmp_path, "--lint", check=False)
    assert lint.returncode == 0 and "Lints for" not in lint.stdout + lint.stderr, (
        lint.stdout + lint.stderr
    )
    files = ["Snakefile", *sorted(os.listdir(os.path.join(ROOT, "workflow/rules")))]
    paths = [f if f == "Snakefile" else f"workflow/rules/{f}" for f in files]
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"]}  # its shfmt
    fmt = subprocess.run(
        [os.path.join(BIN, "snakefmt"), "--check", *paths],
        cwd=ROOT, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
