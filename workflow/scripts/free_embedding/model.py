"""The maths of one seed: its parameters, one step, and the evaluation.

Everything here is unbatched (one seed). The published protocol's step is the
published script's op for op, so that a fused loop of it reproduces the
published trajectory bit for bit on a CPU. The loss comes from ``losses``,
the precision of its products from ``precision``, the learning rate from
``schedules`` and the initial draws from ``init``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from .loss_facts import LOSS_FACTS
from .losses import LOSSES, Relevance
from .precision import HIGHEST, make_matmul
from .protocol import Protocol


class Params(NamedTuple):
    """Free parameters; a leaf is None where the protocol has none.

    Leaves come in the published order (queries, then documents), so the
    published protocol traces exactly the published program.
    """

    queries: jax.Array | None  # (Q, d); None for centroid queries
    docs: jax.Array  # (N, d)
    temperature: jax.Array | None  # () when the temperature is learned


class Metrics(NamedTuple):
    hits: jax.Array  # relevant pairs inside their query's top k
    margin: jax.Array  # lowest relevant score - highest irrelevant score, all queries


def unit_rows(x: jax.Array) -> jax.Array:
    return x / jnp.linalg.norm(x, axis=1, keepdims=True)


def query_vectors(params: Params, relevance: Relevance, matmul) -> jax.Array:
    """Free queries, or each query the mean of its relevant documents."""
    if params.queries is not None:
        return params.queries
    weights_QxN = relevance.mask_QxN.astype(jnp.float32)
    counts_Qx1 = jnp.sum(weights_QxN, axis=1, keepdims=True)
    return matmul(weights_QxN, params.docs.T) / counts_Qx1


def make_step(p: Protocol, optimizer: optax.GradientTransformation, platform: str):
    """One Adam update, then (as published) every row re-normalised."""
    matmul = make_matmul(p.precision, platform)
    loss = LOSSES[p.loss]
    clamp = LOSS_FACTS[p.loss].temperature_range

    def loss_of(params: Params, relevance: Relevance):
        temperature = params.temperature if p.learn_temperature else p.temperature
        scores_QxN = matmul(query_vectors(params, relevance, matmul), params.docs)
        return loss(scores_QxN, relevance, temperature, p)

    value_and_grad = jax.value_and_grad(loss_of)

    def step(params: Params, opt_state, relevance: Relevance):
        value, grads = value_and_grad(params, relevance)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        if p.normalize:
            queries = None if params.queries is None else unit_rows(params.queries)
            params = params._replace(queries=queries, docs=unit_rows(params.docs))
        if p.learn_temperature and clamp is not None:
            params = params._replace(temperature=jnp.clip(params.temperature, *clamp))
        return params, opt_state, value

    return step


def evaluate(params: Params, relevance: Relevance, k: int) -> Metrics:
    """Top-k hits and margins, always at full float32 precision."""
    full = lambda a, b: jnp.dot(a, b.T, precision=HIGHEST)  # noqa: E731
    scores_QxN = full(query_vectors(params, relevance, full), params.docs)
    mask_QxN = relevance.mask_QxN
    _, top_QxK = jax.lax.top_k(scores_QxN, k)
    found_QxK = jnp.take_along_axis(mask_QxN, top_QxK, axis=1, mode="promise_in_bounds")
    hits = jnp.sum(found_QxK, dtype=jnp.int32)
    lowest_relevant, highest_other = jax.lax.reduce(  # one pass for both
        (jnp.where(mask_QxN, scores_QxN, jnp.inf),
         jnp.where(mask_QxN, -jnp.inf, scores_QxN)),
        (jnp.float32(jnp.inf), jnp.float32(-jnp.inf)),
        lambda a, b: (jnp.minimum(a[0], b[0]), jnp.maximum(a[1], b[1])),
        (0, 1),
    )  # fmt: skip
    return Metrics(hits=hits, margin=lowest_relevant - highest_other)
