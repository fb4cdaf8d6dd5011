"""Real embedders: storage precisions, MTEB's metrics against plain numpy,
the bundled models loaded offline, embedding files, and config checks."""

import json
import os
import re

import numpy as np
import pytest

from conftest import ROOT
from embedding_limits.config.load import ConfigError, load
from embedding_limits.embedders import backends as embedders
from embedding_limits.embedders import checks as embedder_checks
from embedding_limits.embedders import quantize
from embedding_limits.embedders import vectors as embedding_files
from embedding_limits.embedders.checks import errors, runnable
from embedding_limits.retrieval import metrics as ir_metrics
from helpers import SCHEMA, SCHEMA_PATH, VOCAB


def numpy_recall(scores_QxN, relevant: list[set[int]], ids: list[str], k: int):
    """recall@k by hand: each query's documents sorted by score, equal scores
    by id, last id first (trec_eval's order), and the share of its relevant
    ones among the first k."""
    recalls = []
    for row, wanted in zip(scores_QxN, relevant, strict=True):
        order = sorted(range(len(ids)), key=lambda j: (-row[j], _reverse(ids[j])))
        recalls.append(len(wanted & set(order[:k])) / len(wanted))
    return float(np.mean(recalls))


def _reverse(text: str):
    return tuple(-ord(c) for c in text) + (1,)  # descending, longer id first


def small_case(seed=0, queries=40, documents=30, dim=16):
    rng = np.random.default_rng(seed)
    docs = rng.normal(size=(documents, dim)).astype(np.float32)
    relevant = [set(rng.choice(documents, size=2, replace=False).tolist())
                for _ in range(queries)]  # fmt: skip
    # each query near the mean of its relevant documents, plus noise
    qs = np.stack([docs[sorted(r)].mean(0) for r in relevant])
    qs = qs + rng.normal(scale=0.8, size=qs.shape).astype(np.float32)
    ids = [f"doc-{j}" for j in range(documents)]
    qrels = {f"q{i}": {ids[j]: 1 for j in r} for i, r in enumerate(relevant)}
    return docs, qs, relevant, ids, qrels


@pytest.mark.parametrize("precision", embedders.PRECISIONS)
def test_pytrec_eval_recall_equals_plain_numpy(precision):
    """The library's recall@k, from our ranking, equals a hand computation
    from the same stored vectors; binary scores tie often, so this also
    checks that ties are ranked as trec_eval ranks them."""
    docs, qs, relevant, ids, qrels = small_case()
    dim = 12  # a Matryoshka truncation of the 16
    tie = ir_metrics.tie_order(ids)
    order, kept = quantize.rank_in_blocks(docs, qs, precision, dim, tie, len(ids))
    run = ir_metrics.run_of(list(qrels), ids, order, kept)
    found = ir_metrics.evaluate(run, qrels)
    stored_docs, stored_qs = quantize.stored(
        quantize.truncate(docs, dim), quantize.truncate(qs, dim), precision
    )
    scores = quantize.scores(stored_docs, stored_qs, precision, dim)
    if precision == "binary":
        assert len(np.unique(scores[0])) < len(ids)  # ties are there to be broken
    for k in (1, 2, 3, 5, 10, 20):
        assert found[f"recall_at_{k}"] == pytest.approx(
            numpy_recall(scores, relevant, ids, k), abs=1e-12
        ), k
    assert found["recall_at_1000"] == 1.0
    assert set(found) == set(ir_metrics.METRICS)


def test_truncation_renormalises_and_quantisations_score_as_documented():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(20, 8))
    short = quantize.truncate(vectors, 5)
    assert short.shape == (20, 5) and np.allclose(np.linalg.norm(short, axis=1), 1)
    assert np.allclose(short * np.linalg.norm(vectors[:, :5], axis=1)[:, None],
                       vectors[:, :5], atol=1e-6)  # fmt: skip
    docs, qs = quantize.stored(short, short[:3] * 2, "int8")
    assert (
        docs.dtype == np.int8
        and (docs.min(0) == -128).all()
        and (docs.max(0) == 127).all()
    )
    assert qs.min() >= -128 and qs.max() <= 127  # queries beyond the range clipped
    docs, qs = quantize.stored(short, short[:3], "binary")
    signs_d, signs_q = np.where(short > 0, 1, -1), np.where(short[:3] > 0, 1, -1)
    assert np.array_equal(quantize.scores(docs, qs, "binary", 5), signs_q @ signs_d.T)
    with pytest.raises(ValueError, match="dim 9 exceeds"):
        quantize.truncate(vectors, 9)


def test_an_embedding_file_round_trips_and_a_corrupt_one_is_named(tmp_path):
    path = tmp_path / "e.npz"
    docs, qs = np.ones((3, 4)), np.zeros((2, 4))
    embedding_files.save(path, docs, qs, ["a", "b", "c"], ["q1", "q2"], {"dim": 4})
    arrays, header = embedding_files.load(path)
    assert header == {"dim": 4} and arrays["document_ids"].tolist() == ["a", "b", "c"]
    assert arrays["documents"].dtype == np.float32
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(embedding_files.EmbeddingFileError, match="delete it and rerun"):
        embedding_files.load(path)
    assert not list(tmp_path.glob(".*.tmp"))  # nothing half-written left behind


needs_bundled = pytest.mark.skipif(
    bool(embedders.wrong_machine("wordllama") or embedders.not_installed("wordllama")
         or embedders.not_installed("static-model")),
    reason="the bundled embedders have x86-64 Linux wheels only",
)  # fmt: skip


@needs_bundled
def test_wordllama_loads_offline_and_truncates_as_its_own_loader_does(monkeypatch):
    """WordLlama truncates its token vectors before averaging; averaging
    first and truncating after (what the scoring jobs do) is the same."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from wordllama.inference import WordLlamaInference

    from embedding_limits.embedders.encoders import load

    encoder = load("w", "wordllama", None)
    texts = ["Who likes apples?", "Jon likes apples, trains and Rome."]
    full = encoder(texts)
    assert full.shape == (2, 256)
    inner = encoder.__closure__[0].cell_contents  # the WordLlamaInference
    truncated = WordLlamaInference(inner.embedding[:, :64], inner.tokenizer)
    expected = truncated.embed(texts, norm=True)
    assert np.allclose(quantize.truncate(full, 64), expected, atol=1e-5)


@needs_bundled
def test_the_static_model_gives_unit_vectors_of_its_dimension():
    from embedding_limits.embedders.encoders import encode, load

    vectors = encode(load("s", "static-model", None), ["a", "b c"] * 3, "test")
    assert vectors.shape == (6, 64) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_the_schema_lists_the_backends_and_precisions():
    entry = SCHEMA["properties"]["embedders"]["additionalProperties"]["properties"]
    assert tuple(entry["backend"]["enum"]) == tuple(embedders.BACKENDS)
    assert tuple(entry["precisions"]["items"]["enum"]) == embedders.PRECISIONS


def checked(embedders_section):
    """A config of these embedders only (and the schema's defaults)."""
    return load({"embedders": embedders_section}, SCHEMA_PATH, None, VOCAB).config


@pytest.mark.parametrize(
    "entry,message",
    [
        ({"backend": "wordllama", "dims": [64, 512]},
         "embedders.e.dims: [512] exceed the model's 256 dimensions"),
        ({"backend": "wordllama", "device": "gpu"},
         "embedders.e.device: backend wordllama runs on cpu only"),
        ({"backend": "static-model", "model": "other"},
         "embedders.e.model: backend static-model carries only"),
        ({"backend": "sentence-transformers"},
         "embedders.e.model: backend sentence-transformers carries no model"),
        ({"backend": "wordllama", "datasets": ["nope"]},
         "embedders.e.datasets: nope is not a dataset the config makes"),
        ({"backend": "faiss"}, "embedders.e.backend"),
        ({"backend": "wordllama", "precisions": ["int4"]}, "embedders.e.precisions[0]"),
        ({"backend": "wordllama", "dimz": [4]}, "dimz"),
    ],
)  # fmt: skip
def test_a_bad_embedder_is_refused_naming_the_key(entry, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        checked({"e": entry})


def test_a_bundled_embedder_without_wheels_here_is_left_out_with_one_line(monkeypatch):
    config = checked({"w": {"backend": "wordllama"}, "s": {"backend": "static-model"}})
    monkeypatch.setattr(embedders, "machine", lambda: "aarch64")
    keep, notes, problems = runnable(config, check_installed=True)
    assert keep == {} and problems == []
    assert notes == [
        f"embedders.{name}: left out, {backend} publishes wheels for x86_64 Linux "
        f"only, and this is aarch64 linux"
        for name, backend in (("w", "wordllama"), ("s", "static-model"))
    ]


def test_a_model_that_is_not_here_fails_naming_the_embedder(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    config = checked({"m": {"backend": "model2vec", "model": "org/absent"}})
    # as where model2vec is installed (make venv ST=1)
    monkeypatch.setattr(embedder_checks, "not_installed", lambda backend: None)
    keep, notes, problems = runnable(config, check_installed=True)
    assert keep == {} and notes == []
    assert problems[0].startswith("embedders.m.model: 'org/absent' is neither a folder")
    assert "hf download org/absent" in problems[0]
    # in the Hugging Face cache, it is found without a download
    snapshot = tmp_path / "models--org--absent" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text(json.dumps({"hidden_dim": 32}))
    keep, _, problems = runnable(config, check_installed=True)
    assert list(keep) == ["m"] and problems == []
    assert embedders.model_dimension("model2vec", "org/absent") == 32


def test_a_model_whose_files_hide_its_dimension_needs_dims(monkeypatch, tmp_path):
    """dims left out means the model's full dimension; a model folder that
    does not say it is refused before any job, not scored at dim None."""
    (tmp_path / "model").mkdir()
    entry = {"backend": "model2vec", "model": str(tmp_path / "model")}
    with pytest.raises(ConfigError, match=re.escape("embedders.m.dims: the model's")):
        checked({"m": entry})
    config = checked({"m": {**entry, "dims": [8]}})
    assert embedder_checks.dims_of(config["embedders"]["m"]) == [8]
    shipped = checked({"w": {"backend": "wordllama"}})["embedders"]["w"]
    assert embedder_checks.dims_of(shipped) == [256]


def test_the_shipped_embedders_are_checked_clean():
    shipped = load({}, SCHEMA_PATH, os.path.join(ROOT, "config.yaml"), VOCAB).config
    assert set(shipped["embedders"]) == {"wordllama", "static-model"}
    assert errors(shipped) == []


@pytest.mark.parametrize("levels", [None, 3])
def test_ranking_a_few_of_many_documents_keeps_trec_evals_order(levels):
    """The first ``depth`` of many documents, found among the fewest columns
    that can hold them, equal the full sort's first ``depth``, ties too (3
    score levels: almost everything ties)."""
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(7, 500))
    if levels:
        scores = rng.integers(0, levels, size=scores.shape).astype(float)
    tie = rng.permutation(500)
    full = np.lexsort((np.broadcast_to(tie, scores.shape), -scores), axis=1)
    for depth in (1, 10, 499, 500):
        assert np.array_equal(quantize.ranked(scores, tie, depth), full[:, :depth])


@pytest.mark.parametrize(
    "settings,message",
    [
        (["hidden_size", 32], "config.json is a JSON list, not the object of settings"),
        ({"hidden_size": True}, "config.json: hidden_size is True, not a dimension"),
        ({"hidden_dim": 0}, "config.json: hidden_dim is 0, not a dimension"),
    ],
)  # fmt: skip
def test_a_model_config_of_the_wrong_shape_is_refused_naming_it(tmp_path, settings,
                                                                message):  # fmt: skip
    (tmp_path / "model").mkdir()
    (tmp_path / "model/config.json").write_text(json.dumps(settings))
    entry = {"backend": "model2vec", "model": str(tmp_path / "model")}
    with pytest.raises(
        ConfigError, match=r"embedders\.m\.model: .*" + re.escape(message)
    ):
        checked({"m": entry})


def test_a_score_file_is_checked_against_its_path(tmp_path, monkeypatch):
    from embedding_limits.reports.embedder_table import load_score
    from embedding_limits.store.documents import ResultError

    path = "results/embedders/{}/embedder~wl/dim~{}/precision~float32.json"
    document = {
        "parameters": {"dataset": "tiny", "embedder": "wl", "dim": 64,
                       "precision": "float32"},
        "metrics": dict.fromkeys(ir_metrics.METRICS, 0.5),
        "timing": {"seconds": 1.0},
    }  # fmt: skip
    for dataset, dim in (("tiny", 64), ("tiny", 128), ("other", 64)):
        target = tmp_path / path.format(dataset, dim)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(document))
    monkeypatch.chdir(tmp_path)  # the paths are the workflow's, relative
    assert load_score(path.format("tiny", 64))["parameters"]["dim"] == 64
    with pytest.raises(ResultError, match="holds the score of dim 64, not what its"):
        load_score(path.format("tiny", 128))
    with pytest.raises(ResultError, match="holds the score of dataset tiny"):
        load_score(path.format("other", 64))
