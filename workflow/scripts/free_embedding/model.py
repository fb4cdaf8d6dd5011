"""The maths of one seed: initialisation, InfoNCE loss, Adam step, top-k hits.

Everything here is pure and unbatched (one seed); the engine ``vmap``s it over
seeds and the step-wise reference loop calls it directly, so both run the same
operations in the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

Params = tuple[jax.Array, jax.Array]  # (queries Q x d, documents N x d)


class StepOutput(NamedTuple):
    params: Params
    opt_state: optax.OptState
    loss: jax.Array  # the loss at the parameters that entered the step


def _unit_rows(x: jax.Array) -> jax.Array:
    return x / jnp.linalg.norm(x, axis=1, keepdims=True)


def init_params(seed: jax.Array, num_queries: int, n: int, d: int) -> Params:
    """Gaussian rows, L2-normalised; keys as in the published script."""
    key = jax.random.PRNGKey(seed)
    key_q, key_d = jax.random.split(key)
    queries_Qxd = jax.random.normal(key_q, (num_queries, d), jnp.float32)
    docs_Nxd = jax.random.normal(key_d, (n, d), jnp.float32)
    return _unit_rows(queries_Qxd), _unit_rows(docs_Nxd)


def relevance_weights(mask_QxN) -> tuple[jax.Array, float]:
    """The float32 relevance matrix and its number of relevant pairs.

    Made once per job, so the step does not convert and count the mask again.
    """
    weights_QxN = jnp.asarray(mask_QxN, jnp.float32)
    num_pos = float(max(int(jnp.asarray(mask_QxN).sum()), 1))
    return weights_QxN, num_pos


def infonce_loss(
    params: Params, weights_QxN: jax.Array, temperature: float, num_pos: float
):
    """Minus the mean log-softmax probability over all relevant pairs.

    ``weights_QxN`` is the float32 relevance matrix, ``num_pos`` its sum.
    """
    queries_Qxd, docs_Nxd = params
    logits_QxN = jnp.dot(queries_Qxd, docs_Nxd.T) / temperature
    log_probs_QxN = jax.nn.log_softmax(logits_QxN, axis=1)
    return -jnp.sum(log_probs_QxN * weights_QxN) / num_pos


def make_step(
    optimizer: optax.GradientTransformation, temperature: float, num_pos: float
) -> Callable[[Params, optax.OptState, jax.Array], StepOutput]:
    """One Adam update of (Q, D), then every row re-normalised."""
    loss_and_grad = jax.value_and_grad(infonce_loss)

    def step(params, opt_state, weights_QxN):
        loss, grads = loss_and_grad(params, weights_QxN, temperature, num_pos)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        queries_Qxd, docs_Nxd = optax.apply_updates(params, updates)
        return StepOutput(
            (_unit_rows(queries_Qxd), _unit_rows(docs_Nxd)), opt_state, loss
        )

    return step


def top_k_hits(params: Params, weights_QxN: jax.Array, k: int) -> jax.Array:
    """How many relevant pairs are in their query's top-k by dot product."""
    queries_Qxd, docs_Nxd = params
    scores_QxN = jnp.dot(queries_Qxd, docs_Nxd.T)
    _, top_QxK = jax.lax.top_k(scores_QxN, k)
    found_QxK = jnp.take_along_axis(weights_QxN, top_QxK, axis=1) > 0
    return jnp.sum(found_QxK, dtype=jnp.int32)
