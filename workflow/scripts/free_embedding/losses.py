"""The losses a protocol can train with, keyed by their config name.

Each takes the (Q, N) scores s = q . d, the relevance, the temperature t (a
float, or a traced scalar when it is learned) and the protocol. What the
workflow knows about a loss without JAX (its start temperature, the clamp of
a learned one, what its terms span, the settings only it uses) is its entry
in ``loss_facts.LOSS_FACTS``, under the same name as here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp


class Relevance(NamedTuple):
    """Which documents each query should retrieve, in the two forms the
    losses need: a (Q, N) boolean mask and (Q, R) indices padded with -1."""

    mask_QxN: jax.Array
    index_QxR: jax.Array


def infonce(scores_QxN, relevance: Relevance, temperature, protocol):
    """Minus the mean log-softmax probability of the relevant pairs, over all
    documents, with logits s / t: the published loss, op for op (the mask
    converted and counted inside, as the published script does). A learned
    t multiplies by 1 / t: one division, not one per logit."""
    if protocol.learn_temperature:
        logits_QxN = scores_QxN * (1.0 / temperature)
    else:
        logits_QxN = scores_QxN / temperature
    log_probs_QxN = jax.nn.log_softmax(logits_QxN, axis=1)
    mask_QxN = relevance.mask_QxN.astype(log_probs_QxN.dtype)
    num_pos = jnp.sum(mask_QxN)
    return -jnp.sum(log_probs_QxN * mask_QxN) / jnp.maximum(num_pos, 1.0)


def sigmoid(scores_QxN, relevance: Relevance, temperature, protocol):
    """Sum over every (query, document) pair of softplus(-y t (s - b)),
    y = +1 for a relevant pair and -1 otherwise (arXiv 2605.23556)."""
    labels_QxN = jnp.where(relevance.mask_QxN, 1.0, -1.0)
    return jnp.sum(_softplus(-labels_QxN * temperature * (scores_QxN - protocol.bias)))


@jax.custom_vjp
def _softplus(z):
    """max(z, 0) + log1p(exp(-|z|)), stable; its derivative, the logistic
    sigmoid, reuses the forward pass's exp(-|z|) (one exponential in all)."""
    return _softplus_forward(z)[0]


def _softplus_forward(z):
    e = jnp.exp(-jnp.abs(z))
    return jnp.maximum(z, 0.0) + jnp.log1p(e), (z, e)


def _softplus_backward(saved, g):
    z, e = saved
    return (g * jnp.where(z >= 0, 1.0, e) / (1.0 + e),)


_softplus.defvjp(_softplus_forward, _softplus_backward)


def margin_deficits(scores_QxN, relevance: Relevance, margin):
    """margin - (s_rel - s_irr) of every (query, relevant, irrelevant) triple,
    and the mask of the triples that exist (padding and relevant documents
    out)."""
    index_QxR = relevance.index_QxR
    valid_QxR = index_QxR >= 0
    relevant_QxR = jnp.take_along_axis(scores_QxN, jnp.maximum(index_QxR, 0), axis=1)
    gaps_QxRxN = relevant_QxR[:, :, None] - scores_QxN[:, None, :]
    counted_QxRxN = valid_QxR[:, :, None] & ~relevance.mask_QxN[:, None, :]
    return margin - gaps_QxRxN, counted_QxRxN


def _hinge_sums(scores_QxN, relevance: Relevance, margin):
    """The hinge's sum of terms and its count of violated triples."""
    deficits_QxRxN, counted = margin_deficits(scores_QxN, relevance, margin)
    terms_QxRxN = jax.nn.relu(deficits_QxRxN)
    total = jnp.sum(jnp.where(counted, terms_QxRxN, 0.0))
    short = counted & (jax.lax.stop_gradient(deficits_QxRxN) > 0)
    return total, jnp.sum(short, dtype=jnp.int32)


def by_query_blocks(sums, scores_QxN, relevance: Relevance, block: int | None):
    """``sums`` (a tuple of sums over queries) over blocks of ``block``
    queries in turn (``lax.map``), added up; all queries at once for None.

    A triple loss's (Q, R, N) arrays pass through memory several times; on a
    CPU, blocks whose triples fit in cache make its step about three times
    faster (tools/benchmark_engine.py). Padding queries have no relevant
    document, so they add nothing.
    """
    num_queries = scores_QxN.shape[0]
    if block is None or block >= num_queries:
        return sums(scores_QxN, relevance)
    blocks = -(-num_queries // block)
    pad = blocks * block - num_queries

    def split(x, fill):
        x = jnp.pad(x, ((0, pad), (0, 0)), constant_values=fill)
        return x.reshape(blocks, block, x.shape[1])

    parts = (split(scores_QxN, 0.0), split(relevance.mask_QxN, False),
             split(relevance.index_QxR, -1))  # fmt: skip
    per_block = jax.lax.map(lambda x: sums(x[0], Relevance(x[1], x[2])), parts)
    return jax.tree.map(lambda x: jnp.sum(x, axis=0), per_block)


def hinge_and_violations(scores_QxN, relevance: Relevance, protocol, block=None):
    """The hinge (below) and MED's count of violated triples, from the same
    terms in one pass: a violation is a triple whose term is positive."""
    total, count = by_query_blocks(
        lambda s, r: _hinge_sums(s, r, protocol.margin), scores_QxN, relevance, block
    )
    if protocol.reduction == "query_mean":
        total = total / scores_QxN.shape[0]
    return total, count


def hinge(scores_QxN, relevance: Relevance, temperature, protocol, block=None):
    """Sum over every (query, relevant, irrelevant) triple of
    max(0, margin - (s_rel - s_irr)) (arXiv 2601.20844); with reduction
    query_mean, that sum over the number of queries, as MED's code has it."""
    return hinge_and_violations(scores_QxN, relevance, protocol, block)[0]


def violations(scores_QxN, relevance: Relevance, margin, block=None):
    """How many triples miss the margin: s_rel - s_irr < margin (MED's count;
    none means every query ranks its documents first, by that margin)."""

    def count(s, r):
        deficits_QxRxN, counted = margin_deficits(s, r, margin)
        return (jnp.sum(counted & (deficits_QxRxN > 0), dtype=jnp.int32),)

    return by_query_blocks(count, scores_QxN, relevance, block)[0]


LOSSES: dict[str, Callable] = {"infonce": infonce, "sigmoid": sigmoid, "hinge": hinge}
