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

from ..config.protocol import Protocol
from ..config.run_settings import RunSettings
from ..store.outcome import SeedOutcome, Stop, build_outcome, meets
from .losses import Relevance
from .model import (
    Metrics,
    Params,
    counts_violations,
    finite,
    loss_every_step,
    loss_reported,
    make_loss_value,
    make_step,
    query_vectors,
)
from .schedules import make_optimizer


def published_init(seed: int, num_queries: int, n: int, d: int, p: Protocol) -> Params:
    """The published ``initialize_embeddings``, op for op, eagerly (with init
    gaussian, the same draws left as drawn)."""
    unit = p.init == "unit"
    key_q, key_d = jax.random.split(jax.random.PRNGKey(seed))
    docs = jax.random.normal(key_d, (n, d), dtype=jnp.float32)
    if unit:
        docs /= jnp.linalg.norm(docs, axis=1, keepdims=True)
    queries = None
    if p.queries == "free":
        queries = jax.random.normal(key_q, (num_queries, d), dtype=jnp.float32)
        if unit:
            queries /= jnp.linalg.norm(queries, axis=1, keepdims=True)
    temperature = jnp.float32(p.temperature) if p.learn_temperature else None
    return Params(queries, docs, temperature)


def host_metrics(params: Params, relevance: Relevance, k: int, p: Protocol) -> Metrics:
    """As published: scores by an eager ``jnp.dot`` of host copies, top k by
    ``argsort``; the global margin and the violations from the same scores."""
    mask_QxN = np.asarray(relevance.mask_QxN, bool)
    docs = np.asarray(jax.device_get(params.docs))
    # free queries, or centroids as the engine computes them
    queries = np.asarray(jax.jit(query_vectors)(params, relevance))
    scores = np.asarray(jnp.dot(queries, docs.T))
    top = np.argsort(-scores, axis=1)[:, :k]
    lowest_relevant = np.where(mask_QxN, scores, np.inf).min()
    highest_other = np.where(mask_QxN, -np.inf, scores).max()
    violations = -1
    if counts_violations(p):
        index_QxR = np.asarray(relevance.index_QxR)
        relevant = np.take_along_axis(scores, np.maximum(index_QxR, 0), axis=1)
        short = np.float32(p.margin) - (relevant[:, :, None] - scores[:, None, :]) > 0
        counted = (index_QxR >= 0)[:, :, None] & ~mask_QxN[:, None, :]
        violations = int(np.sum(short & counted))
    return Metrics(
        hits=int(np.take_along_axis(mask_QxN, top, axis=1).sum()),
        margin=float(np.float32(lowest_relevant - highest_other)),
        violations=violations,
    )


@functools.lru_cache(maxsize=32)
def jitted_step(protocol: Protocol, platform: str):
    """One compiled step per protocol, reused across runs (and timings)."""
    optimizer = make_optimizer(protocol)
    return optimizer, jax.jit(make_step(protocol, optimizer, platform))


@functools.lru_cache(maxsize=32)
def jitted_loss(protocol: Protocol, platform: str):
    """The loss of the parameters a step starts from, for a protocol whose
    step leaves it out (model.loss_every_step), and whether they are finite:
    what the engine reports for such a step, and its divergence test."""
    value = make_loss_value(protocol, platform)
    return jax.jit(lambda params, relevance: (value(params, relevance), finite(params)))


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

    per_query = mask_QxN.sum(axis=1)
    fewest = int(np.sum(per_query * (num_docs - per_query)))
    by_violations = p.patience_metric == "violations"
    best, bad_steps, last_loss = float("inf"), 0, float("nan")
    steps, losses, hits, margins = [], [], [], []
    reason, steps_run = Stop.MAX_STEPS.reason, 0
    # the protocol may judge success at the end alone (stop_at_success false)
    stop_here = stop_at_success and p.stop_at_success
    every_step = loss_every_step(p)
    for i in range(p.max_steps):
        before = params, opt_state
        params, opt_state, loss, count = step(params, opt_state, on_device)
        if every_step:
            last_loss, improved = float(loss), float(loss) < best - p.min_delta
            best = last_loss if improved else best
        else:  # the loss the step left out, as the engine has it
            loss, held = jitted_loss(p, platform)(before[0], on_device)
            last_loss, improved = float(loss), False
        steps_run = i + 1
        if count is not None:
            fewer = int(count) < fewest
            fewest = min(fewest, int(count))
            improved = fewer if by_violations else improved
        bad_steps = 0 if improved else bad_steps + 1
        diverged = not np.isfinite(last_loss)
        if not every_step:  # the engine's test: its loss only where reported
            evaluated = i % p.eval_every == 0 or i == p.max_steps - 1
            broken = not bool(held)
            reported = loss_reported(p, evaluated, broken, bad_steps, count)
            diverged = broken or (reported and diverged)
        if diverged:
            reason = Stop.DIVERGED.reason
            break
        if p.success == "separation" and stop_here and int(count) == 0:
            params, opt_state = before  # the witness: this step's start
            reason = Stop.SOLVED.reason
            break
        if p.early_stopping and bad_steps >= p.patience:
            reason = Stop.EARLY_STOPPED.reason
            break
        if i % p.eval_every == 0 or i == p.max_steps - 1:
            metrics = host_metrics(params, on_device, s.k, p)
            steps.append(i)
            losses.append(last_loss)
            hits.append(metrics.hits)
            margins.append(metrics.margin)
            met = meets(p.success, metrics, num_relevant)
            at_end = i == p.max_steps - 1 and not p.stop_at_success
            if met and (stop_here or at_end):
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
        best_violations=fewest if counts_violations(p) else -1,
        last_eval_loss=losses[-1] if losses else float("nan"),
        final=host_metrics(params, on_device, s.k, p),
        last_loss=last_loss,
        best_loss=best,
        temperature=None if temperature is None else float(temperature),
        num_queries=num_queries,
        num_relevant=num_relevant,
    )
