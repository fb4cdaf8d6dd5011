"""Retrieval datasets from a folder in the MTEB/BEIR layout (the released
LIMIT's, or any BEIR set), read as MTEB reads them and checked by file and line.

A folder holds ``corpus.jsonl`` (``_id``, ``title``, ``text``),
``queries.jsonl`` (``_id``, ``text``) and its judgements as ``qrels.jsonl``
(``query-id``, ``corpus-id``, ``score``) or BEIR's ``qrels/test.tsv``. What real
sets legitimately hold is kept as MTEB keeps it: queries without judgements are
not scored (``queries.jsonl`` covers every split), score-0 rows are judged
non-relevant (trec_eval's relevance level 1), empty texts stay empty. What no
reader could use is refused, every problem by file and line.

``FolderSpec`` is what the workflow plans with: the counts, the k that every
judged query shares (the optimiser's critical-d search needs one) and the
content digest that makes a changed file rerun what depends on it. Checking a
50,000-document corpus takes seconds, so ``inspect`` keeps each answer under
its digest and a dry run only hashes the files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..files import sha256, write_json_atomic
from . import beir
from .qrels import Qrels, dataset_source

RELEVANT = 1  # the least score judged relevant (trec_eval's relevance level)


class DatasetError(ValueError):
    """A folder that is no readable dataset; the message lists each problem."""


@dataclass(frozen=True)
class FolderSpec:
    """A folder dataset as the workflow plans it (``DatasetSpec``'s sibling)."""

    name: str
    path: str  # the folder read (an hf dataset: its snapshot in the local cache)
    origin: str  # as the config gives it: "path: ..." or "hf: ..."
    digest: str  # of the files' content
    documents: int
    queries: int  # the judged queries: those scored
    all_queries: int  # every row of queries.jsonl
    relevant_documents: int  # documents judged relevant by some query
    k: int | None  # relevant documents of every judged query, when one number
    why_no_k: str | None  # why there is no such k, else None

    @property
    def source(self) -> str:
        return self.origin

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def describe(self) -> dict:
        """What the tables say of it."""
        return {
            "name": self.name,
            "source": self.source,
            "documents": self.documents,
            "queries": self.queries,
            "k": self.k,
        }

    def options(self) -> str:
        """What import_dataset.py is given: the folder and the content it
        must find there (a changed file changes these, so reruns the job)."""
        return (
            f"--source {shlex.quote(self.path)} --digest {self.digest} "
            f"--origin {shlex.quote(self.origin)}"
        )


def locate(settings: dict) -> tuple[str, str]:
    """(the folder to read, its origin) of a config entry with ``path`` (read
    from the working directory when relative) or ``hf``: a Hugging Face
    dataset already in the local cache, found offline."""
    if "path" in settings:
        return settings["path"], f"path: {settings['path']}"
    repo = settings["hf"]
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = snapshot_download(repo, repo_type="dataset", local_files_only=True)
    except LocalEntryNotFoundError:
        raise DatasetError(
            f"{repo} is not in the local Hugging Face cache (HF_HUB_CACHE); "
            f"download it once: hf download {repo} --repo-type dataset"
        ) from None
    return folder, f"hf: {repo}"


def qrels_file(folder: str | Path) -> Path:
    """The judgements: ``qrels.jsonl``, else BEIR's ``qrels/test.tsv``."""
    folder = Path(folder)
    for name in (beir.QRELS, beir.QRELS_TSV):
        if (folder / name).is_file():
            return folder / name
    raise DatasetError(
        f"{folder}: no judgements, neither {beir.QRELS} nor {beir.QRELS_TSV}; "
        "a dataset folder holds corpus.jsonl, queries.jsonl and one of them"
    )


def source_files(folder: str | Path) -> list[Path]:
    """The files a folder dataset is read from, each checked to exist."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder")
    files = [folder / beir.CORPUS, folder / beir.QUERIES]
    missing = [
        f"{f}: {'not a file' if f.exists() else 'no such file'}"
        for f in files
        if not f.is_file()
    ]
    if missing:
        raise DatasetError(
            "; ".join(missing) + "; a dataset folder holds "
            "corpus.jsonl, queries.jsonl and its qrels"
        )
    return files + [qrels_file(folder)]


def digest(files: list[Path]) -> str:
    """sha256 over the files' names and bytes: equal only for equal content."""
    total = hashlib.sha256()
    for path in files:
        total.update(path.name.encode() + b"\0")
        try:
            sha256(path, into=total)
        except OSError as error:
            raise DatasetError(f"{path}: cannot be read ({error.strerror})") from None
    return total.hexdigest()


def _lines(path: Path, problems: list[str]):
    """(line number, text) of each non-blank line; a line that is not UTF-8
    is a problem, and so is a file that cannot be read."""
    try:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    problems.append(
                        f"{path}:{number}: not UTF-8 (byte "
                        f"{raw[error.start]:#04x} at column "
                        f"{error.start + 1}); save the file as UTF-8"
                    )
                    continue
                if text.strip():
                    yield number, text
    except OSError as error:
        problems.append(f"{path}: cannot be read ({error.strerror})")


def _records(path: Path, required: dict[str, tuple], problems: list[str]):
    """(line, object) of each JSON line holding the ``required`` fields."""
    for number, text in _lines(path, problems):
        try:
            row = json.loads(text)
        except json.JSONDecodeError as error:
            problems.append(
                f"{path}:{number}: invalid JSON ({error.msg} at column "
                f"{error.colno}); one JSON object per line"
            )
            continue
        if not isinstance(row, dict):
            problems.append(
                f"{path}:{number}: a JSON {type(row).__name__}, not an "
                "object; one JSON object per line"
            )
            continue
        wrong = [
            f"{key!r} ({' or '.join(t.__name__ for t in types)})"
            for key, types in required.items()
            if not isinstance(row.get(key), types) or isinstance(row.get(key), bool)
        ]
        if wrong:
            problems.append(f"{path}:{number}: needs {', '.join(wrong)}")
            continue
        yield number, row


def _ids(path: Path, problems: list[str], fields: dict) -> dict[str, dict]:
    """Rows by ``_id`` (as a string, in file order); a repeated id is a problem."""
    rows, seen = {}, {}
    for number, row in _records(path, {"_id": (str, int), **fields}, problems):
        key = str(row["_id"])
        if key in seen:
            problems.append(
                f"{path}:{number}: _id {key!r} again (first on line "
                f"{seen[key]}); ids must be unique"
            )
            continue
        seen[key] = number
        rows[key] = row
    return rows


def _judgements(path: Path, problems: list[str]):
    """(line, query id, document id, score) of each judgement."""
    if path.suffix == ".jsonl":
        fields = {"query-id": (str, int), "corpus-id": (str, int), "score": (int,)}
        for number, row in _records(path, fields, problems):
            yield number, str(row["query-id"]), str(row["corpus-id"]), row["score"]
        return
    for number, text in _lines(path, problems):
        cells = text.rstrip("\r\n").split("\t")
        if number == 1 and cells[:2] == ["query-id", "corpus-id"]:
            continue  # BEIR's header
        if len(cells) != 3 or not cells[2].lstrip("-").isdigit():
            problems.append(
                f"{path}:{number}: needs three tab-separated cells, "
                "query-id, corpus-id and an integer score"
            )
            continue
        yield number, cells[0], cells[1], int(cells[2])


@dataclass(frozen=True)
class Contents:
    """A checked folder: rows in file order, judgements as MTEB keeps them."""

    corpus: dict[str, dict]  # _id -> row
    queries: dict[str, dict]  # _id -> row, every row of queries.jsonl
    qrels: dict[str, dict[str, int]]  # judged query -> {document: score}

    def relevant(self, query: str) -> list[str]:
        return [doc for doc, score in self.qrels[query].items() if score >= RELEVANT]


def read(folder: str | Path) -> Contents:
    """Every row of the folder, checked; raises DatasetError listing each
    problem by file and line (at most 20 of them)."""
    files = source_files(folder)
    problems: list[str] = []
    corpus = _ids(files[0], problems, {"text": (str,)})
    queries = _ids(files[1], problems, {"text": (str,)})
    qrels: dict[str, dict[str, int]] = {}
    named = not problems  # ids to check the judgements against
    for number, query, doc, score in _judgements(files[2], problems):
        unknown = [f"query {query!r} (not in {beir.QUERIES})"] * (query not in queries)
        unknown += [f"document {doc!r} (not in {beir.CORPUS})"] * (doc not in corpus)
        if unknown and named:
            problems.append(f"{files[2]}:{number}: names {' and '.join(unknown)}")
            continue
        qrels.setdefault(query, {})[doc] = score  # a repeated pair: the last, as MTEB
    for path, rows in zip(files, (corpus, queries, qrels), strict=True):
        if not rows and not any(p.startswith(str(path)) for p in problems):
            problems.append(f"{path}: no rows")
    if problems:
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise DatasetError("\n  ".join(problems[:20]) + more)
    for row in corpus.values():
        row.setdefault("title", "")
    return Contents(corpus, queries, qrels)


def relevance(contents: Contents, name: str) -> Qrels:
    """The optimiser's qrels: each judged query's relevant documents by their
    place in the corpus, in file order; every judged query must share one k."""
    facts = summary(contents)
    if facts["k"] is None:
        raise DatasetError(
            f"dataset {name}: {facts['why_no_k']}, so the "
            "optimiser cannot search its critical d"
        )
    place = {doc: i for i, doc in enumerate(contents.corpus)}
    rows = [[place[d] for d in contents.relevant(q)] for q in contents.qrels]
    return Qrels(np.asarray(rows, np.int32), len(place), dataset_source(name))


def summary(contents: Contents) -> dict:
    """The counts and the shared k of a checked folder."""
    sizes = {len(contents.relevant(q)) for q in contents.qrels}
    unjudged = sum(1 for q in contents.qrels if not contents.relevant(q))
    if unjudged:
        why = f"{unjudged} judged queries have no document with score >= {RELEVANT}"
    elif len(sizes) > 1:
        why = (
            f"its queries have {min(sizes)} to {max(sizes)} relevant documents, "
            "not one k"
        )
    else:
        why = None
    named = {d for q in contents.qrels for d in contents.relevant(q)}
    return {
        "documents": len(contents.corpus),
        "queries": len(contents.qrels),
        "all_queries": len(contents.queries),
        "relevant_documents": len(named),
        "k": None if why else sizes.pop(),
        "why_no_k": why,
    }


# what summary() says of a folder: what inspect keeps under its digest
_FACTS = ("documents", "queries", "all_queries", "relevant_documents", "k", "why_no_k")


def inspect(name: str, folder: str, origin: str, cache_dir: str | None) -> FolderSpec:
    """The spec of a folder dataset, checked once per content: the answer is
    kept in ``cache_dir`` under the files' digest (None: no cache)."""
    files = source_files(folder)
    content = digest(files)
    cached = Path(cache_dir, f"{content}.json") if cache_dir else None
    try:
        facts = json.loads(cached.read_text()) if cached else None
    except (OSError, ValueError):
        facts = None  # missing or unreadable: check again
    if not isinstance(facts, dict) or set(facts) != set(_FACTS):
        facts = summary(read(folder))
        if cached:
            write_json_atomic(cached, facts)
    return FolderSpec(
        name=name, path=os.fspath(folder), origin=origin, digest=content, **facts
    )
