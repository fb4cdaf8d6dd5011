"""How much memory a job needs (no JAX here).

This module is the one home of the estimates: every job that allocates in
proportion to its problem (qrels, optimisation, witness, dataset, embedding)
has a ``*_job_mb`` here, which its rule declares as ``mem_mb`` and which the
workflow checks against what one job may have (limits.py) before any job runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..config.loss_facts import LOSS_FACTS

# float32 arrays of the logits' shape alive at once in a step, per seed
# (logits, log-softmax, its gradient, softmax, scores for top-k, a spare).
LOGIT_COPIES = 6


# Bytes per seed and per (query, relevant, document) triple of a loss, beyond
# the logit copies, by what its terms span (loss_facts.TERMS): a triple loss's
# (Q, R, N) arrays dwarf the logits.
TRIPLE_BYTES = {"pairs": 0, "triples": 8}


def required_bytes(
    num_seeds: int,
    num_queries: int,
    num_docs: int,
    d: int = 64,
    per_query: int = 2,
    loss: str = "infonce",
) -> int:
    """Every large allocation of a job, for ``num_seeds`` seeds in flight.

    Logit-shaped float32 arrays in the step; the boolean relevance mask (host
    and device) and its (Q, R) index form; a triple loss's (Q, R, N) terms;
    the parameters with Adam's two moments.
    """
    q, n, r = num_queries, num_docs, per_query
    triples = TRIPLE_BYTES[LOSS_FACTS[loss].terms] * q * r * n
    per_seed = LOGIT_COPIES * 4 * q * n + triples + 3 * 4 * (q + n) * d
    shared = 2 * q * n + 2 * 4 * q * r
    return num_seeds * per_seed + shared


def bytes_per_query(num_seeds: int, num_docs: int, **shape) -> int:
    """What one more query costs (to advise a --max-queries that fits);
    ``shape`` (d, per_query, loss) as for :func:`required_bytes`."""
    return required_bytes(num_seeds, 2, num_docs, **shape) - required_bytes(
        num_seeds, 1, num_docs, **shape
    )


# What a job declares: a process's own footprint, plus its arrays with headroom
# for what the estimates leave out (temporaries, allocator slack).
MB = 2**20
PYTHON_MB = 200  # Python with numpy (qrels, datasets)
JAX_MB = 1500  # Python with JAX, XLA and the job's compiled programs
HEADROOM = 1.5
# Peak bytes per entry, measured (peak RSS less the bare process), rounded up:
QRELS_BYTES = 12  # per (query, relevant document): 9.6 at k = 2, 4.5 at k = 3..5
WITNESS_BYTES = 128  # per (query, k): 58-64 for moment, 112-113 for trig_moment
DATASET_BYTES = 64  # per liked thing of a document: 43-44
FOLDER_ROW_BYTES = 4096  # per row of a folder dataset: 3.4 KB on the full LIMIT


def job_mb(need_bytes: int, base_mb: int) -> int:
    """The ``mem_mb`` a job declares for arrays of ``need_bytes`` in all."""
    return base_mb + math.ceil(HEADROOM * need_bytes / MB)


def qrels_job_mb(n: int, k: int) -> int:
    """make_qrels.py: every k-subset of n documents, as int32 (plus, for
    k = 2, the two index columns it is stacked from)."""
    return job_mb(QRELS_BYTES * math.comb(n, k) * k, PYTHON_MB)


def optimize_job_mb(
    num_queries: int, num_docs: int, d: int, per_query: int, loss: str
) -> int:
    """optimize.py on the host: one seed's arrays (a CPU runs seeds in turn; a
    GPU job holds on the host only what goes to the device)."""
    need = required_bytes(1, num_queries, num_docs, d, per_query, loss)
    return job_mb(need, JAX_MB)


def witness_job_mb(k: int, n: int) -> int:
    """witness.py when it checks n documents (its largest n sets its peak):
    every k-subset, its nodes, its query and the scaled copies, in float64."""
    return job_mb(WITNESS_BYTES * math.comb(n, k) * k, JAX_MB)


def dataset_witness_job_mb(documents: int, queries: int, k: int) -> int:
    """dataset_witness.py: its documents and queries, and one block of 2^22
    scores with its masks (float64)."""
    return job_mb(WITNESS_BYTES * k * (queries + documents) + 32 * 2**22, JAX_MB)


def folder_job_mb(documents: int, queries: int) -> int:
    """import_dataset.py: every row of a folder dataset as Python objects."""
    return job_mb(FOLDER_ROW_BYTES * (documents + queries), PYTHON_MB)


def dataset_job_mb(documents: int, queries: int, k: int, attributes: int) -> int:
    """make_dataset.py: every document's liked things, as lists and as text."""
    return job_mb(DATASET_BYTES * (documents * attributes + queries * k), PYTHON_MB)


# An embedding job: a process with a model, plus its texts and vectors (a
# profile's set-resources gives a large model more); a scoring job: one block
# of query scores against every document, and its sort.
EMBED_MB, TEXTS_PER_MB = 2000, 20
SCORE_MB, DOCUMENTS_PER_MB = 1000, 25


def embed_job_mb(documents: int, queries: int) -> int:
    """embed.py: a model, a dataset's texts and their vectors."""
    return EMBED_MB + (documents + queries) // TEXTS_PER_MB


def score_job_mb(documents: int) -> int:
    """score_embeddings.py: a block of scores against every document."""
    return SCORE_MB + documents // DOCUMENTS_PER_MB


def largest_fitting(fits: Callable[[int], bool], low: int, high: int) -> int | None:
    """The largest x in [low, high] with ``fits(x)``, for a ``fits`` that holds
    up to some x and not beyond; None when not even ``low`` fits."""
    if high < low or not fits(low):
        return None
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(mid) else (low, mid - 1)
    return low


def size(num_bytes: float) -> str:
    """Bytes for people: 18.6 GiB, 3.8 TiB."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    power = 0
    while num_bytes >= 1024 and power < len(units) - 1:
        num_bytes, power = num_bytes / 1024, power + 1
    return f"{num_bytes:.1f} {units[power]}"
