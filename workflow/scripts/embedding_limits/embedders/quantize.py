"""Storing embeddings at a Matryoshka dimension and a precision, and ranking.

Matryoshka truncation keeps a vector's first ``dim`` coordinates and
re-normalises them. The precisions (``embedders.PRECISIONS``) are those of
the embedding-quantisation literature (as sentence-transformers'
``quantize_embeddings`` does them):

- float32: the vectors as they are, scored by inner product (cosine);
- int8: each coordinate mapped linearly from its range over the corpus's
  documents onto -128..127 (queries clipped to that range), scored by the
  integer inner product;
- binary: one bit per coordinate, its sign, scored by the inner product of
  the +-1 vectors, dim - 2 * Hamming distance (so the ranking is Hamming's).
"""

from __future__ import annotations

import numpy as np

from .backends import PRECISIONS

# queries scored at once: bounds the (queries x documents) blocks in memory
QUERY_BLOCK = 256


def truncate(vectors_NxD: np.ndarray, dim: int) -> np.ndarray:
    """The first ``dim`` coordinates, each row re-normalised to length 1."""
    if dim > vectors_NxD.shape[1]:
        raise ValueError(f"dim {dim} exceeds the embeddings' {vectors_NxD.shape[1]}")
    head = np.asarray(vectors_NxD[:, :dim], dtype=np.float32)
    norms = np.linalg.norm(head, axis=1, keepdims=True)
    return head / np.where(norms > 0, norms, 1.0)


def int8_calibration(documents_NxD: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each coordinate's start and step: its range over the documents in 255
    steps (a constant coordinate gets step 1)."""
    low, high = documents_NxD.min(axis=0), documents_NxD.max(axis=0)
    steps = (high - low) / 255.0
    return low, np.where(steps > 0, steps, 1.0)


def to_int8(vectors_NxD: np.ndarray, starts, steps) -> np.ndarray:
    levels = np.rint((vectors_NxD - starts) / steps) - 128.0
    return np.clip(levels, -128, 127).astype(np.int8)


def stored(documents_NxD, queries_QxD, precision: str):
    """Documents and queries as ``precision`` stores them."""
    if precision == "float32":
        return documents_NxD, queries_QxD
    if precision == "int8":
        starts, steps = int8_calibration(documents_NxD)
        return to_int8(documents_NxD, starts, steps), to_int8(
            queries_QxD, starts, steps
        )
    if precision == "binary":
        return np.packbits(documents_NxD > 0, axis=1), np.packbits(
            queries_QxD > 0, axis=1
        )
    raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}: {precision!r}")


def scores(documents, queries, precision: str, dim: int) -> np.ndarray:
    """(queries, documents) scores of stored vectors: higher ranks first."""
    if precision == "float32":
        return queries @ documents.T
    if precision == "int8":
        return (queries.astype(np.int32) @ documents.astype(np.int32).T).astype(
            np.float64
        )
    bits = np.bitwise_count(queries[:, None, :] ^ documents[None, :, :]).sum(axis=2)
    return (dim - 2 * bits.astype(np.int64)).astype(np.float64)


def ranked(scores_QxN: np.ndarray, tie_order_N: np.ndarray, depth: int) -> np.ndarray:
    """Each query's first ``depth`` documents, best first; equal scores in
    ``tie_order_N``'s order (lower first). trec_eval ranks ties by document
    id, last id first; ``retrieval.metrics.tie_order`` gives that order."""
    num_documents = scores_QxN.shape[1]
    if depth < num_documents:
        # only documents scoring at least a row's depth-th best can rank
        # within depth: sort the fewest columns that hold them all
        keep = np.argpartition(-scores_QxN, depth - 1, axis=1)
        kth = np.take_along_axis(scores_QxN, keep[:, depth - 1 : depth], axis=1)
        width = int((scores_QxN >= kth).sum(axis=1).max())  # > depth: ties at kth
        if width < num_documents:
            if width > depth:
                keep = np.argpartition(-scores_QxN, width - 1, axis=1)
            keep = keep[:, :width]
            kept = np.take_along_axis(scores_QxN, keep, axis=1)
            order = np.lexsort((tie_order_N[keep], -kept), axis=1)[:, :depth]
            return np.take_along_axis(keep, order, axis=1)
    tie = np.broadcast_to(tie_order_N, scores_QxN.shape)
    return np.lexsort((tie, -scores_QxN), axis=1)[:, :depth]


def rank_in_blocks(documents_NxD, queries_QxD, precision: str, dim: int,
                   tie_order_N, depth: int):  # fmt: skip
    """``ranked`` over blocks of queries, with the scores of what it keeps."""
    documents = truncate(documents_NxD, dim)
    documents, queries = stored(documents, truncate(queries_QxD, dim), precision)
    order, kept = [], []
    for start in range(0, len(queries), QUERY_BLOCK):
        block = scores(documents, queries[start : start + QUERY_BLOCK], precision, dim)
        top = ranked(block, tie_order_N, depth)
        order.append(top)
        kept.append(np.take_along_axis(block, top, axis=1))
    return np.concatenate(order), np.concatenate(kept)
