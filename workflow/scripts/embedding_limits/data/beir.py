"""Datasets on disk in the MTEB/BEIR layout of the paper's released LIMIT data."""

from __future__ import annotations

import json
from pathlib import Path

from ..files import write_json_atomic, write_text_atomic
from .limit_text import Dataset, document_text, query_text

# A dataset's folder in the MTEB/BEIR layout (the released LIMIT's), with the
# optimiser's relevance beside it: the one home of these names (store/paths.py
# builds the workflow's dataset paths from them).
CORPUS = "corpus.jsonl"
QUERIES = "queries.jsonl"
QRELS = "qrels.jsonl"
QRELS_TSV = "qrels/test.tsv"
QRELS_NPZ = "qrels.npz"
MANIFEST = "manifest.json"
FILES = (CORPUS, QUERIES, QRELS, QRELS_TSV)  # what a dataset job writes


def _jsonl(rows) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def write_dataset(dataset: Dataset, folder: str | Path) -> dict:
    """Write every file of ``FILES`` plus the manifest; returns the manifest.

    Document ids are the people's names (unique), query ids ``query-<i>``.
    Titles are empty, as in the released LIMIT: the name begins the text,
    and MTEB embeds a title joined before the text (``embedded_text``).
    """
    folder = Path(folder)
    corpus = [
        {"_id": name, "title": "", "text": document_text(name, likes)}
        for name, likes in zip(dataset.names, dataset.likes, strict=True)
    ]
    queries = [
        {"_id": f"query-{i}", "text": query_text(attribute)}
        for i, attribute in enumerate(dataset.query_attributes)
    ]
    pairs = [
        (f"query-{q}", dataset.names[doc]) for q, docs in enumerate(dataset.relevant)
        for doc in docs
    ]  # fmt: skip
    write_text_atomic(folder / CORPUS, _jsonl(corpus))
    write_text_atomic(folder / QUERIES, _jsonl(queries))
    write_text_atomic(
        folder / QRELS,
        _jsonl({"query-id": q, "corpus-id": d, "score": 1} for q, d in pairs),
    )
    tsv = "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in pairs)
    write_text_atomic(folder / QRELS_TSV, tsv)
    spec = dataset.spec
    manifest = {
        **spec.to_dict(),
        "source": spec.source,
        "all_queries": spec.queries,
        "relevant_documents": int(len({int(d) for d in dataset.relevant.ravel()})),
        "files": list(FILES),
    }
    write_json_atomic(str(folder / MANIFEST), manifest)
    return manifest


def embedded_text(document: dict) -> str:
    """A corpus row's text as MTEB embeds it: a non-empty title, a space and
    the text, stripped (``title`` may be missing; then the text alone)."""
    return f"{document.get('title') or ''} {document['text']}".strip()


def read_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
