"""LIMIT-style dataset generation, its files, BM25, and the search over d."""

import filecmp
import math
import os

import numpy as np
import pytest

from conftest import ROOT
from embedding_limits.data.beir import read_jsonl, write_dataset
from embedding_limits.data.limit_text import (
    DatasetSpec,
    dense_size,
    generate,
    load_vocabulary,
)
from embedding_limits.search.searches import Search
from embedding_limits.search.strategies import Gallop, SearchDone

VOCAB = load_vocabulary(os.path.join(ROOT, "resources", "vocab"))


def test_vocabulary_is_large_and_clean():
    assert len(VOCAB.likes) >= 1500 and len(set(VOCAB.likes)) == len(VOCAB.likes)
    assert len(VOCAB.first_names) * len(VOCAB.last_names) >= 50_000
    assert all(item.strip() == item and item for item in VOCAB.likes)


def check_liking_rule(data):
    """Exactly the relevant documents like each query's attribute."""
    spec = data.spec
    queried = set(data.query_attributes)
    assert len(queried) == spec.queries
    for q, attribute in enumerate(data.query_attributes):
        likers = {i for i, likes in enumerate(data.likes) if attribute in likes}
        assert likers == set(data.relevant[q].tolist())
    counts = np.bincount(data.relevant.ravel(), minlength=spec.documents)
    for likes, count in zip(data.likes, counts, strict=True):
        assert len(likes) == len(set(likes)) == max(spec.attributes_per_doc, count)


def test_small_dense_dataset_matches_the_paper_shape():
    data = generate(DatasetSpec("limit-small"), VOCAB)
    assert dense_size(1000, 2) == 46
    assert len(data.names) == 46 and len(set(data.names)) == 46
    assert data.relevant.shape == (1000, 2)
    assert data.relevant.tolist()[:3] == [[0, 1], [0, 2], [0, 3]]
    assert len({int(d) for d in data.relevant.ravel()}) == 46
    check_liking_rule(data)


@pytest.mark.parametrize("pattern", ["dense", "random", "cycle", "disjoint"])
def test_each_pattern_has_its_structure(pattern):
    spec = DatasetSpec("p", queries=12, k=3, documents=40, pattern=pattern,
                       attributes_per_doc=8, seed=3)  # fmt: skip
    data = generate(spec, VOCAB)
    relevant = data.relevant
    assert relevant.shape == (12, 3)
    assert all(len(set(row)) == 3 for row in relevant.tolist())
    if pattern == "dense":
        assert relevant.max() < dense_size(12, 3) == 6
    if pattern == "cycle":
        assert relevant.tolist()[:2] == [[0, 1, 2], [1, 2, 3]]
    if pattern == "disjoint":
        assert sorted(relevant.ravel().tolist()) == list(range(36))
    check_liking_rule(data)


def test_distractors_like_no_query_attribute():
    spec = DatasetSpec("full", queries=1000, documents=50_000, attributes_per_doc=50)
    data = generate(spec, VOCAB)
    assert len(set(data.names)) == 50_000
    queried = set(data.query_attributes)
    relevant_docs = {int(d) for d in data.relevant.ravel()}
    assert len(relevant_docs) == 46
    for i in range(46, 50_000, 997):
        assert len(data.likes[i]) == 50 and not queried & set(data.likes[i])


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    spec = DatasetSpec("s", queries=20, documents=12, attributes_per_doc=10, seed=5)
    for folder in ("a", "b"):
        write_dataset(generate(spec, VOCAB), tmp_path / folder)
    write_dataset(
        generate(DatasetSpec(**{**spec.__dict__, "seed": 6}), VOCAB), tmp_path / "c"
    )
    files = [
        "corpus.jsonl",
        "queries.jsonl",
        "qrels.jsonl",
        "qrels/test.tsv",
        "manifest.json",
    ]
    match, mismatch, _ = filecmp.cmpfiles(
        tmp_path / "a", tmp_path / "b", files, shallow=False
    )
    assert sorted(match) == sorted(files) and not mismatch
    assert not filecmp.cmp(
        tmp_path / "a/corpus.jsonl", tmp_path / "c/corpus.jsonl", shallow=False
    )


def test_files_follow_the_beir_layout(tmp_path):
    data = generate(
        DatasetSpec("b", queries=15, documents=10, attributes_per_doc=6), VOCAB
    )
    write_dataset(data, tmp_path)
    corpus, queries = (
        read_jsonl(tmp_path / "corpus.jsonl"),
        read_jsonl(tmp_path / "queries.jsonl"),
    )
    assert [set(row) for row in corpus[:1]] == [{"_id", "title", "text"}]
    assert {row["title"] for row in corpus} == {
        ""
    }  # as released: the name leads the text
    assert corpus[0]["text"].startswith(f"{corpus[0]['_id']} likes ") and corpus[0][
        "text"
    ].endswith(".")
    assert queries[0] == {
        "_id": "query-0",
        "text": f"Who likes {data.query_attributes[0]}?",
    }
    qrels = read_jsonl(tmp_path / "qrels.jsonl")
    assert len(qrels) == 30 and set(qrels[0]) == {"query-id", "corpus-id", "score"}
    tsv = (tmp_path / "qrels/test.tsv").read_text().splitlines()
    assert tsv[0] == "query-id\tcorpus-id\tscore" and len(tsv) == 31
    assert not (tmp_path / "qrels.npz").exists()  # the relevance rule's (folder.py)
    by_query = {}
    for row in qrels:
        by_query.setdefault(row["query-id"], set()).add(row["corpus-id"])
    assert by_query["query-0"] == {data.names[d] for d in data.relevant[0]}


@pytest.mark.parametrize(
    "spec,message",
    [
        (
            DatasetSpec("v", queries=1500, attributes_per_doc=50, documents=60),
            "vocabulary has 1517",
        ),
        (
            DatasetSpec("j", queries=30, documents=50, pattern="disjoint"),
            "documents=50",
        ),
        (DatasetSpec("d", queries=1000, documents=40), "needs 46 documents"),
        (DatasetSpec("n", queries=5, documents=10**6), "unique names"),
    ],
)
def test_impossible_requests_are_refused_clearly(spec, message):
    with pytest.raises(ValueError, match=message) as err:
        generate(spec, VOCAB)
    assert f"dataset {spec.name}" in str(err.value)


@pytest.mark.parametrize("start", [1, 8, 12, 40, 300])
def test_dimension_search_finds_the_smallest_solving_d(start):
    search = Search(protocol="published", axis="d", k=2, dataset="limit-small",
                    documents=46, strategy=Gallop(start, (-2, 3)),
                    limit=1024)  # fmt: skip
    outcomes, order = {}, []
    while not isinstance(step := search.plan(outcomes), SearchDone):
        order.append(step.n)
        outcomes[step.n] = {0: step.n >= 12}  # seed 0 solved it
    assert step.upper_n == 12 and step.critical_n == 11 and search.found(step) == 12
    assert set(range(9, 15)) <= set(step.probed) | set(step.sweep)
    assert len(order) == len(set(order)) and len(order) <= 2 * math.log2(300) + 10
