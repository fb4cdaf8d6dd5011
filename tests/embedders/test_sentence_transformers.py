"""The optional backends for real, with models built here (nothing downloads):
a sentence-transformers ``StaticEmbedding`` and a model2vec ``StaticModel``,
each from a word-level tokenizer of the dataset vocabulary and a seeded
weight matrix, saved to a folder as a user's model would be.

Marked sentence_transformers: skipped with the reason where the backend is
not installed, failed instead under REQUIRE_SENTENCE_TRANSFORMERS=1
(``make test-st``, which installs requirements-st.lock).
"""

import csv
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import SCRIPTS
from embedding_limits.embedders import vectors as embedding_files
from embedding_limits.embedders.backends import model_dimension
from helpers import VOCAB, snakemake

DIM = 32
PROMPTS = {"query_prompt": "query: ", "document_prompt": "passage: "}
TINY = {"queries": 15, "documents": 6, "attributes_per_doc": 8}
CORPUS = [
    ("d1", "Aaron likes Quokkas and Knitting"),
    ("d2", "Acosta likes River Otters"),
]
QUERIES = [("q1", "Who likes Quokkas?"), ("q2", "Who likes Otters?")]
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def tokenizer():
    """A word-level tokenizer of every word in resources/vocab (lowercased)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    words = set()
    for path in glob.glob(os.path.join(VOCAB, "*.txt")):
        for line in open(path):
            if not line.startswith("#"):
                words.update(re.findall(r"\w+", line.lower()))
    vocab = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(sorted(words))}}
    made = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    made.normalizer = normalizers.Lowercase()
    made.pre_tokenizer = pre_tokenizers.Whitespace()
    return made


def weights(rows: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((rows, DIM)).astype(np.float32)


@pytest.fixture(scope="module")
def st_model(tmp_path_factory):
    """A sentence-transformers model folder: a StaticEmbedding, saved."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in OFFLINE.items():
            patch.setenv(key, value)
        from sentence_transformers import SentenceTransformer
        from sentence_transformers.sentence_transformer.modules import StaticEmbedding

        words = tokenizer()
        matrix = weights(words.get_vocab_size())
        model = SentenceTransformer(modules=[StaticEmbedding(words, matrix)],
                                    device="cpu")  # fmt: skip
        folder = tmp_path_factory.mktemp("st") / "static-st"
        model.save(str(folder))
    return folder


@pytest.fixture(scope="module")
def m2v_model(tmp_path_factory):
    """A model2vec model folder, made with model2vec's own API."""
    from model2vec import StaticModel

    words = tokenizer()
    model = StaticModel(vectors=weights(words.get_vocab_size()), tokenizer=words,
                        normalize=True)  # fmt: skip
    folder = tmp_path_factory.mktemp("m2v") / "static-m2v"
    model.save_pretrained(str(folder))
    return folder


def dataset(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("corpus", CORPUS), ("queries", QUERIES)):
        lines = [f'{{"_id": "{i}", "text": "{text}"}}\n' for i, text in rows]
        (folder / f"{name}.jsonl").write_text("".join(lines))
    return folder


def embed(tmp_path, backend, model, *options, env=None):
    """embed.py on a two-document dataset: its arrays and header."""
    out = tmp_path / "vectors.npz"
    done = subprocess.run(
        [sys.executable, os.path.join(SCRIPTS, "embed.py"),
         "--dataset-dir", str(dataset(tmp_path / "data")), "--embedder", "x",
         "--backend", backend, "--model", str(model), *options, "--out", str(out)],
        capture_output=True, text=True, env={**os.environ, **OFFLINE, **(env or {})},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return embedding_files.load(str(out))


@pytest.mark.sentence_transformers
def test_embed_py_gives_the_models_own_vectors(tmp_path, st_model):
    from sentence_transformers import SentenceTransformer

    arrays, header = embed(tmp_path, "sentence-transformers", st_model,
                           "--query-prompt", "query: ",
                           "--document-prompt", "passage: ")  # fmt: skip
    model = SentenceTransformer(str(st_model), device="cpu")
    documents = model.encode(["passage: " + text for _, text in CORPUS])
    queries = model.encode(["query: " + text for _, text in QUERIES])
    # the same model and machine; only the batches differ (float32 sums)
    np.testing.assert_allclose(arrays["documents"], documents, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(arrays["queries"], queries, rtol=1e-6, atol=1e-7)
    assert header["dim"] == DIM and header["prompts"]["query"] == "query: "
    assert header["environment"]["package"] == "6.2.0"


@pytest.mark.sentence_transformers("model2vec")
def test_the_model2vec_backend_loads_a_local_folder(tmp_path, m2v_model):
    from model2vec import StaticModel

    arrays, header = embed(tmp_path, "model2vec", m2v_model)
    documents = StaticModel.from_pretrained(str(m2v_model)).encode(
        [text for _, text in CORPUS]
    )
    np.testing.assert_allclose(arrays["documents"], documents, rtol=1e-6, atol=1e-7)
    assert header["dim"] == DIM and header["backend"] == "model2vec"


@pytest.mark.sentence_transformers
def test_a_gpu_job_without_a_gpu_stops_and_says_why(tmp_path, st_model):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is here: the job would run on it")
    done = subprocess.run(
        [sys.executable, os.path.join(SCRIPTS, "embed.py"), "--device", "gpu",
         "--dataset-dir", str(dataset(tmp_path / "data")), "--embedder", "x",
         "--backend", "sentence-transformers", "--model", str(st_model),
         "--out", str(tmp_path / "vectors.npz")],
        capture_output=True, text=True, env={**os.environ, **OFFLINE},
    )  # fmt: skip
    assert done.returncode == 1 and not (tmp_path / "vectors.npz").exists()
    assert "embedders.x: device gpu, but torch" in done.stderr
    assert "sees no CUDA GPU here" in done.stderr


def hub_cache(home, name, folder):
    """``folder`` as the Hugging Face cache under ``home`` holds a download."""
    snapshot = home / "hub" / f"models--{name.replace('/', '--')}" / "snapshots"
    shutil.copytree(folder, snapshot / ("0" * 40))
    return {"HF_HOME": str(home)}


@pytest.mark.sentence_transformers
def test_a_model_in_the_hugging_face_cache_is_found_by_name(tmp_path, st_model):
    env = hub_cache(tmp_path / "hf", "local/static-st", st_model)
    arrays, header = embed(tmp_path, "sentence-transformers", "local/static-st",
                           env=env)  # fmt: skip
    assert arrays["documents"].shape == (2, DIM)
    assert header["model"] == "local/static-st"


def workflow_config(**embedders):
    return {"dims": [4], "seeds": [0], "critical_d": {"enabled": False},
            "datasets": {"tiny": TINY}, "embedders": embedders}  # fmt: skip


def embedder_rows(workdir, name):
    table = workdir / "results" / "tables" / "embedders.csv"
    return [row for row in csv.DictReader(open(table)) if row["embedder"] == name]


@pytest.mark.workflow
@pytest.mark.sentence_transformers("sentence_transformers", "model2vec")
def test_the_workflow_scores_both_backends(tmp_path, st_model, m2v_model):
    st = {"backend": "sentence-transformers", "model": str(st_model), **PROMPTS,
          "dims": [16, DIM], "precisions": ["float32", "binary"]}  # fmt: skip
    m2v = {"backend": "model2vec", "model": str(m2v_model), "precisions": ["int8"]}
    config = workflow_config(st=st, m2v=m2v)
    config["datasets"]["folder"] = {"path": str(dataset(tmp_path / "folder"))}
    (tmp_path / "folder/qrels.jsonl").write_text(
        '{"query-id": "q1", "corpus-id": "d1", "score": 1}\n'
        '{"query-id": "q2", "corpus-id": "d2", "score": 1}\n'
    )  # a folder dataset, read as the release is, scored the same way
    snakemake(tmp_path, "results/tables/embedders.csv", config=config)
    rows = embedder_rows(tmp_path, "st")
    assert sorted((r["dataset"], r["dim"], r["precision"]) for r in rows) == [
        (dataset, dim, precision) for dataset in ("folder", "tiny")
        for dim in ("16", "32") for precision in ("binary", "float32")
    ]  # fmt: skip
    assert all(0 <= float(r["recall_at_2"]) <= 1 for r in rows)
    assert [(r["dim"], r["precision"]) for r in embedder_rows(tmp_path, "m2v")] == [
        (str(DIM), "int8")
    ] * 2
    _, header = embedding_files.load(
        str(tmp_path / "results" / "embeddings" / "tiny" / "embedder~st.npz")
    )
    assert header["prompts"] == {"query": "query: ", "document": "passage: "}


@pytest.mark.sentence_transformers
def test_a_models_dimension_is_read_without_torch(st_model, m2v_model):
    code = ("import sys; sys.modules['torch'] = None; "
            "from embedding_limits.embedders.backends import model_dimension as m; "
            f"print(m('sentence-transformers', {str(st_model)!r}), "
            f"m('model2vec', {str(m2v_model)!r}))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, cwd=SCRIPTS)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [str(DIM), str(DIM)]
    assert model_dimension("sentence-transformers", str(st_model)) == DIM


@pytest.mark.workflow
@pytest.mark.sentence_transformers
def test_dims_above_the_models_fail_before_any_job(tmp_path, st_model):
    st = {"backend": "sentence-transformers", "model": str(st_model), "dims": [64]}
    done = snakemake(tmp_path, config=workflow_config(st=st), check=False)
    assert done.returncode != 0 and not (tmp_path / "results").exists()
    assert "embedders.st.dims: [64] exceed the model's 32 dimensions" in done.stderr


@pytest.mark.workflow
@pytest.mark.sentence_transformers
def test_a_model_that_is_not_here_fails_before_any_job(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-cache"))
    st = {"backend": "sentence-transformers", "model": "nobody/no-such-model"}
    done = snakemake(tmp_path, config=workflow_config(st=st), check=False)
    assert done.returncode != 0 and not (tmp_path / "results").exists()
    message = " ".join(done.stderr.split())
    assert "embedders.st.model: 'nobody/no-such-model' is neither a folder" in message
    assert "hf download nobody/no-such-model" in message and "give a folder" in message


@pytest.mark.sentence_transformers("sentence_transformers", "mteb")
def test_the_scores_are_mtebs_own(tmp_path, st_model):
    """A folder dataset with what real sets hold (a title, a query of another
    split, a score-0 row), scored by the workflow's scripts and by MTEB."""
    from embedding_limits.data.beir import write_dataset
    from embedding_limits.data.limit_text import (
        DatasetSpec,
        generate,
        load_vocabulary,
    )  # fmt: skip

    spec = DatasetSpec("m", queries=40, documents=12, attributes_per_doc=6)
    data = tmp_path / "data"
    made = generate(spec, load_vocabulary(VOCAB))
    write_dataset(made, data)
    corpus = [json.loads(line) for line in open(data / "corpus.jsonl")]
    for row, attribute in zip(corpus, made.query_attributes, strict=False):
        row["title"] = attribute  # MTEB embeds "title text": it moves the ranks
    (data / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus))
    titled = corpus[0]
    with open(data / "queries.jsonl", "a") as handle:
        handle.write('{"_id": "other-split", "text": "Who likes Otters?"}\n')
    with open(data / "qrels.jsonl", "a") as handle:  # judged again: the last counts
        handle.write(json.dumps({"query-id": "query-0", "corpus-id": titled["_id"],
                                 "score": 0}) + "\n")  # fmt: skip
    ours = tmp_path / "ours"
    for script, *args in (
        ("import_dataset.py", "--name", "m", "--source", str(data),
         "--out-dir", str(ours)),
        ("embed.py", "--dataset-dir", str(ours), "--embedder", "st",
         "--backend", "sentence-transformers", "--model", str(st_model),
         "--out", str(tmp_path / "st.npz")),
        ("score_embeddings.py", "--embeddings", str(tmp_path / "st.npz"),
         "--qrels", str(ours / "qrels.jsonl"), "--dim", str(DIM),
         "--precision", "float32", "--out", str(tmp_path / "score.json")),
    ):  # fmt: skip
        done = subprocess.run([sys.executable, os.path.join(SCRIPTS, script), *args],
                              capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
    score = json.loads((tmp_path / "score.json").read_text())
    done = subprocess.run(
        [sys.executable, os.path.join(os.path.dirname(__file__), "mteb_evaluate.py"),
         str(data), str(st_model), str(tmp_path / "mteb.json")],
        capture_output=True, text=True, env={**os.environ, **OFFLINE,
        "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = json.loads((tmp_path / "mteb.json").read_text())
    assert score["scored_queries"] == 40  # "other-split" has no judgements
    assert theirs["main_score"] == theirs["recall_at_2"]
    for metric, value in score["metrics"].items():
        assert value == pytest.approx(theirs[metric], abs=1e-5), metric
