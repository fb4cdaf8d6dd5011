"""One optimisation job: qrels -> relevance -> engine -> result document."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import jax
import numpy as np

from ..config.run_settings import RunSettings
from ..data.qrels import (
    Qrels,
    combinations_qrels,
    combinations_source,
    num_combinations,
    relevance_mask,
    sample_query_indices,
    sampled_combinations,
    subsets_qrels,
    subsets_source,
)
from ..store.documents import build_document
from .devices import check_fits, environment, resolve_device
from .engine import Engine, Progress, resolve_seed_batching
from .losses import Relevance


def relevance_of(relevant_QxR: np.ndarray, num_docs: int) -> Relevance:
    return Relevance(relevance_mask(relevant_QxR, num_docs), relevant_QxR)


def protocol_qrels(settings: RunSettings, qrels: Qrels | None) -> Qrels | None:
    """The qrels the protocol optimises: with query_sizes 1..k, every subset
    of 1..k of the n documents in place of the k-subsets (MED's queries)."""
    s = settings
    if s.protocol.query_sizes == "k":
        return qrels
    if qrels is not None and qrels.source == subsets_source(s.n, s.k):
        return qrels
    if qrels is not None and qrels.source != combinations_source(s.n, s.k):
        raise ValueError(
            f"protocol {s.protocol.name}: query_sizes 1..k needs the k-subsets of "
            f"n documents, not {qrels.source}; leave it out for datasets"
        )
    return subsets_qrels(s.n, s.k)


def seed_relevance(settings: RunSettings, qrels: Qrels | None = None) -> Relevance:
    """(Q, ...) arrays for all seeds, or (S, Q, ...) when ``max_queries``
    samples per seed: as published, each seed keeps the queries drawn with
    ``default_rng(seed + 1)``. Without ``qrels``, the k-subsets of n documents,
    a sample of which is drawn without listing them all; with query_sizes
    1..k, every subset of 1..k documents (``protocol_qrels``)."""
    s = settings
    qrels = protocol_qrels(s, qrels)
    total = qrels.num_queries if qrels else num_combinations(s.n, s.k)
    if s.max_queries is None or s.max_queries >= total:
        qrels = qrels or combinations_qrels(s.n, s.k)
        return relevance_of(qrels.relevant, qrels.num_docs)
    per_seed = []
    for seed in s.seeds:
        chosen = sample_query_indices(total, s.max_queries, seed)
        rows = (
            qrels.relevant[chosen] if qrels else sampled_combinations(s.n, s.k, chosen)
        )
        per_seed.append(relevance_of(rows, s.n))
    return Relevance(*(np.stack(parts) for parts in zip(*per_seed, strict=True)))


def use_compilation_cache() -> None:
    """Keep every compiled program in $JAX_COMPILATION_CACHE_DIR, if set: jobs
    of a repeated shape (reruns, protocols, datasets) then load, not compile,
    and the initial draws' programs are shared by jobs of many shapes."""
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def run_job(
    settings: RunSettings,
    qrels: Qrels | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> dict:
    """Optimise every seed of ``settings``; returns the result document.

    Without ``qrels``, the full combinatorial qrels of (n, k) are used.
    """
    s = settings
    qrels = protocol_qrels(s, qrels)
    use_compilation_cache()
    device = resolve_device(s.device)
    total = qrels.num_queries if qrels else num_combinations(s.n, s.k)
    in_flight = (
        len(s.seeds) if resolve_seed_batching(s.seed_batching, device) == "vmap" else 1
    )
    note = check_fits(
        device, in_flight, min(total, s.max_queries or total), s.n, s.d,
        qrels.relevant.shape[1] if qrels else s.k, total, s.protocol.loss,
    )  # fmt: skip
    if note:
        print(f"optimize: {note}", file=sys.stderr)
    engine = Engine(s, seed_relevance(s, qrels), device)
    outcomes, run_seconds = engine.run(on_progress)
    source = qrels.source if qrels else combinations_source(s.n, s.k)
    if s.max_queries is not None and s.max_queries < total:
        source += f", {s.max_queries} sampled per seed"
    return build_document(
        s,
        outcomes,
        qrels_source=source,
        compile_seconds=engine.compile_seconds,
        run_seconds=run_seconds,
        seed_seconds=engine.seed_seconds,
        seed_batching=engine.seed_batching,
        environment=environment(
            device, s.protocol.precision, engine.seed_batching, s.deterministic
        ),
    )
