"""The plain per-step loop of the published script, one seed at a time.

For the published protocol it is the published code float for float: eager
initialisation (key, split, Gaussian draws, then each matrix divided by its
row norms), a jitted step that converts and counts the boolean relevance
itself, the loss brought to the host after every step for early stopping in
float64, and top-k accuracy on the host every ``eval_every`` steps (numpy
``argsort`` of eagerly computed scores). Other protocols run through the
same loop with their own step. It is the yardstick of the fused engine: the
tests compare both, and the benchmark times both.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .losses import Relevance
from .model import Metrics, Params, make_step
from .outcome import SeedOutcome, Stop, build_outcome, meets
from .protocol import Protocol
from .schedules import make_optimizer
from .settings import RunSettings


def published_init(seed: int, num_queries: int, n: int, d: int, p: Protocol) -> Params:
    """The published ``initialize_embeddings``, op for op, eagerly."""
    key_q, key_d = jax.random.split(jax.random.PRNGKey(seed))
    docs = jax.random.normal(key_d, (n, d), dtype=jnp.float32)
    docs /= jnp.linalg.norm(docs, axis=1, keepdims=True)
    queries = None
    if p.queries == "free":
        queries = jax.random.normal(key_q, (num_queries, d), dtype=jnp.float32)
        queries /= jnp.linalg.norm(queries, axis=1, keepdims=True)
    temperature = jnp.float32(p.temperature) if p.learn_temperature else None
    return Params(queries, docs, temperature)


def host_metrics(params: Params, mask_QxN: np.ndarray, k: int) -> Metrics:
    """As published: scores by an eager ``jnp.dot`` of host copies, top k by
    ``argsort``; the global margin from the same scores."""
    docs = np.asarray(jax.device_get(params.docs))
    if params.queries is not None:
        queries = np.asarray(jax.device_get(params.queries))
    else:  # centroid queries, as the engine computes them (full precision)
        weights = mask_QxN.astype(np.float32)
        queries = np.asarray(
            jnp.dot(weights, docs, precision=jax.lax.Precision.HIGHEST)
        ) / weights.sum(axis=1, keepdims=True)
    scores = np.asarray(jnp.dot(queries, docs.T))
    top = np.argsort(-scores, axis=1)[:, :k]
    lowest_relevant = np.where(mask_QxN, scores, np.inf).min()
    highest_other = np.where(mask_QxN, -np.inf, scores).max()
    return Metrics(
        hits=int(np.take_along_axis(mask_QxN, top, axis=1).sum()),
        margin=float(np.float32(lowest_relevant - highest_other)),
    )


@functools.lru_cache(maxsize=32)
def jitted_step(protocol: Protocol, platform: str):
    """One compiled step per protocol, reused across runs (and timings)."""
    optimizer = make_optimizer(protocol)
    return optimizer, jax.jit(make_step(protocol, optimizer, platform))


def run_stepwise(
    settings: RunSettings,
    seed: int,
    relevance: Relevance,
    initial: Params | None = None,
    stop_at_success: bool = True,
) -> SeedOutcome:
    """One seed; ``relevance`` holds host (Q, N) and (Q, R) arrays.

    ``initial`` replaces the published draws (e.g. an exact witness), and
    with ``stop_at_success`` false the run goes on past a successful
    evaluation, to see whether the protocol keeps what it started with.
    """
    s, p = settings, settings.protocol
    mask_QxN = np.asarray(relevance.mask_QxN, bool)
    num_queries, num_docs = mask_QxN.shape
    num_relevant = int(mask_QxN.sum())
    platform = (jax.config.jax_default_device or jax.devices()[0]).platform
    optimizer, step = jitted_step(p, platform)
    params = initial
    if params is None:
        params = published_init(seed, num_queries, num_docs, s.d, p)
    opt_state = optimizer.init(params)
    on_device = Relevance(jnp.asarray(mask_QxN), jnp.asarray(relevance.index_QxR))

    best, bad_steps, last_loss = float("inf"), 0, float("nan")
    steps, losses, hits, margins = [], [], [], []
    reason, steps_run = Stop.MAX_STEPS.reason, 0
    for i in range(p.max_steps):
        params, opt_state, loss = step(params, opt_state, on_device)
        last_loss, steps_run = float(loss), i + 1
        if last_loss < best - p.min_delta:
            best, bad_steps = last_loss, 0
        else:
            bad_steps += 1
        if not np.isfinite(last_loss):
            reason = Stop.DIVERGED.reason
            break
        if p.early_stopping and bad_steps >= p.patience:
            reason = Stop.EARLY_STOPPED.reason
            break
        if i % p.eval_every == 0 or i == p.max_steps - 1:
            metrics = host_metrics(params, mask_QxN, s.k)
            steps.append(i)
            losses.append(last_loss)
            hits.append(metrics.hits)
            margins.append(metrics.margin)
            met = meets(p.success, metrics.hits, metrics.margin, num_relevant)
            if met and stop_at_success:
                reason = Stop.SOLVED.reason
                break
    temperature = params.temperature
    return build_outcome(
        seed=seed,
        success=p.success,
        stop_reason=reason,
        steps_run=steps_run,
        eval_steps=steps,
        eval_losses=losses,
        eval_hits=hits,
        eval_margins=margins,
        best_hits=max(hits, default=-1),
        last_eval_loss=losses[-1] if losses else float("nan"),
        final=host_metrics(params, mask_QxN, s.k),
        last_loss=last_loss,
        best_loss=best,
        temperature=None if temperature is None else float(temperature),
        num_queries=num_queries,
        num_relevant=num_relevant,
    )
