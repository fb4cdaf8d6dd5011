"""Datasets on disk in the MTEB/BEIR layout of the paper's released LIMIT data."""

from __future__ import annotations

import json
from pathlib import Path

from ..files import sha256, write_json_atomic, write_text_atomic
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
# The files' layout: 2 = titles empty as released, each file's size and sha256
# in the manifest (checked by every reader: ``verify``). A dataset rule names
# it as a param, so a folder of an older layout is made again.
LAYOUT = 2


class DatasetFilesError(ValueError):
    """A dataset folder whose files are not what its manifest says."""


def checksums(folder: str | Path) -> dict[str, dict]:
    """Each file of ``FILES``: its size in bytes and its sha256."""
    folder = Path(folder)
    return {
        name: {"bytes": (folder / name).stat().st_size,
               "sha256": sha256(folder / name).hexdigest()}
        for name in FILES
    }  # fmt: skip


def changed(folder: str | Path) -> str | None:
    """Why a made dataset folder's files are no longer what it made, or None
    (also for a folder not made yet, or of an older layout: its job remakes
    it, as its layout param differs)."""
    try:
        made = "checksums" in json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError, TypeError):
        return None
    try:
        verify(folder) if made else None
    except DatasetFilesError as error:
        return str(error)
    return None


def verify(folder: str | Path, names=(CORPUS, QUERIES, QRELS)) -> dict:
    """The manifest of a dataset folder whose files ``names`` are what it
    says they are (size, then sha256); DatasetFilesError names the file that
    is not, and the fix."""
    folder = Path(folder)
    fix = f"delete {folder} and rerun: the workflow makes it again"
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        made = manifest["checksums"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        why = "it has no checksums (an older layout)" if isinstance(
            error, KeyError) else f"unreadable ({error})"  # fmt: skip
        raise DatasetFilesError(f"{folder / MANIFEST}: {why}; {fix}") from None
    for name in names:
        path, want = folder / name, made.get(name, {})
        try:
            size = path.stat().st_size
            if size != want.get("bytes"):
                raise DatasetFilesError(f"{path}: {size} bytes, but it was made with "
                                        f"{want.get('bytes')}; {fix}")  # fmt: skip
            if sha256(path).hexdigest() != want.get("sha256"):
                raise DatasetFilesError(f"{path}: its content changed since it was "
                                        f"made (sha256); {fix}")  # fmt: skip
        except OSError as error:
            raise DatasetFilesError(f"{path}: {error.strerror}; {fix}") from None
    return manifest


def jsonl(rows) -> str:
    """Rows as JSON lines (UTF-8 kept as it is)."""
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
    write_text_atomic(folder / CORPUS, jsonl(corpus))
    write_text_atomic(folder / QUERIES, jsonl(queries))
    write_text_atomic(
        folder / QRELS,
        jsonl({"query-id": q, "corpus-id": d, "score": 1} for q, d in pairs),
    )
    tsv = "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in pairs)
    write_text_atomic(folder / QRELS_TSV, tsv)
    spec = dataset.spec
    manifest = {
        **spec.to_dict(),
        "source": spec.source,
        "all_queries": spec.queries,
        "relevant_documents": int(len({int(d) for d in dataset.relevant.ravel()})),
        "layout": LAYOUT,
        "checksums": checksums(folder),
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
