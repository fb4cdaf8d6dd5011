"""A search replayed over finished jobs (search/checkpoints.py), with real
result documents of the real optimiser and the workflow's handles replaced by
their plain meaning: a job's run file, or "not run yet"."""

import base64
import json
import os
from types import SimpleNamespace

import pytest

from embedding_limits.config.protocol import Protocol
from embedding_limits.config.run_settings import RunSettings
from embedding_limits.files import write_json_atomic
from embedding_limits.free_embedding.job import run_job
from embedding_limits.search.checkpoints import SearchJobs
from embedding_limits.search.searches import Search
from embedding_limits.search.strategies import Gallop

PROTOCOL = Protocol(max_steps=400, patience=100)
GALLOP = Gallop(start=5, sweep=(-1, 1))
SEARCH = Search(protocol="published", axis="n", k=2, d=3, strategy=GALLOP, seeds=1)


class NotRun(Exception):
    """What Snakemake's checkpoint raises for a job that has not run."""


class Failed(Exception):
    """What stops the run with a message (Snakemake's WorkflowError)."""


def run_of(probe: dict) -> str:
    path = SEARCH.run_path(probe["n"])
    if not os.path.exists(path):
        raise NotRun(path)
    return path


def wildcards(settings=None):
    return SimpleNamespace(protocol=SEARCH.protocol, subject=SEARCH.subject,
                           settings=settings or SEARCH.tag())  # fmt: skip


@pytest.fixture(scope="module")
def documents():
    """n -> the real optimiser's result document of (d = 3, n), seed 0, made
    the first time it is asked for."""
    made = {}

    def document(n):
        if n not in made:
            settings = RunSettings(d=3, n=n, k=2, seeds=(0,), protocol=PROTOCOL,
                                   device="cpu")  # fmt: skip
            made[n] = run_job(settings)
        return made[n]

    return document


@pytest.fixture
def jobs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # run and summary paths are the workflow's
    protocols = {"published": PROTOCOL.to_dict()}
    seeds = {"published": [0]}
    return SearchJobs({SEARCH.summary_path(): SEARCH}, protocols, seeds, {},
                      run_of=run_of, pending=NotRun, fail=Failed)  # fmt: skip


def run_search(jobs, documents) -> list[str]:
    """As Snakemake does: ask for the search's runs; where a job has not run,
    run it (write its document) and ask again. The jobs run, in order."""
    ran = []
    while True:
        try:
            jobs.runs(wildcards())
            return ran
        except NotRun as pending:
            path = str(pending)
            n = int(path.rsplit("n~", 1)[1].removesuffix(".json"))
            write_json_atomic(path, documents(n))
            ran.append(path)


def test_a_search_runs_one_job_at_a_time_then_lists_its_runs(jobs, documents):
    w = wildcards()
    assert jobs.known_outcome(SEARCH, 5) is None
    with pytest.raises(NotRun, match=r"n~5\.json"):
        jobs.runs(w)  # its first job has not run: Snakemake runs it
    ran = run_search(jobs, documents)
    found = jobs.found(w)
    assert ran[0] == SEARCH.run_path(5) and set(ran) <= set(found["runs"])
    assert jobs.runs(w) == found["runs"]
    assert found["parameters"] == {"protocol": PROTOCOL.to_dict(), "seeds": [0]}
    critical = found["critical_n"]
    assert jobs.outcome(SEARCH, critical) == {0: True}
    assert jobs.outcome(SEARCH, critical + 1) == {0: False}
    assert jobs.known_runs() == []  # no summary yet
    write_json_atomic(SEARCH.summary_path(), found)
    assert jobs.known_runs() == found["runs"]
    write_json_atomic(SEARCH.summary_path(), {**found, "parameters": {"seeds": [1]}})
    assert jobs.known_runs() == []  # a summary of other parameters keeps none


def test_a_result_copied_over_another_stops_the_search_naming_it(jobs, documents):
    write_json_atomic(SEARCH.run_path(5), documents(6))
    with pytest.raises(Failed, match=r"n~5\.json: parameters\.n is 6"):
        jobs.runs(wildcards())


def test_a_summary_that_is_no_search_of_the_config_is_named(jobs):
    with pytest.raises(Failed, match="is not a search of this config"):
        jobs.search_of(wildcards(settings="grid~1-2"))


def test_only_this_configs_runs_marked_incomplete_are_listed(jobs, documents):
    """Runs whose job never reported back (Snakemake's marker, written as the
    pinned Snakemake writes it: tests/store/test_snakemake_markers.py) are
    redone; a marked file of no search, or one that is not there, is not."""
    ours, other = SEARCH.run_path(6), "results/runs/protocol~other/k~2/d~3/n~6.json"
    os.makedirs(os.path.join(".snakemake", "incomplete"))
    for path in (ours, other, SEARCH.run_path(9)):
        marker = base64.urlsafe_b64encode(path.encode()).decode()
        open(os.path.join(".snakemake", "incomplete", marker), "w").write("{}")
    for path in (ours, other):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").write(json.dumps(documents(6)))
    assert jobs.incomplete_runs() == [ours]
