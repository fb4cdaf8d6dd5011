"""Relevance judgements (qrels) as padded index matrices.

A qrels matrix ``relevant_QxR`` holds, for each of Q queries, the indices of its
relevant documents, padded with -1 to the longest list R. The free-embedding
experiment's qrels are all k-subsets of n documents (R = k), in the order of
``itertools.combinations(range(n), k)``, as in the paper's published script.
"""

from __future__ import annotations

import itertools
import math
import zipfile
from dataclasses import dataclass

import numpy as np

from ..files import atomic_write

PAD = -1


@dataclass(frozen=True)
class Qrels:
    """Relevant documents per query: ``relevant`` is (Q, R) int32, -1 padded."""

    relevant: np.ndarray
    num_docs: int
    source: str

    @property
    def num_queries(self) -> int:
        return int(self.relevant.shape[0])

    @property
    def num_relevant(self) -> int:
        return int(np.count_nonzero(self.relevant != PAD))


def num_combinations(n: int, k: int) -> int:
    """C(n, k): the number of queries of the full (n, k) experiment."""
    return math.comb(n, k)


def sample_query_indices(total: int, max_queries: int, seed: int) -> np.ndarray:
    """The published cap: ``default_rng(seed + 1).choice(total, max_queries)``.

    Indices come in the order drawn, without replacement. ``seed`` is the run's
    seed; the ``+ 1`` matches the published script, which passes ``seed + 1``.
    """
    rng = np.random.default_rng(seed + 1)
    return rng.choice(total, max_queries, replace=False)


def combinations_source(n: int, k: int) -> str:
    """The ``source`` of the full combinatorial qrels (recorded in results)."""
    return f"combinations(n={n}, k={k})"


def dataset_source(name: str) -> str:
    """The ``source`` of a LIMIT-style dataset's qrels."""
    return f"dataset {name}"


def combinations_qrels(n: int, k: int) -> Qrels:
    """Every k-subset of {0..n-1}, in lexicographic order (query i: subset i)."""
    if k < 1 or n < k:
        raise ValueError(f"need 1 <= k <= n, got n={n}, k={k}")
    total = num_combinations(n, k)
    if k == 2:
        first = np.repeat(np.arange(n - 1, dtype=np.int32), np.arange(n - 1, 0, -1))
        second = np.concatenate(
            [np.arange(a + 1, n, dtype=np.int32) for a in range(n - 1)]
        )
        relevant = np.stack([first, second], axis=1)
    else:
        flat = itertools.chain.from_iterable(itertools.combinations(range(n), k))
        relevant = np.fromiter(flat, dtype=np.int32, count=total * k)
        relevant = relevant.reshape(total, k)
    return Qrels(np.ascontiguousarray(relevant), n, combinations_source(n, k))


def subsets_qrels(n: int, k: int) -> Qrels:
    """Every subset of 1..k documents of {0..n-1} (sizes below n), smaller
    sizes first, each size in lexicographic order, padded with -1 to k: MED's
    queries (query_sizes 1..k)."""
    parts = [combinations_qrels(n, size).relevant for size in range(1, k + 1)
             if size < n or size == k]  # fmt: skip
    padded = [np.pad(x, ((0, 0), (0, k - x.shape[1])), constant_values=PAD)
              for x in parts]  # fmt: skip
    return Qrels(np.concatenate(padded), n, subsets_source(n, k))


def protocol_queries(n: int, k: int, query_sizes: str) -> int:
    """How many queries a protocol makes of n documents: C(n, k), or with
    query_sizes 1..k every subset of 1..k documents (sizes below n)."""
    if query_sizes == "k":
        return num_combinations(n, k)
    return sum(num_combinations(n, s) for s in range(1, k + 1) if s < n or s == k)


def subsets_source(n: int, k: int) -> str:
    """The ``source`` of the qrels of every subset of 1..k documents."""
    return f"subsets(n={n}, sizes=1..{k})"


def combination_at(n: int, k: int, index: int) -> list[int]:
    """The ``index``-th k-subset of {0..n-1} in lexicographic order, without
    listing the ones before it (so a sample of C(200000, 2) queries is cheap).

    At each position the first element x is the largest whose earlier choices
    x0..x-1 account for at most ``index`` subsets: comb(n-x0, r) - comb(n-x, r).
    """
    combo, low = [], 0
    for left in range(k, 0, -1):
        top_count = math.comb(n - low, left)
        lo, hi = low, n - left
        while lo < hi:  # largest x with top_count - comb(n - x, left) <= index
            mid = (lo + hi + 1) // 2
            if top_count - math.comb(n - mid, left) <= index:
                lo = mid
            else:
                hi = mid - 1
        index -= top_count - math.comb(n - lo, left)
        combo.append(lo)
        low = lo + 1
    return combo


def sampled_combinations(n: int, k: int, indices: np.ndarray) -> np.ndarray:
    """(len(indices), k) rows: the k-subsets at those lexicographic indices."""
    return np.array([combination_at(n, k, int(i)) for i in indices], np.int32)


def relevance_mask(relevant_QxR: np.ndarray, num_docs: int) -> np.ndarray:
    """Dense boolean (Q, N) mask of the relevant (query, document) pairs."""
    mask = np.zeros((relevant_QxR.shape[0], num_docs), dtype=bool)
    rows, slots = np.nonzero(relevant_QxR != PAD)
    mask[rows, relevant_QxR[rows, slots]] = True
    return mask


def save_qrels(path: str, qrels: Qrels) -> None:
    """Write a qrels ``.npz`` atomically (temp file in the same folder, rename)."""
    with atomic_write(path, binary=True) as handle:
        np.savez_compressed(
            handle,
            relevant=qrels.relevant,
            num_docs=np.int64(qrels.num_docs),
            source=np.str_(qrels.source),
        )


FIELDS = ("relevant", "num_docs", "source")


def matrix_problem(relevant: np.ndarray, num_docs: int) -> str | None:
    """What makes ``relevant`` no qrels matrix of ``num_docs`` documents, or None:
    it must be a non-empty (Q, R) integer matrix of indices 0..num_docs-1,
    padded with -1, no query listing a document twice."""
    if relevant.ndim != 2 or relevant.size == 0:
        return (
            f"'relevant' must be a non-empty (Q, R) matrix, got shape {relevant.shape}"
        )
    if not np.issubdtype(relevant.dtype, np.integer):
        return (
            f"'relevant' has dtype {relevant.dtype} (first entries "
            f"{relevant.ravel()[:4].tolist()}); document indices must be integers, "
            "never rounded or truncated here: store them as integers (np.int32)"
        )
    bad = (relevant < PAD) | (relevant >= num_docs)
    if bad.any():
        q, slot = np.argwhere(bad)[0]
        return (
            f"query {q} lists document {relevant[q, slot]}, but the documents are "
            f"0..{num_docs - 1} (num_docs={num_docs}) and -1 is the padding"
        )
    ordered = np.sort(relevant, axis=1)
    twice = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] != PAD)
    if twice.any():
        q, slot = np.argwhere(twice)[0]
        return (
            f"query {q} lists document {ordered[q, slot + 1]} twice "
            f"({relevant[q].tolist()}); list each relevant document once"
        )
    if (relevant == PAD).all():
        return "'relevant' lists no document (every entry is the -1 padding)"
    return None


def load_qrels(path: str) -> Qrels:
    """Read a qrels ``.npz``; a malformed file raises ValueError naming it,
    the field and what is wrong with it."""
    fix = "regenerate it (delete it and rerun the workflow)"
    try:
        with np.load(path, allow_pickle=False) as data:
            held = list(data.files)
            arrays = {name: np.asarray(data[name]) for name in FIELDS if name in held}
    except FileNotFoundError as err:
        raise ValueError(f"{path}: no such file") from err
    except (OSError, ValueError, EOFError, TypeError, zipfile.BadZipFile) as err:
        # numpy's own text suggests allow_pickle, which would not help here
        raise ValueError(f"{path}: not a readable .npz archive; {fix}") from err
    missing = [name for name in FIELDS if name not in arrays]
    if missing:
        raise ValueError(
            f"{path}: a .npz without {' and '.join(map(repr, missing))}, so not a "
            f"qrels file (it holds {', '.join(map(repr, held)) or 'nothing'}; a "
            f"qrels file holds {', '.join(map(repr, FIELDS))}); {fix}"
        )
    relevant, num_docs = arrays["relevant"], arrays["num_docs"]
    if num_docs.shape != () or not np.issubdtype(num_docs.dtype, np.integer):
        raise ValueError(f"{path}: 'num_docs' must be one integer, got {num_docs!r}")
    if int(num_docs) < 1:
        raise ValueError(f"{path}: 'num_docs' must be >= 1, got {int(num_docs)}")
    problem = matrix_problem(relevant, int(num_docs))
    if problem:
        raise ValueError(f"{path}: {problem}")
    return Qrels(relevant.astype(np.int32), int(num_docs), str(arrays["source"]))
