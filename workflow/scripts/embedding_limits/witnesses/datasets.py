"""An exact witness for a dataset's qrels at d = 2k: the trigonometric moment
curve of construction.py, with the dataset's query sets in place of every
k-subset.

The documents that some query names sit on the curve at equispaced angles,
in corpus order; each query is the coefficient vector of its relevant
documents' polynomial, so in exact arithmetic its top k is exactly them.
The documents that no query names go either

- to the ``origin``: the zero vector scores exactly 0 against every query in
  every precision, below each query's own documents (whose score is the
  positive mean of prod (1 - cos(a - a_s))), so they cost nothing, however
  many there are (a cosine index would have to normalise it, which it
  cannot: scores here are inner products, as for every witness); or
- onto the ``curve`` with the rest (every document equispaced), where they
  crowd the named ones: the gap shrinks with the number of documents, and
  rounding closes it.
"""

from __future__ import annotations

import numpy as np

from .construction import Check, documents_at, nodes, queries_at, worst_gap

UNNAMED = ("origin", "curve")  # where the documents that no query names go
CONSTRUCTION = "trig_moment"


def placed(relevant_QxK: np.ndarray, num_docs: int, unnamed: str):
    """(documents (num_docs, 2k), queries (Q, 2k)) in float64."""
    k = relevant_QxK.shape[1]
    if unnamed == "curve":
        angles = nodes(num_docs, "angles")
        docs = documents_at(CONSTRUCTION, k, angles, "trig")
        return docs, queries_at(CONSTRUCTION, k, angles[relevant_QxK], "trig")
    if unnamed != "origin":
        raise ValueError(
            f"unnamed must be one of {', '.join(UNNAMED)}, got {unnamed!r}"
        )
    named = np.unique(relevant_QxK)
    angles = nodes(len(named), "angles")
    docs = np.zeros((num_docs, 2 * k))
    docs[named] = documents_at(CONSTRUCTION, k, angles, "trig")
    position = np.searchsorted(named, relevant_QxK)
    return docs, queries_at(CONSTRUCTION, k, angles[position], "trig")


def dataset_check(relevant_QxK, num_docs: int, precision: str, unnamed: str) -> Check:
    """Whether every query's top k is exactly its relevant documents, stored
    in ``precision`` (``Check.n`` is the number of documents)."""
    docs, qs = placed(relevant_QxK, num_docs, unnamed)
    return worst_gap(docs, qs, relevant_QxK, precision)
