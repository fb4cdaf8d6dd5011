"""The maths of one seed: parameters, matmul precision, one step, evaluation.

Everything here is unbatched (one seed). The published protocol's step is the
published script's op for op, so that a fused loop of it reproduces the
published trajectory bit for bit on a CPU.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .loss_facts import LOSS_FACTS
from .losses import LOSSES, Relevance
from .protocol import Protocol

HIGHEST = jax.lax.Precision.HIGHEST


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


# -- matmul precision --------------------------------------------------------
def _round_tf32(x: jax.Array) -> jax.Array:
    """Round to TF32 (10 mantissa bits), to nearest, ties to even."""
    bits = jax.lax.bitcast_convert_type(x, jnp.uint32)
    bits = (bits + jnp.uint32(0x0FFF) + ((bits >> 13) & 1)) & jnp.uint32(0xFFFFE000)
    return jax.lax.bitcast_convert_type(bits, jnp.float32)


def _reduced_matmul(round_operand, dot):
    """a @ b.T with every operand of it and of its gradient rounded first."""

    @jax.custom_vjp
    def matmul(a, b):
        return dot(round_operand(a), round_operand(b))

    def forward(a, b):
        a, b = round_operand(a), round_operand(b)
        return dot(a, b), (a, b)

    def backward(saved, g):
        a, b = saved
        g = round_operand(g)
        return dot(g, b.T), dot(g.T, a.T)

    matmul.defvjp(forward, backward)
    return matmul


def make_matmul(precision: str, platform: str):
    """``a @ b.T`` for the loss, meaning the same on every backend."""
    if precision == "default":  # JAX's default, as the published script
        return lambda a, b: jnp.dot(a, b.T)
    if precision == "float32":
        return lambda a, b: jnp.dot(a, b.T, precision=HIGHEST)
    if precision == "bf16":
        return _reduced_matmul(
            lambda x: x.astype(jnp.bfloat16),
            lambda a, b: jnp.dot(a, b.T, preferred_element_type=jnp.float32),
        )
    # tf32: operands rounded here, so that a CPU computes what TF32 tensor
    # cores compute; on a GPU the tensor cores then take them as they are.
    tf32 = jax.lax.DotAlgorithmPreset.TF32_TF32_F32 if platform == "gpu" else HIGHEST
    return _reduced_matmul(_round_tf32, lambda a, b: jnp.dot(a, b.T, precision=tf32))


# -- the loss and one step ---------------------------------------------------
def query_vectors(params: Params, relevance: Relevance, matmul) -> jax.Array:
    """Free queries, or each query the mean of its relevant documents."""
    if params.queries is not None:
        return params.queries
    weights_QxN = relevance.mask_QxN.astype(jnp.float32)
    counts_Qx1 = jnp.sum(weights_QxN, axis=1, keepdims=True)
    return matmul(weights_QxN, params.docs.T) / counts_Qx1


def learning_rate(p: Protocol):
    """The bare learning rate (published), or optax's warmup + cosine
    schedule: linear from start_factor x lr to lr over warmup_fraction of
    max_steps, then a cosine decay to final_ratio x lr at max_steps."""
    if p.schedule == "constant":
        return p.learning_rate
    return optax.warmup_cosine_decay_schedule(
        init_value=p.start_factor * p.learning_rate,
        peak_value=p.learning_rate,
        warmup_steps=round(p.warmup_fraction * p.max_steps),
        decay_steps=p.max_steps,
        end_value=p.final_ratio * p.learning_rate,
    )


def make_optimizer(p: Protocol) -> optax.GradientTransformation:
    return optax.adam(learning_rate(p))


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


# -- initialisation ----------------------------------------------------------
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
