"""Start an optimiser from an exact witness: does it keep 100% accuracy?

A float32 witness already represents every top-k subset of n documents. If a
protocol started there moves away from it and loses accuracy, what limits that
protocol's critical n is its loss and its steps, not the geometry of d
dimensions. The loop is the reference loop's (``stepwise``): one compiled
step, the loss on the host for early stopping, accuracy every ``eval_every``
steps; it does not stop at 100%, since it starts there.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from . import witness
from .losses import Relevance
from .model import Params
from .protocol import Protocol
from .stepwise import host_metrics, jitted_step


@dataclass(frozen=True)
class PolishRecord:
    construction: str
    k: int
    n: int
    protocol: str
    start_accuracy: float  # the witness itself, stored in float32
    first_accuracy: float  # after the first step
    lowest_accuracy: float  # over every evaluation
    final_accuracy: float
    final_margin: float
    steps: int
    stop_reason: str  # early_stopped | max_steps | diverged


def witness_params(construction: str, k: int, n: int, p: Protocol):
    """The witness as float32 parameters of protocol ``p``, and its qrels."""
    if construction == "moment" and p.normalize:
        raise ValueError(
            f"protocol {p.name!r} re-normalises rows, which the moment witness "
            "does not survive (it is not unit-norm): use trig_moment, or a "
            "protocol with normalize: false"
        )
    if p.queries != "free":
        raise ValueError(
            f"protocol {p.name!r} uses {p.queries} queries, but a witness's "
            "queries are its own vectors, not the means of their documents"
        )
    placement = witness.PLACEMENTS[construction][0]
    subsets = witness.all_subsets(n, k)
    docs = witness.documents(construction, k, n, placement).astype(np.float32)
    queries = witness.queries(construction, k, n, subsets, placement)
    mask = np.zeros((len(subsets), n), bool)
    mask[np.arange(len(subsets))[:, None], subsets] = True
    params = Params(
        jnp.asarray(queries.astype(np.float32)),
        jnp.asarray(docs),
        jnp.float32(p.temperature) if p.learn_temperature else None,
    )
    return params, mask, Relevance(jnp.asarray(mask), jnp.asarray(subsets))


def polish(construction: str, k: int, n: int, p: Protocol) -> PolishRecord:
    """Run protocol ``p`` for up to ``p.max_steps`` from the witness."""
    params, mask, relevance = witness_params(construction, k, n, p)
    platform = (jax.config.jax_default_device or jax.devices()[0]).platform
    optimizer, step = jitted_step(p, platform)
    opt_state = optimizer.init(params)
    total = int(mask.sum())
    start = host_metrics(params, mask, k).hits / total
    accuracies, best, bad, reason, steps = [], np.inf, 0, "max_steps", 0
    for i in range(p.max_steps):
        params, opt_state, loss = step(params, opt_state, relevance)
        loss, steps = float(loss), i + 1
        best, bad = (loss, 0) if loss < best - p.min_delta else (best, bad + 1)
        if not np.isfinite(loss):
            reason = "diverged"
            break
        if i % p.eval_every == 0:
            accuracies.append(host_metrics(params, mask, k).hits / total)
        if p.early_stopping and bad >= p.patience:
            reason = "early_stopped"
            break
    final = host_metrics(params, mask, k)
    return PolishRecord(
        construction, k, n, p.name, start, accuracies[0], min(accuracies),
        final.hits / total, final.margin, steps, reason,
    )  # fmt: skip
