"""The plain per-step loop of the published script, one seed at a time.

A jitted step, the loss brought to the host after every step for early
stopping, top-k accuracy on the host every ``eval_every`` steps (numpy
``argsort``, as published). It is the yardstick for the fused engine: the
tests check that both agree, and the benchmark times both.
"""

from __future__ import annotations

import functools

import jax
import numpy as np
import optax

from .model import init_params, make_step, relevance_weights
from .outcome import SeedOutcome, build_outcome
from .settings import RunSettings


def host_top_k_hits(params, mask_QxN: np.ndarray, k: int) -> int:
    queries_Qxd, docs_Nxd = jax.device_get(params)
    scores_QxN = queries_Qxd @ docs_Nxd.T
    top_QxK = np.argsort(-scores_QxN, axis=1)[:, :k]
    return int(np.take_along_axis(mask_QxN, top_QxK, axis=1).sum())


@functools.lru_cache(maxsize=32)
def jitted_step(learning_rate: float, temperature: float, num_pos: float):
    """One compiled step per setting, reused across runs (and timings)."""
    optimizer = optax.adam(learning_rate)
    return optimizer, jax.jit(make_step(optimizer, temperature, num_pos))


def run_stepwise(settings: RunSettings, seed: int, mask_QxN: np.ndarray) -> SeedOutcome:
    s = settings
    num_queries, num_docs = mask_QxN.shape
    num_relevant = int(mask_QxN.sum())
    weights_QxN, num_pos = relevance_weights(mask_QxN)
    optimizer, step = jitted_step(s.learning_rate, s.temperature, num_pos)
    params = init_params(seed, num_queries, num_docs, s.d)
    opt_state = optimizer.init(params)

    best, bad_steps, last_loss = float("inf"), 0, float("nan")
    eval_steps, eval_losses, eval_hits = [], [], []
    reason, steps_run = "max_steps", 0
    for i in range(s.max_steps):
        params, opt_state, loss = step(params, opt_state, weights_QxN)
        last_loss, steps_run = float(loss), i + 1
        if last_loss < best - s.min_delta:
            best, bad_steps = last_loss, 0
        else:
            bad_steps += 1
        if bad_steps >= s.patience:
            reason = "early_stopped"
            break
        if i % s.eval_every == 0 or i == s.max_steps - 1:
            hits = host_top_k_hits(params, mask_QxN, s.k)
            eval_steps.append(i)
            eval_losses.append(last_loss)
            eval_hits.append(hits)
            if hits == num_relevant:
                reason = "solved"
                break
    return build_outcome(
        seed=seed,
        stop_reason=reason,
        steps_run=steps_run,
        eval_steps=eval_steps,
        eval_losses=eval_losses,
        eval_hits=eval_hits,
        final_hits=host_top_k_hits(params, mask_QxN, s.k),
        last_loss=last_loss,
        best_loss=best,
        num_queries=num_queries,
        num_relevant=num_relevant,
    )
