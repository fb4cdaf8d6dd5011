"""One optimisation job: qrels -> relevance masks -> engine -> result document."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .devices import check_fits, environment, resolve_device
from .engine import Engine, Progress
from .qrels import (
    Qrels,
    combinations_qrels,
    num_combinations,
    relevance_mask,
    sample_query_indices,
)
from .results import build_document
from .settings import RunSettings


def seed_masks(settings: RunSettings, qrels: Qrels) -> np.ndarray:
    """(Q, N) for all seeds, or (S, Q, N) when ``max_queries`` samples per seed.

    As published, a capped run keeps the queries drawn with its own seed + 1.
    """
    s = settings
    if s.max_queries is None or s.max_queries >= qrels.num_queries:
        return relevance_mask(qrels.relevant, qrels.num_docs)
    return np.stack(
        [
            relevance_mask(
                qrels.relevant[
                    sample_query_indices(qrels.num_queries, s.max_queries, seed)
                ],
                qrels.num_docs,
            )
            for seed in s.seeds
        ]
    )


def run_job(
    settings: RunSettings,
    qrels: Qrels | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> dict:
    """Optimise every seed of ``settings``; returns the result document.

    Without ``qrels``, the full combinatorial qrels of (n, k) are used.
    """
    s = settings
    device = resolve_device(s.device)
    total = qrels.num_queries if qrels else num_combinations(s.n, s.k)
    check_fits(device, len(s.seeds), min(total, s.max_queries or total), s.n)
    qrels = qrels or combinations_qrels(s.n, s.k)
    engine = Engine(s, seed_masks(s, qrels), device)
    outcomes, run_seconds = engine.run(on_progress)
    return build_document(
        s,
        outcomes,
        qrels_source=qrels.source,
        compile_seconds=engine.compile_seconds,
        run_seconds=run_seconds,
        environment=environment(device, s.precision, engine.seed_batching),
    )
