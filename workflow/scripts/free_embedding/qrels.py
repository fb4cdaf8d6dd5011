"""Relevance judgements (qrels) as padded index matrices.

A qrels matrix ``relevant_QxR`` holds, for each of Q queries, the indices of its
relevant documents, padded with -1 to the longest list R. The free-embedding
experiment's qrels are all k-subsets of n documents (R = k), in the order of
``itertools.combinations(range(n), k)``, as in the paper's published script.
"""

from __future__ import annotations

import itertools
import math
import os
import tempfile
from dataclasses import dataclass

import numpy as np

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


def combinations_qrels(n: int, k: int) -> Qrels:
    """Every k-subset of {0..n-1}, in lexicographic order (query i: subset i)."""
    if k < 1 or n < k:
        raise ValueError(f"need 1 <= k <= n, got n={n}, k={k}")
    total = num_combinations(n, k)
    if k == 2:
        rows, cols = np.triu_indices(n, 1)
        relevant = np.stack([rows, cols], axis=1).astype(np.int32)
    else:
        flat = itertools.chain.from_iterable(itertools.combinations(range(n), k))
        relevant = np.fromiter(flat, dtype=np.int32, count=total * k)
        relevant = relevant.reshape(total, k)
    return Qrels(np.ascontiguousarray(relevant), n, f"combinations(n={n}, k={k})")


def relevance_mask(relevant_QxR: np.ndarray, num_docs: int) -> np.ndarray:
    """Dense boolean (Q, N) mask of the relevant (query, document) pairs."""
    mask = np.zeros((relevant_QxR.shape[0], num_docs), dtype=bool)
    rows, slots = np.nonzero(relevant_QxR != PAD)
    mask[rows, relevant_QxR[rows, slots]] = True
    return mask


def save_qrels(path: str, qrels: Qrels) -> None:
    """Write a qrels ``.npz`` atomically (temp file in the same folder, rename)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez_compressed(
                handle,
                relevant=qrels.relevant,
                num_docs=np.int64(qrels.num_docs),
                source=np.str_(qrels.source),
            )
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load_qrels(path: str) -> Qrels:
    """Read a qrels ``.npz``; a malformed file raises ValueError naming it."""
    try:
        with np.load(path, allow_pickle=False) as data:
            relevant = np.asarray(data["relevant"])
            num_docs = int(data["num_docs"])
            source = str(data["source"])
    except (OSError, KeyError, ValueError) as err:
        raise ValueError(
            f"{path}: not a qrels file ({err}); regenerate it "
            "(delete it and rerun the workflow)"
        ) from err
    valid = relevant[relevant != PAD]
    if relevant.ndim != 2 or valid.size == 0 or valid.min() < 0:
        raise ValueError(f"{path}: 'relevant' must be a non-empty (Q, R) matrix")
    if valid.max() >= num_docs:
        raise ValueError(f"{path}: document index {valid.max()} >= num_docs={num_docs}")
    return Qrels(relevant.astype(np.int32), num_docs, source)
