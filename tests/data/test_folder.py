"""Dataset folders in the MTEB/BEIR layout, read as MTEB reads them: every
problem refused by file and line, what real sets hold kept, the answers kept
by content, and a Hugging Face dataset found in a local cache."""

import json
import os

import numpy as np
import pytest

from embedding_limits.data import folder
from embedding_limits.data.folder import DatasetError, inspect, read, relevance

CORPUS = [
    {"_id": "d1", "title": "", "text": "Ann likes Quokkas."},
    {"_id": "d2", "title": "Bo", "text": "Bo likes Otters."},
    {"_id": "d3", "title": "", "text": ""},
    {"_id": "d4", "text": "Cy likes Quokkas and Otters."},
]
QUERIES = [
    {"_id": "q1", "text": "Who likes Quokkas?"},
    {"_id": "q2", "text": "Who likes Otters?"},
    {"_id": "q3", "text": "A query of another split"},
]
QRELS = [
    ("q1", "d1", 1),
    ("q1", "d4", 1),
    ("q2", "d2", 1),
    ("q2", "d4", 2),
    ("q2", "d3", 0),
]


def jsonl(rows) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def write(tmp_path, layout="jsonl", corpus=None, queries=None, qrels=None):
    """A dataset folder; ``qrels`` as rows (tuples) or the file's own text."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "corpus.jsonl").write_text(corpus or jsonl(CORPUS))
    (tmp_path / "queries.jsonl").write_text(queries or jsonl(QUERIES))
    rows = QRELS if qrels is None else qrels
    if layout == "jsonl":
        text = (
            rows
            if isinstance(rows, str)
            else jsonl({"query-id": q, "corpus-id": d, "score": s} for q, d, s in rows)
        )
        (tmp_path / "qrels.jsonl").write_text(text)
    else:
        (tmp_path / "qrels").mkdir()
        text = (
            rows
            if isinstance(rows, str)
            else "query-id\tcorpus-id\tscore\n"
            + "".join(f"{q}\t{d}\t{s}\n" for q, d, s in rows)
        )
        (tmp_path / "qrels/test.tsv").write_text(text)
    return tmp_path


@pytest.mark.parametrize("layout", ["jsonl", "tsv"])
def test_both_layouts_read_alike_as_mteb_keeps_them(tmp_path, layout):
    contents = read(write(tmp_path, layout))
    assert list(contents.qrels) == ["q1", "q2"]  # q3 has no judgements: not scored
    assert contents.qrels["q2"] == {"d2": 1, "d4": 2, "d3": 0}
    assert contents.relevant("q2") == ["d2", "d4"]  # score 0: judged non-relevant
    assert contents.corpus["d3"]["text"] == "" and contents.corpus["d4"]["title"] == ""
    facts = folder.summary(contents)
    assert facts == {
        "documents": 4,
        "queries": 2,
        "all_queries": 3,
        "relevant_documents": 3,
        "k": 2,
        "why_no_k": None,
    }
    qrels = relevance(contents, "x")
    assert qrels.relevant.tolist() == [[0, 3], [1, 3]] and qrels.num_docs == 4


def test_queries_with_different_numbers_of_relevant_documents_have_no_k(tmp_path):
    contents = read(write(tmp_path, qrels=QRELS[:3]))
    facts = folder.summary(contents)
    assert facts["k"] is None and "1 to 2 relevant documents" in facts["why_no_k"]
    with pytest.raises(DatasetError, match="cannot search its critical d"):
        relevance(contents, "x")


BAD = {
    "invalid JSON": (
        {"corpus": jsonl(CORPUS[:2]) + '{"_id": "d3", "text": \n'},
        r"corpus.jsonl:3: invalid JSON",
    ),
    "duplicate id": (
        {"queries": jsonl(QUERIES + [{"_id": "q1", "text": "again"}])},
        r"queries.jsonl:4: _id 'q1' again \(first on line 1\)",
    ),
    "unknown query": (
        {"qrels": QRELS + [("q9", "d1", 1)]},
        r"qrels.jsonl:6: names query 'q9' \(not in queries.jsonl\)",
    ),
    "unknown document": (
        {"qrels": QRELS + [("q1", "nobody", 1)]},
        r"qrels.jsonl:6: names document 'nobody' \(not in corpus.jsonl\)",
    ),
    "missing field": (
        {"corpus": jsonl([{"_id": "d1", "title": "t"}])},
        r"corpus.jsonl:1: needs 'text' \(str\)",
    ),
    "not an object": ({"queries": "[1, 2]\n"}, r"queries.jsonl:1: a JSON list"),
    "bad tsv score": (
        {"layout": "tsv", "qrels": "query-id\tcorpus-id\tscore\nq1\td1\tyes\n"},
        r"qrels/test.tsv:2: needs three tab-separated cells",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_folder_is_refused_by_file_and_line(tmp_path, case):
    files, message = BAD[case]
    with pytest.raises(DatasetError, match=message):
        read(write(tmp_path, **files))


def test_a_file_that_is_not_utf8_is_refused_by_line(tmp_path):
    write(tmp_path)
    with open(tmp_path / "corpus.jsonl", "ab") as handle:
        handle.write(b'{"_id": "d5", "text": "caf\xe9"}\n')
    with pytest.raises(DatasetError, match=r"corpus.jsonl:5: not UTF-8 \(byte 0xe9"):
        read(tmp_path)


def test_a_missing_file_or_folder_is_named(tmp_path):
    with pytest.raises(DatasetError, match="no such folder"):
        read(tmp_path / "nowhere")
    write(tmp_path)
    os.unlink(tmp_path / "qrels.jsonl")
    with pytest.raises(DatasetError, match="neither qrels.jsonl nor qrels/test.tsv"):
        read(tmp_path)
    os.unlink(tmp_path / "queries.jsonl")
    (tmp_path / "queries.jsonl").mkdir()
    with pytest.raises(DatasetError, match="queries.jsonl: not a file"):
        read(tmp_path)


def test_the_checks_run_once_per_content(tmp_path):
    data, cache = write(tmp_path / "data"), tmp_path / "cache"
    spec = inspect("x", str(data), "path: data", str(cache))
    kept = cache / f"{spec.digest}.json"
    assert json.loads(kept.read_text())["documents"] == 4
    # the kept answer is what a second look uses: no file is read again
    kept.write_text(json.dumps({**json.loads(kept.read_text()), "documents": 99}))
    assert inspect("x", str(data), "path: data", str(cache)).documents == 99
    (data / "corpus.jsonl").write_text(jsonl(CORPUS[:3] + [{**CORPUS[3], "_id": "d5"}]))
    with pytest.raises(DatasetError, match="names document 'd4'"):
        inspect("x", str(data), "path: data", str(cache))  # new content: checked
    assert len(list(cache.iterdir())) == 1  # and nothing kept of it


def test_a_hugging_face_dataset_is_found_in_the_local_cache_offline(
    tmp_path, monkeypatch
):
    from huggingface_hub import constants

    hub = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub))  # read once, at import
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(
        DatasetError, match="hf download someone/tiny --repo-type dataset"
    ):
        folder.locate({"hf": "someone/tiny"})
    # the layout huggingface_hub keeps: refs/main names the snapshot
    repo = hub / "datasets--someone--tiny"
    write(repo / "snapshots" / ("a" * 40))
    (repo / "refs").mkdir()
    (repo / "refs/main").write_text("a" * 40)
    found, origin = folder.locate({"hf": "someone/tiny"})
    assert origin == "hf: someone/tiny" and read(found).qrels["q1"] == {
        "d1": 1,
        "d4": 1,
    }


def test_generated_datasets_read_back_to_the_same_relevance(tmp_path):
    from embedding_limits.data.beir import write_dataset
    from embedding_limits.data.limit_text import DatasetSpec, generate, load_vocabulary
    from helpers import VOCAB

    spec = DatasetSpec(
        "g", queries=30, k=3, documents=40, pattern="random", attributes_per_doc=8
    )
    dataset = generate(spec, load_vocabulary(VOCAB))
    write_dataset(dataset, tmp_path)
    qrels = relevance(read(tmp_path), "g")
    np.testing.assert_array_equal(qrels.relevant, dataset.relevant)
    assert qrels.num_docs == 40 and qrels.source == "dataset g"
