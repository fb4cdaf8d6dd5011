"""The real workflow with the bundled embedders on a tiny dataset: the table,
the figure, what a changed setting reruns, and corrupt files."""

import json

import pandas as pd
import pytest
import yaml

from embedding_limits.embedders import backends as embedders
from embedding_limits.retrieval.metrics import METRICS
from helpers import TINY, finished_run, job_counts, planned_jobs, snakemake

pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif(
        bool(embedders.wrong_machine("wordllama")),
        reason="the bundled embedders have x86-64 Linux wheels only",
    ),
]

CONFIG = {
    **TINY, "dims": [3], "seeds": [0], "search": {"grid": {3: [5]}},
    "datasets": {"tiny": {"queries": 15, "documents": 6, "attributes_per_doc": 8}},
    "critical_d": {"start": 2, "sweep": [0, 0]},
    "embedders": {
        "wl": {"backend": "wordllama", "dims": [16, 32],
               "precisions": ["float32", "binary"]},
        "sm": {"backend": "static-model", "dims": [8], "precisions": ["int8"]},
    },
}  # fmt: skip
SCORES = "results/embedders/tiny/embedder~{}/dim~{}/precision~{}.json"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return finished_run(tmp_path_factory, "embedders", CONFIG)


def test_every_dim_and_precision_gets_a_row_beside_bm25(run):
    table = pd.read_csv(run / "results/tables/embedders.csv")
    assert len(table) == 6 and set(table["dataset"]) == {"tiny"}
    models = table[table["embedder"] != "bm25s"]
    rows = set(zip(models["embedder"], models["dim"], models["precision"], strict=True))
    assert rows == {("wl", 16, "float32"), ("wl", 16, "binary"), ("wl", 32, "float32"),
                    ("wl", 32, "binary"), ("sm", 8, "int8")}  # fmt: skip
    bm25 = table[table["embedder"] == "bm25s"].iloc[0]
    retrieval = pd.read_csv(run / "results/tables/retrieval.csv").iloc[0]
    assert all(bm25[m] == retrieval[m] for m in METRICS)
    assert models[list(METRICS)].apply(lambda c: c.between(0, 1)).all().all()
    assert (models["recall_at_1000"] == 1.0).all()  # six documents, all ranked
    assert (models["seconds"] > 0).all() and (models["embed_seconds"] > 0).all()
    assert set(models["model"]) == {"l2_supercat", "tokenlearn-10k-64d"}
    for ext in ("png", "pdf"):
        assert (run / f"results/figures/embedders.{ext}").stat().st_size > 5000
    log = (run / "logs/embeddings/tiny/embedder~wl.log").read_text()
    assert "texts/s" in log  # progress, in texts per second


def test_the_report_holds_the_table_and_figure(run):
    snakemake(run, "--report", "results/report.html")
    html = (run / "results/report.html").read_text(errors="replace")
    assert "embedders.csv" in html and "embedders.png" in html


def changed(run, **embedder):
    config = json.loads(json.dumps(CONFIG))
    config["embedders"]["wl"].update(embedder)
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    try:
        return planned_jobs(run)
    finally:
        (run / "config.yaml").write_text(yaml.safe_dump(CONFIG))


def test_a_new_dim_scores_again_without_embedding_again(run):
    assert planned_jobs(run) == {}
    jobs = changed(run, dims=[16, 32, 64])
    assert jobs == {"score_embedder": 2, "embedders_table": 1, "figure_embedders": 1,
                    "all": 1}  # fmt: skip


def test_a_new_prompt_embeds_again_only_that_embedder(run):
    jobs = changed(run, query_prompt="query: ")
    assert jobs == {"embed": 1, "score_embedder": 4, "embedders_table": 1,
                    "figure_embedders": 1, "all": 1}  # fmt: skip


def test_a_corrupt_embedding_file_is_named_then_recomputed_once_deleted(run):
    path = run / "results/embeddings/tiny/embedder~sm.npz"
    path.write_bytes(b"not a zip file")
    done = snakemake(run, check=False)
    assert done.returncode != 0
    log = (run / "logs/embedders/tiny/embedder~sm/dim~8/precision~int8.log").read_text()
    assert "embedder~sm.npz: not a readable embedding file" in log
    assert "delete it and rerun" in log
    path.unlink()
    snakemake(run)
    assert json.loads((run / SCORES.format("sm", 8, "int8")).read_text())["metrics"]


def test_a_corrupt_score_file_is_named(run):
    path = run / SCORES.format("wl", 16, "binary")
    path.write_text('{"metrics": {}}')
    done = snakemake(run, check=False)
    assert done.returncode != 0
    log = (run / "logs/embedders.log").read_text()
    assert f"{SCORES.format('wl', 16, 'binary')}: not a usable embedder score" in log
    path.unlink()
    snakemake(run)


def test_a_score_copied_over_another_is_named_never_used(run):
    """Issue 31: the dim-16 score copied over the dim-32 one gave a table
    with two dim-16 rows and no dim-32 row."""
    path = run / SCORES.format("wl", 32, "float32")
    original = path.read_bytes()
    path.write_bytes((run / SCORES.format("wl", 16, "float32")).read_bytes())
    try:
        done = snakemake(run, "--forcerun", "embedders_table", check=False)
        assert done.returncode != 0
        log = (run / "logs/embedders.log").read_text()
        assert f"{SCORES.format('wl', 32, 'float32')}: holds the score of dim 16, " \
               "not what its path says; delete it and rerun" in log  # fmt: skip
    finally:
        path.write_bytes(original)
    snakemake(run)


@pytest.mark.parametrize("cut", ["head -n 3", "truncate -s 500"])
def test_a_shortened_corpus_stops_the_run_before_any_job(run, cut):
    """Issue 31: 30 lines of the corpus were scored as the dataset, exit 0;
    cut mid-line, a raw JSONDecodeError in the BM25 log."""
    corpus = run / "results/datasets/tiny/corpus.jsonl"
    original = corpus.read_bytes()
    lines = original.splitlines(keepends=True)
    corpus.write_bytes(
        b"".join(lines[:3]) if cut.startswith("head") else original[:500]
    )
    try:
        done = snakemake(run, check=False)
        said = done.stdout + done.stderr
        assert done.returncode != 0 and "Select jobs to execute" not in said
        assert "results/datasets/tiny/corpus.jsonl: " in said
        assert "delete results/datasets/tiny and rerun" in said
    finally:
        corpus.write_bytes(original)
    assert planned_jobs(run) == {}


def test_a_table_cut_short_is_made_again(run):
    """Issue 31: a truncated embedders.csv failed the figure job on every
    rerun until deleted by hand."""
    table = run / "results/tables/embedders.csv"
    whole = table.read_text()
    table.write_text(whole[: len(whole) // 2])
    done = snakemake(run)
    assert "results/tables/embedders.csv: its last line is cut short; this run " \
           "makes it again" in done.stderr  # fmt: skip
    assert table.read_text() == whole


def test_an_empty_mapping_switches_the_embedders_off_here_and_elsewhere(run, tmp_path):
    """Issue 31: from the folder of config.yaml, --config 'embedders={}' was
    merged key by key into it and changed nothing."""
    here = snakemake(run, "-n", "--forcerun", "retrieval", "--config", "embedders={}")
    assert "embed" not in job_counts(here.stdout)
    (tmp_path / "elsewhere").mkdir()
    config = yaml.safe_dump({**CONFIG, "embedders": {}})
    (tmp_path / "elsewhere/other.yaml").write_text(config)
    there = snakemake(tmp_path / "elsewhere", "-n", "--configfile",
                      str(tmp_path / "elsewhere/other.yaml"))  # fmt: skip
    assert "embed" not in job_counts(there.stdout)
    off = snakemake(run, "-n", "--config", "datasets={}", "embedders={}")
    assert "retrieval" not in job_counts(off.stdout)
