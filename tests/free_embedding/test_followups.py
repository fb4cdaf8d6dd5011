"""The follow-ups' protocols as their code runs them: MED's centroid descent
(arXiv 2601.20844) and TopK's end-of-run margin (arXiv 2605.23556), each
against a hand or numpy computation, and the shipped protocols file."""

import dataclasses
import itertools
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import yaml

from embedding_limits.config.load import load
from embedding_limits.config.protocol import Protocol, ProtocolError, resolve
from embedding_limits.config.run_settings import RunSettings
from embedding_limits.data.qrels import combinations_qrels, subsets_qrels
from embedding_limits.free_embedding.engine import Engine
from embedding_limits.free_embedding.job import relevance_of, seed_relevance
from embedding_limits.free_embedding.losses import (
    LOSSES,
    hinge_and_violations,
    violations,
)
from embedding_limits.free_embedding.model import (
    Params,
    loss_every_step,
    make_loss_value,
    make_step,
)
from embedding_limits.free_embedding.schedules import make_optimizer
from embedding_limits.free_embedding.stepwise import run_stepwise
from helpers import ROOT, SCHEMA_PATH, VOCAB

CPU = jax.devices("cpu")[0]
with open(os.path.join(ROOT, "configs", "protocols.yaml")) as f:
    SHIPPED = yaml.safe_load(f)["protocols"]
MED = resolve("med", SHIPPED["med"], {})


def test_med_queries_are_every_subset_of_one_and_two_documents():
    relevant = subsets_qrels(5, 2).relevant
    singles = [[i, -1] for i in range(5)]
    pairs = [list(p) for p in itertools.combinations(range(5), 2)]
    assert relevant.tolist() == singles + pairs  # 5 + 10 queries, as MED's 15


def numpy_med(docs: np.ndarray, subsets, margin: float):
    """MED's loss and violation count, written from its description: each
    query the mean of its documents, every (query, member, non-member)
    triple's max(0, margin - s(S, x) + s(S, y)), summed over the number of
    queries; a violation is a triple with a positive deficit."""
    total, count = 0.0, 0
    for subset in subsets:
        query = docs[list(subset)].mean(axis=0)
        scores = docs @ query
        for x in subset:
            for y in set(range(len(docs))) - set(subset):
                deficit = margin - scores[x] + scores[y]
                total += max(0.0, deficit)
                count += deficit > 0
    return total / len(subsets), count


def test_med_loss_and_violations_equal_numpy_on_four_documents():
    rng = np.random.default_rng(3)
    docs = rng.normal(size=(4, 3)).astype(np.float32)
    qrels = subsets_qrels(4, 2)
    subsets = [[j for j in row if j >= 0] for row in qrels.relevant.tolist()]
    relevance = relevance_of(qrels.relevant, 4)
    p = dataclasses.replace(MED, margin=0.3)  # a margin that some triples miss
    expected_loss, expected_count = numpy_med(docs.astype(np.float64), subsets, 0.3)
    step = make_step(p, make_optimizer(p), "cpu")
    params = Params(None, jnp.asarray(docs), None)
    optimizer = make_optimizer(p)
    _, _, value, count = jax.jit(step)(params, optimizer.init(params), relevance)
    assert 0 < expected_count < 4 * 4 + 6 * 2 * 2  # some triples, not all
    assert int(count) == expected_count
    # MED's patience watches the count, so its step leaves the value out...
    assert value is None and not loss_every_step(p)
    value = jax.jit(make_loss_value(p, "cpu"))(params, relevance)
    assert float(value) == pytest.approx(expected_loss, rel=1e-5)
    # ...which a patience on the loss needs at every step: the same value
    watched = dataclasses.replace(p, patience_metric="loss")
    step = make_step(watched, make_optimizer(watched), "cpu")
    _, _, every, _ = jax.jit(step)(params, optimizer.init(params), relevance)
    assert loss_every_step(watched) and float(every) == float(value)
    # the hinge alone: the loss's own value, and its count from the scores
    queries = np.stack([docs[s].mean(axis=0) for s in subsets])
    scores = jnp.asarray(queries @ docs.T)
    assert float(LOSSES["hinge"](scores, relevance, None, p)) == pytest.approx(
        expected_loss, rel=1e-5
    )
    assert int(violations(scores, relevance, 0.3)) == expected_count


def triple_hinge(scores_QxN, relevance, margin):
    """MED's loss (over the number of queries) and count from a (Q, R, N)
    array of every triple, by JAX's own gradient: the formulation the
    per-slot one replaced."""
    index_QxR = relevance.index_QxR
    relevant_QxR = jnp.take_along_axis(scores_QxN, jnp.maximum(index_QxR, 0), axis=1)
    deficits_QxRxN = margin - (relevant_QxR[:, :, None] - scores_QxN[:, None, :])
    counted = (index_QxR >= 0)[:, :, None] & ~relevance.mask_QxN[:, None, :]
    total = jnp.sum(jnp.where(counted, jax.nn.relu(deficits_QxRxN), 0.0))
    short = counted & (jax.lax.stop_gradient(deficits_QxRxN) > 0)
    return total / scores_QxN.shape[0], jnp.sum(short, dtype=jnp.int32)


@pytest.mark.parametrize(
    "qrels,exact", [(subsets_qrels(30, 2), True), (combinations_qrels(12, 3), False)]
)
def test_the_per_slot_hinge_is_the_triple_hinge_gradient_bit_for_bit(qrels, exact):
    """The loss within float tolerance, the count exactly, and for MED's
    queries (with their padding) the gradient bit for bit, so MED's
    trajectories are the ones the triple form made; for free 3-subsets a
    relevant document's share may round otherwise (XLA sums it in another
    order). On scores where many triples, not all, miss the margin."""
    relevance = relevance_of(qrels.relevant, qrels.num_docs)
    scores = jnp.asarray(np.random.default_rng(5).normal(
        size=(qrels.num_queries, qrels.num_docs)).astype(np.float32))  # fmt: skip
    per_slot = lambda s, r, m: hinge_and_violations(s, r, m, True)  # noqa: E731
    both = [jax.jit(jax.value_and_grad(f, has_aux=True), static_argnums=2)(
            scores, relevance, 0.5) for f in (per_slot, triple_hinge)]  # fmt: skip
    ((value, count), grad), ((want_value, want_count), want_grad) = both
    assert 0 < int(want_count) < np.sum(qrels.relevant >= 0) * qrels.num_docs
    assert int(count) == int(want_count)
    assert float(value) == pytest.approx(float(want_value), rel=1e-5)
    if exact:
        np.testing.assert_array_equal(grad, want_grad)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-6, atol=0)
    assert int(violations(scores, relevance, 0.5)) == int(want_count)
    nan = scores.at[3, 1].set(jnp.nan)  # a divergence shows in the loss
    assert np.isnan(float(per_slot(nan, relevance, 0.5)[0]))


def med_settings(d, n, seeds=(0,), **changes):
    return RunSettings(d=d, n=n, k=2, seeds=tuple(seeds),
                       protocol=dataclasses.replace(MED, **changes))  # fmt: skip


def test_med_stops_at_the_first_step_whose_parameters_violate_nothing():
    """The known step: found by stepping MED's update by hand and counting
    violations with numpy on the parameters each step starts from."""
    s = med_settings(5, 8)
    relevance = seed_relevance(s)
    subsets = [[j for j in row if j >= 0] for row in np.asarray(relevance.index_QxR)]
    (fused,) = Engine(s, relevance, CPU).run()[0]
    optimizer = make_optimizer(s.protocol)
    step = jax.jit(make_step(s.protocol, optimizer, "cpu"))
    key = jax.random.split(jax.random.PRNGKey(0))[1]  # the documents' key
    params = Params(None, jax.random.normal(key, (8, 5), jnp.float32), None)
    state = optimizer.init(params)
    first_clean = None
    for i in range(s.protocol.max_steps):
        docs = np.asarray(params.docs, np.float64)
        if numpy_med(docs, subsets, s.protocol.margin)[1] == 0:
            first_clean = i
            break
        params, state, _, _ = step(params, state, relevance)
    assert first_clean is not None and first_clean > 10  # not at once, not never
    assert fused.stop_reason == "solved" and fused.solved_at_step == first_clean
    assert fused.steps_run == first_clean + 1  # the step whose check found it
    assert fused.final_violations == 0 and fused.min_violations == 0
    assert fused.final_accuracy == 1.0  # separated, so every top-k is right


@pytest.mark.parametrize("d,n,reason", [(5, 8, "solved"), (3, 6, "early_stopped")])
def test_med_runs_in_the_engine_as_in_the_per_step_loop(d, n, reason):
    """Bit for bit, the violation patience included (MED stops 1000 steps
    after the count last fell)."""
    s = med_settings(d, n)
    (fused,) = Engine(s, seed_relevance(s), CPU).run()[0]
    reference = run_stepwise(s, 0, seed_relevance(s))
    assert fused.stop_reason == reason
    assert fused == dataclasses.replace(
        reference, final_margin=fused.final_margin, curve_margins=fused.curve_margins
    )
    np.testing.assert_allclose(fused.curve_margins, reference.curve_margins, atol=1e-6)


@pytest.mark.filterwarnings(
    "ignore:invalid value:RuntimeWarning"
)  # numpy on NaN scores
def test_a_hinge_run_whose_parameters_overflow_diverges_in_both_loops():
    """MED's step leaves its loss out, so a run diverges when its parameters
    stop being finite: a learning rate near float32's largest overflows
    them within a few steps. It stops there, not solved (an infinite score
    violates no triple: its count is 0), in the engine as in the loop."""
    s = med_settings(5, 8, learning_rate=1e38)
    (fused,) = Engine(s, seed_relevance(s), CPU).run()[0]
    reference = run_stepwise(s, 0, seed_relevance(s))
    assert fused.stop_reason == reference.stop_reason == "diverged"
    assert 1 < fused.steps_run == reference.steps_run < 10
    assert not np.isfinite(fused.last_loss) and not np.isfinite(reference.last_loss)


def test_an_end_judged_margin_runs_to_the_end_and_judges_the_last_evaluation():
    """TopK's rule: no stop at the first positive margin; success is the
    margin at the last step, as the per-step loop judges it too."""
    topk = resolve("topk-infonce", SHIPPED["topk-infonce"], {})
    protocol = dataclasses.replace(topk, max_steps=600, eval_every=100)
    s = RunSettings(d=4, n=6, k=2, seeds=(0,), protocol=protocol)
    (fused,) = Engine(s, seed_relevance(s), CPU).run()[0]
    early = dataclasses.replace(s, protocol=dataclasses.replace(
        protocol, stop_at_success=True))  # fmt: skip
    (first,) = Engine(early, seed_relevance(s), CPU).run()[0]
    assert first.stop_reason == "solved" and first.steps_run < 600
    assert fused.steps_run == 600 and fused.stop_reason == "solved"
    assert fused.final_margin > 0 and fused.curve_steps[-1] == 599
    reference = run_stepwise(s, 0, seed_relevance(s))
    assert (reference.steps_run, reference.stop_reason) == (600, "solved")


@pytest.mark.parametrize(
    "settings,key,message",
    [
        ({"query_sizes": "1..k"}, "query_sizes", "needs queries: centroid"),
        ({"patience_metric": "violations", "early_stopping": False},
         "patience_metric", "only means something with early_stopping: true"),
        ({"reduction": "query_mean"}, "reduction", "only means something with loss"),
        ({"init": "normal"}, "init", "must be one of unit, gaussian"),
        ({"success": "separated"}, "success",
         "must be one of top_k, margin, separation"),
        ({"stop_at_success": "no"}, "stop_at_success", "must be true or false"),
        ({"pct_start": 0.5}, "pct_start",
         "only means something with schedule: onecycle"),
    ],
)  # fmt: skip
def test_a_setting_that_makes_no_sense_with_another_is_refused_by_name(
    settings, key, message
):
    with pytest.raises(ProtocolError) as error:
        resolve("x", settings, {})
    assert message in error.value.errors[key]


def test_med_queries_cannot_search_a_dataset(tmp_path):
    """Its queries are made from n, not read from a dataset's qrels: refused
    before any job, naming the key and the way out."""
    with pytest.raises(Exception) as error:
        load(
            overrides={"protocols": {"med": SHIPPED["med"]}},
            schema_path=SCHEMA_PATH, base_path=None, vocab_dir=VOCAB,
        )  # fmt: skip
    assert "protocols.med.query_sizes" in str(error.value)
    assert "critical_d.enabled: false" in str(error.value)


def test_the_shipped_protocols_are_the_follow_ups_settings():
    """What configs/protocols.yaml resolves to, setting by setting, beside
    the values read from each follow-up's code (see the file's comments)."""
    assert MED == Protocol(
        name="med", queries="centroid", query_sizes="1..k", init="gaussian",
        normalize=False, loss="hinge", margin=1e-6, reduction="query_mean",
        learning_rate=1.0, schedule="onecycle", max_steps=2000,
        success="separation", early_stopping=True, patience_metric="violations",
        patience=1000, temperature=None,
    )  # fmt: skip
    assert (MED.pct_start, MED.div_factor, MED.final_div_factor) == (0.3, 25.0, 1e4)
    momentum = (MED.base_momentum, MED.max_momentum, MED.cycle_momentum)
    assert momentum == (0.85, 0.95, True)
    for name, loss, start in (("topk-sigmoid", "sigmoid", 1.0),
                              ("topk-infonce", "infonce", 0.1)):  # fmt: skip
        p = resolve(name, SHIPPED[name], {})
        assert (p.loss, p.learn_temperature, p.temperature) == (loss, True, start)
        assert (p.learning_rate, p.schedule, p.max_steps) == (0.01, "warmup_cosine",
                                                              100_000)  # fmt: skip
        assert (p.warmup_fraction, p.start_factor, p.final_ratio) == (0.05, 0.1, 0.01)
        assert (p.success, p.stop_at_success, p.eval_every) == ("margin", False, 1000)
        assert (p.early_stopping, p.normalize, p.init) == (False, True, "unit")
