"""Start an optimiser from an exact witness: does it keep 100% accuracy?

A float32 witness already represents every top-k subset of n documents. If a
protocol started there moves away from it and loses accuracy, what limits that
protocol's critical n is its loss and its steps, not the geometry of d
dimensions. The run is the reference loop's (``stepwise``), from the witness
instead of the published draws, and it does not stop at success, since it
starts there.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from ..config.protocol import Protocol
from ..config.run_settings import RunSettings
from ..data.qrels import relevance_mask
from ..free_embedding.losses import Relevance
from ..free_embedding.model import Params
from ..free_embedding.stepwise import host_metrics, run_stepwise
from . import construction as witness


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
    params = Params(
        jnp.asarray(queries.astype(np.float32)),
        jnp.asarray(docs),
        jnp.float32(p.temperature) if p.learn_temperature else None,
    )
    return params, Relevance(relevance_mask(subsets, n), subsets)


def polish(construction: str, k: int, n: int, p: Protocol) -> PolishRecord:
    """Run protocol ``p`` for up to ``p.max_steps`` from the witness."""
    params, relevance = witness_params(construction, k, n, p)
    start = host_metrics(params, relevance, k, p)
    settings = RunSettings(d=2 * k, n=n, k=k, seeds=(0,), protocol=p)
    o = run_stepwise(settings, 0, relevance, initial=params, stop_at_success=False)
    return PolishRecord(
        construction, k, n, p.name, start.hits / o.num_relevant,
        o.curve_accuracies[0], min(o.curve_accuracies), o.final_accuracy,
        o.final_margin, o.steps_run, o.stop_reason,
    )  # fmt: skip
