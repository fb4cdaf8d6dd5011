"""Datasets read from folders, through the real Snakemake: both layouts
beside a generated dataset, every stage on them, reruns decided by content,
and a bad folder refused before any job."""

import json
import os
import shutil

import pandas as pd
import pytest

from embedding_limits.data.beir import write_dataset
from embedding_limits.data.limit_text import DatasetSpec, generate, load_vocabulary
from embedding_limits.embedders import backends as embedders
from helpers import TINY, VOCAB, planned_jobs, snakemake

pytestmark = pytest.mark.workflow
EMBED = not embedders.wrong_machine("wordllama")  # bundled wheels: x86-64 Linux


def jsonl(rows) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def beir_folder(folder):
    """A BEIR set as real ones come: qrels/test.tsv, a query of another
    split, a score-0 row, queries with one and with two relevant documents."""
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        jsonl(
            [
                {"_id": "d1", "title": "Ann", "text": "likes Quokkas and Otters."},
                {"_id": "d2", "title": "", "text": "Bo likes Otters."},
                {"_id": "d3", "title": "", "text": ""},
                {"_id": "d4", "title": "", "text": "Cy likes Quokkas."},
            ]
        )
    )
    (folder / "queries.jsonl").write_text(
        jsonl(
            [
                {"_id": "q1", "text": "Who likes Quokkas?"},
                {"_id": "q2", "text": "Who likes Otters?"},
                {"_id": "q3", "text": "Who likes Tapirs?"},
            ]
        )
    )
    (folder / "qrels/test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td4\t1\nq2\td2\t1\nq2\td3\t0\n"
    )


CONFIG = {
    **TINY,
    "dims": [3],
    "seeds": [0],
    "search": {"grid": {3: [5]}},
    "critical_d": {"start": 2, "sweep": [0, 0]},
    "datasets": {
        "made": {"queries": 15, "documents": 6, "attributes_per_doc": 8},
        "tiny": {"path": "tiny"},
        "beir": {"path": "beir"},
    },
    "embedders": {"wl": {"backend": "wordllama", "dims": [16]}} if EMBED else {},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("folders")
    spec = DatasetSpec("x", queries=15, documents=6, attributes_per_doc=8)
    write_dataset(generate(spec, load_vocabulary(VOCAB)), workdir / "tiny")
    os.unlink(workdir / "tiny/qrels/test.tsv")  # the released layout: qrels.jsonl
    beir_folder(workdir / "beir")
    done = snakemake(workdir, config=CONFIG)
    return workdir, done.stderr


def test_every_stage_runs_on_folder_datasets_beside_a_generated_one(run):
    workdir, log = run
    tables = workdir / "results/tables"
    bm25 = pd.read_csv(tables / "retrieval.csv").set_index("dataset")
    assert bm25.loc["beir", "source"] == "path: beir"
    assert bm25.loc["beir", "queries"] == 2  # q3 has no judgements: not scored
    assert bm25.loc["tiny", "queries"] == 15 and bm25.loc["made", "documents"] == 6
    # the generated dataset and its copy read from a folder score alike
    assert bm25.loc["tiny", "recall_at_2"] == bm25.loc["made", "recall_at_2"]
    # q1: d1 and d4 are its relevant; q2: only d2 (d3's score 0 is non-relevant)
    assert 0 < bm25.loc["beir", "recall_at_1"] <= 1
    critical = pd.read_csv(tables / "critical_d.csv").set_index("dataset")
    assert set(critical.index) == {"made", "tiny"}
    assert critical.loc["tiny", "critical_d"] == critical.loc["made", "critical_d"]
    assert (
        "datasets.beir: no critical-d search or exact witness: its queries "
        "have 1 to 2 relevant documents" in log
    )
    witness = pd.read_csv(tables / "dataset_witness.csv")
    assert set(witness["dataset"]) == {"made", "tiny"} and (witness["d"] == 4).all()
    assert witness[witness["precision"] == "float64"]["holds"].all()
    if EMBED:
        scored = pd.read_csv(tables / "embedders.csv")
        assert set(scored[scored["embedder"] == "wl"]["dataset"]) == {
            "made",
            "tiny",
            "beir",
        }


def test_a_touched_folder_reruns_nothing_a_changed_one_what_uses_it(run):
    workdir, _ = run
    assert planned_jobs(workdir) == {}
    for name in os.listdir(workdir / "beir"):
        os.utime(workdir / "beir" / name)  # newer, same content
    assert planned_jobs(workdir) == {}
    original = (workdir / "beir/corpus.jsonl").read_text()
    (workdir / "beir/corpus.jsonl").write_text(original.replace("Cy", "Cyd"))
    try:
        jobs = planned_jobs(workdir)
    finally:
        (workdir / "beir/corpus.jsonl").write_text(original)
    assert jobs["import_dataset"] == 1 and jobs["retrieval"] == 1
    assert "relevance" not in jobs and "optimize" not in jobs  # beir has no k
    assert jobs.get("embed", 0) == EMBED


def test_a_bad_folder_is_refused_before_any_job_by_file_and_line(run, tmp_path):
    workdir, _ = run
    shutil.copytree(workdir / "beir", tmp_path / "bad")
    with open(tmp_path / "bad/queries.jsonl", "a") as handle:
        handle.write('{"_id": "q1", "text": "twice"}\n{"_id": \n')
    config = {**CONFIG, "datasets": {"bad": {"path": str(tmp_path / "bad")}}}
    done = snakemake(tmp_path, "-n", config=config, check=False)
    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"datasets.bad.path: {tmp_path}/bad/queries.jsonl:4: _id 'q1' again" in said
    assert "queries.jsonl:5: invalid JSON" in said
    assert not (tmp_path / "results").exists()
