"""The maths of one seed: its parameters, one step, and the evaluation.

Everything here is unbatched (one seed). The published protocol's step is the
published script's op for op, so that a fused loop of it reproduces the
published trajectory bit for bit on a CPU. The loss comes from ``losses``,
the precision of its products from ``precision``, the learning rate from
``schedules`` and the initial draws from ``init``.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from ..config.loss_facts import LOSS_FACTS
from ..config.protocol import Protocol
from .losses import LOSSES, Relevance, hinge_and_violations, violations
from .precision import HIGHEST, make_matmul


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
    violations: jax.Array  # triples short of the margin; -1 where not counted


def counts_violations(p: Protocol) -> bool:
    """Whether the protocol needs MED's violation count: to decide success,
    or to stop when it no longer falls."""
    return p.success == "separation" or (
        p.early_stopping and p.patience_metric == "violations"
    )


def loss_every_step(p: Protocol) -> bool:
    """Whether each step computes its loss's value. The hinge's gradient is
    written out without it (losses.hinge_and_violations), and summing its
    (Q, R, N) terms is a third of a step at MED's m = 160, d = 15 (7.6 ->
    5.2 ms on this project's CPU, docs/benchmarks.md): unless its patience
    watches the loss, the engine computes that value only at the steps that
    report it (``loss_reported``, ``make_loss_value``). Every other loss's
    gradient comes with its value."""
    return p.loss != "hinge" or (p.early_stopping and p.patience_metric == "loss")


def loss_reported(p: Protocol, evaluated, broken, bad_steps, count):
    """Whether a step that leaves its loss out (``loss_every_step``) reports
    it: at an evaluation (``evaluated``), where the parameters it started
    from are not finite (``broken``), or where it may stop (its patience
    out, or no violation left). Such a run diverges where its parameters,
    or a reported loss, are not finite, so none stops solved with an
    infinite loss. Works on numbers (the per-step loop) and on traced JAX
    values (the engine)."""
    reported = evaluated | broken
    if p.early_stopping:
        reported = reported | (bad_steps >= p.patience)
    if p.success == "separation" and p.stop_at_success:
        reported = reported | (count == 0)
    return reported


def finite(params: Params) -> jax.Array:
    """Whether every parameter is finite."""
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(params)]
    return functools.reduce(jnp.logical_and, leaves)


def unit_rows(x: jax.Array) -> jax.Array:
    return x / jnp.linalg.norm(x, axis=1, keepdims=True)


def query_vectors(params: Params, relevance: Relevance) -> jax.Array:
    """Free queries, or each query the mean of its relevant documents: their
    rows gathered and summed (Q x R x d work, not a Q x N x d product)."""
    if params.queries is not None:
        return params.queries
    index_QxR = relevance.index_QxR
    valid_QxRx1 = (index_QxR >= 0)[:, :, None]
    rows_QxRxD = jnp.take(params.docs, jnp.maximum(index_QxR, 0), axis=0)
    summed_QxD = jnp.sum(jnp.where(valid_QxRx1, rows_QxRxD, 0.0), axis=1)
    return summed_QxD / jnp.sum(valid_QxRx1, axis=1, dtype=jnp.float32)


def _loss_of(p: Protocol, platform: str, with_value: bool = True):
    """The protocol's loss of (params, relevance), and its violation count
    where it counts them (None otherwise); without ``with_value`` a hinge's
    value is left out (0: see loss_every_step)."""
    matmul = make_matmul(p.precision, platform)
    loss = LOSSES[p.loss]
    counting = counts_violations(p)

    def loss_of(params: Params, relevance: Relevance):
        temperature = params.temperature if p.learn_temperature else p.temperature
        scores_QxN = matmul(query_vectors(params, relevance), params.docs)
        if p.loss == "hinge":  # its count comes from its own terms
            value, count = hinge_and_violations(
                scores_QxN, relevance, p.margin, p.reduction == "query_mean",
                with_value,
            )  # fmt: skip
            return value, count if counting else None
        value = loss(scores_QxN, relevance, temperature, p)
        if not counting:
            return value, None
        frozen = jax.lax.stop_gradient(scores_QxN)
        return value, violations(frozen, relevance, p.margin)

    return loss_of


def make_loss_value(p: Protocol, platform: str):
    """The loss of (params, relevance) as a step computes it: where a step
    leaves it out (``loss_every_step``), what the step would have returned."""
    loss_of = _loss_of(p, platform)
    return lambda params, relevance: loss_of(params, relevance)[0]


def make_step(p: Protocol, optimizer: optax.GradientTransformation, platform: str):
    """One Adam update, then (as published) every row re-normalised.

    The step returns the loss (None where ``loss_every_step`` leaves it out)
    and, where the protocol counts them, the violations of the parameters it
    started from, from the loss's own scores (None otherwise: the published
    step traces the published program).
    """
    clamp = LOSS_FACTS[p.loss].temperature_range
    every_step = loss_every_step(p)
    value_and_grad = jax.value_and_grad(_loss_of(p, platform, every_step), has_aux=True)

    def step(params: Params, opt_state, relevance: Relevance):
        (value, count), grads = value_and_grad(params, relevance)
        value = value if every_step else None
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        if p.normalize:
            queries = None if params.queries is None else unit_rows(params.queries)
            params = params._replace(queries=queries, docs=unit_rows(params.docs))
        if p.learn_temperature and clamp is not None:
            params = params._replace(temperature=jnp.clip(params.temperature, *clamp))
        return params, opt_state, value, count

    return step


def evaluate(params: Params, relevance: Relevance, k: int, p: Protocol) -> Metrics:
    """Top-k hits, the global margin and (where the protocol counts them) the
    violations, always at full float32 precision."""
    full = lambda a, b: jnp.dot(a, b.T, precision=HIGHEST)  # noqa: E731
    scores_QxN = full(query_vectors(params, relevance), params.docs)
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
    count = (
        violations(scores_QxN, relevance, p.margin)
        if counts_violations(p)
        else jnp.int32(-1)
    )
    return Metrics(hits=hits, margin=lowest_relevant - highest_other, violations=count)
