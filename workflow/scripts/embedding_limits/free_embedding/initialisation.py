"""A seed's initial parameters: the published draws, and their unit rows.

The published script splits the seed's key, draws Gaussian queries and
documents, and divides each row by its norm. Both are reproduced bit for bit
here: the draws through one small program shared between shapes, the
normalisation as the published eager code computes it.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ..config.protocol import Protocol
from .model import Params


def _bucket(count: int) -> int:
    """A draw size shared by many shapes: a power of two, then multiples of 4M."""
    if count > 1 << 24:
        return -(-count // (1 << 22)) * (1 << 22)
    return max(1 << 10, 1 << (count - 1).bit_length())


@functools.cache
def _draw_program(query_size: int, doc_size: int):
    """Split the seed's key as published and draw both Gaussians, flat."""

    def draw(seed):
        key_q, key_d = jax.random.split(jax.random.PRNGKey(seed))
        docs = jax.random.normal(key_d, (doc_size,), jnp.float32)
        if not query_size:
            return None, docs
        return jax.random.normal(key_q, (query_size,), jnp.float32), docs

    return jax.jit(draw)


def draw_params(seed: int, num_queries: int, n: int, d: int, p: Protocol) -> Params:
    """The published initial draws, not yet normalised (host arrays), bit for bit.

    Element i of a draw depends on its index alone (partitionable threefry,
    JAX's default), so a longer draw's first rows x d values are the published
    ``normal(key, (rows, d))``. Draw sizes are bucketed, so jobs of many shapes
    share one program, which the persistent compilation cache keeps.
    Centroid queries draw no queries (the document key is the same).
    """
    rows = num_queries if p.queries == "free" else 0
    temperature = np.float32(p.temperature) if p.learn_temperature else None
    if not jax.config.jax_threefry_partitionable:  # sizes cannot be shared
        key_q, key_d = jax.random.split(jax.random.PRNGKey(seed))
        draw = lambda key, r: np.asarray(jax.random.normal(key, (r, d)))  # noqa: E731
        return Params(draw(key_q, rows) if rows else None, draw(key_d, n), temperature)
    program = _draw_program(rows and _bucket(rows * d), _bucket(n * d))
    flat_q, flat_d = jax.device_get(program(np.int32(seed)))
    queries = None if flat_q is None else flat_q[: rows * d].reshape(rows, d)
    return Params(queries, flat_d[: n * d].reshape(n, d), temperature)


def normalized(params: Params) -> Params:
    """Unit rows, computed as the published eager code does: the norm first,
    kept apart from the division (a barrier), which XLA would otherwise fuse
    into a multiplication by a reciprocal that rounds differently."""

    def unit(x):
        return x / jax.lax.optimization_barrier(
            jnp.linalg.norm(x, axis=1, keepdims=True)
        )

    queries = None if params.queries is None else unit(params.queries)
    return params._replace(queries=queries, docs=unit(params.docs))
