"""An embedder's vectors of one dataset on disk: one .npz, written whole.

It holds the documents' and queries' vectors at the model's full dimension
(float32), their ids, and a JSON header saying what made them. A file that
cannot be read is named with the fix (delete it; the workflow recomputes it),
as a corrupt run file is.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np

from ..files import atomic_write

ARRAYS = ("documents", "queries", "document_ids", "query_ids")


class EmbeddingFileError(ValueError):
    """An embedding file that cannot be used; the message says which and why."""


def save(path, documents, queries, document_ids, query_ids, header: dict) -> None:
    with atomic_write(path, binary=True) as handle:
        np.savez(
            handle,
            documents=np.asarray(documents, np.float32),
            queries=np.asarray(queries, np.float32),
            document_ids=np.asarray(document_ids, dtype=str),
            query_ids=np.asarray(query_ids, dtype=str),
            header=np.asarray(json.dumps(header)),
        )


def load(path) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays of ``ARRAYS`` and the header; EmbeddingFileError when the
    file is unreadable or inconsistent."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in ARRAYS}
            header = json.loads(str(data["header"]))
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise EmbeddingFileError(
            f"{path}: not a readable embedding file ({type(error).__name__}: {error}); "
            "delete it and rerun, and the workflow recomputes it"
        ) from None
    documents, queries = arrays["documents"], arrays["queries"]
    problems = []
    if (
        documents.ndim != 2
        or queries.ndim != 2
        or documents.shape[1] != queries.shape[1]
    ):
        problems.append(f"shapes {documents.shape} and {queries.shape} do not match")
    elif len(arrays["document_ids"]) != len(documents) or len(
        arrays["query_ids"]
    ) != len(queries):
        problems.append("ids and vectors differ in number")
    elif not (np.isfinite(documents).all() and np.isfinite(queries).all()):
        problems.append("vectors that are not finite")
    if problems:
        raise EmbeddingFileError(f"{path}: {problems[0]}; delete it and rerun, and "
                                 "the workflow recomputes it")  # fmt: skip
    return arrays, header
