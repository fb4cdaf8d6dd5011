"""The losses a protocol can train with, keyed by their config name.

Each takes the (Q, N) scores s = q . d, the relevance, the temperature t (a
float, or a traced scalar when it is learned) and the protocol. What the
workflow knows about a loss without JAX (its start temperature, the clamp of
a learned one, what its terms span, the settings only it uses) is its entry
in ``loss_facts.LOSS_FACTS``, under the same name as here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


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


def slot_deficits(scores_QxN, relevance: Relevance, margin):
    """For each relevant slot r of the (Q, R) indices, the (Q, N) deficits
    margin - (s_rel - s_irr) of its (query, relevant, irrelevant) triples and
    the mask of the triples that exist (padding and relevant documents out);
    with the slot's (Q, 1) indices, as (index, deficits, counted) per slot.

    R passes over the (Q, N) scores, one per slot (R is k, or 2 for MED's
    queries): no (Q, R, N) array is formed.
    """
    irrelevant_QxN = ~relevance.mask_QxN
    slots = []
    for r in range(relevance.index_QxR.shape[1]):
        index_Qx1 = relevance.index_QxR[:, r : r + 1]
        relevant_Qx1 = jnp.take_along_axis(
            scores_QxN, jnp.maximum(index_Qx1, 0), axis=1
        )
        deficits_QxN = margin - (relevant_Qx1 - scores_QxN)
        counted_QxN = (index_Qx1 >= 0) & irrelevant_QxN
        slots.append((index_Qx1, deficits_QxN, counted_QxN))
    return slots


def _hinge_parts(scores_QxN, relevance: Relevance, margin, scale):
    """The hinge's count of violated triples, and the gradient of its sum
    of terms times ``scale`` with respect to the scores.

    A violated triple's term, margin - s_rel + s_irr, has derivative +1 in
    its irrelevant score and -1 in its relevant one; every other term is 0.
    So an irrelevant score gets ``scale`` per slot of its query that it
    violates, and a relevant one minus ``scale`` summed over the documents
    that violate it. That sum adds up a (Q, N) array of copies of
    ``scale``, as JAX's own gradient of the (Q, R, N) terms did (a count
    times ``scale`` rounds otherwise, and the rounding changed which d MED's
    search finds at m = 20): for MED's queries the same gradient, bit for
    bit, so the same trajectories (tests/free_embedding/test_followups.py).
    """
    shares, slots_QxN = [], 0.0
    for index_Qx1, deficits_QxN, counted_QxN in slot_deficits(
        scores_QxN, relevance, margin
    ):
        short_QxN = counted_QxN & (deficits_QxN > 0)
        slots_QxN = slots_QxN + jnp.where(short_QxN, 1.0, 0.0)
        shares_QxN = jnp.where(short_QxN, scale, 0.0)
        shares.append((jnp.maximum(index_Qx1[:, 0], 0), shares_QxN))
    # violated slots per (query, document), 0..R; a query's count is their
    # float sum (exact: R N < 2^24), the total an integer sum (XLA:CPU writes
    # an integer (Q, N) array out to sum it, a float one it sums in place)
    count = jnp.sum(jnp.sum(slots_QxN, axis=1).astype(jnp.int32))
    # n times scale: what adding n copies gives, for n <= 3 (R is 2 for MED)
    grad_QxN = slots_QxN * scale
    rows_Q = jnp.arange(scores_QxN.shape[0])
    for index_Q, shares_QxN in shares:  # a padding slot adds -0 to column 0
        grad_QxN = grad_QxN.at[rows_Q, index_Q].add(-jnp.sum(shares_QxN, axis=1))
    return count, grad_QxN


def hinge_value(scores_QxN, relevance: Relevance, margin, query_mean):
    """The hinge's value: its terms' sum (``_triple_sum``), over the number of
    queries where ``query_mean``."""
    total = _triple_sum(scores_QxN, relevance, margin)
    return total / scores_QxN.shape[0] if query_mean else total


def _triple_sum(scores_QxN, relevance: Relevance, margin):
    """The hinge's terms summed as one (Q, R, N) reduction of broadcasts, which
    XLA fuses without forming the array. Per-slot sums, added, were summed
    in one order in the fused engine and another in the per-step loop (XLA
    fuses each program its own way); this sum comes out the same in both, so
    they report the same loss bit for bit (tests/free_embedding/
    test_followups.py). relu, not a mask: a NaN score makes the sum NaN (a
    divergence)."""
    index_QxR = relevance.index_QxR
    relevant_QxR = jnp.take_along_axis(scores_QxN, jnp.maximum(index_QxR, 0), axis=1)
    deficits_QxRxN = margin - (relevant_QxR[:, :, None] - scores_QxN[:, None, :])
    counted_QxRxN = (index_QxR >= 0)[:, :, None] & ~relevance.mask_QxN[:, None, :]
    return jnp.sum(jnp.where(counted_QxRxN, jax.nn.relu(deficits_QxRxN), 0.0))


@partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def hinge_and_violations(scores_QxN, relevance: Relevance, margin, query_mean,
                         with_value=True):  # fmt: skip
    """The hinge (below) and MED's count of violated triples (a violation is
    a triple whose term is positive); the loss is the sum over the number
    of queries where ``query_mean``. Without ``with_value`` the loss comes
    out as 0 and is not computed: its gradient does not need it, and the
    sum of the (Q, R, N) terms is a third of a step at MED's m = 160
    (model.loss_every_step says when a step can do without it).

    Its gradient is written out (``_hinge_parts``) in the forward pass, with
    the count, and kept for the backward pass as one (Q, N) array: XLA's
    own gradient of the (Q, R, N) terms stored their masks, reduced them
    again and scattered the relevant documents' shares, which made a CPU
    step at MED's m = 160, d = 15 about 1.4x as long (docs/benchmarks.md,
    Table 6). The backward pass scales it by the loss's cotangent: 1 in a
    step, so the gradient is the one written out, bit for bit."""
    return _hinge_forward(scores_QxN, relevance, margin, query_mean, with_value)[0]


def _hinge_forward(scores_QxN, relevance, margin, query_mean, with_value):
    num_queries = scores_QxN.shape[0]
    # each term's share of the loss: 1 / Q in float32, as JAX's own gradient
    scale = np.float32(1.0) / np.float32(num_queries) if query_mean else 1.0
    count, grad_QxN = _hinge_parts(scores_QxN, relevance, margin, scale)
    value = jnp.float32(0.0)
    if with_value:
        value = hinge_value(scores_QxN, relevance, margin, query_mean)
    return (value, count), (grad_QxN, relevance)


def _hinge_backward(margin, query_mean, with_value, saved, cotangents):
    grad_QxN, relevance = saved
    return cotangents[0] * grad_QxN, jax.tree.map(lambda _: None, relevance)


hinge_and_violations.defvjp(_hinge_forward, _hinge_backward)


def hinge(scores_QxN, relevance: Relevance, temperature, protocol):
    """Sum over every (query, relevant, irrelevant) triple of
    max(0, margin - (s_rel - s_irr)) (arXiv 2601.20844); with reduction
    query_mean, that sum over the number of queries, as MED's code has it."""
    query_mean = protocol.reduction == "query_mean"
    return hinge_and_violations(scores_QxN, relevance, protocol.margin, query_mean)[0]


def violations(scores_QxN, relevance: Relevance, margin):
    """How many triples miss the margin: s_rel - s_irr < margin (MED's count;
    none means every query ranks its documents first, by that margin).

    Each query's count is a float sum of ones (exact: N < 2^24), then the
    queries' counts an integer sum (XLA:CPU writes an integer (Q, N) array
    out to sum it)."""
    count = 0
    for _, deficits_QxN, counted_QxN in slot_deficits(scores_QxN, relevance, margin):
        ones_QxN = jnp.where(counted_QxN & (deficits_QxN > 0), 1.0, 0.0)
        count = count + jnp.sum(jnp.sum(ones_QxN, axis=1).astype(jnp.int32))
    return count


LOSSES: dict[str, Callable] = {"infonce": infonce, "sigmoid": sigmoid, "hinge": hinge}
