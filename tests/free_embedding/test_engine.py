"""The fused engine against the plain per-step loop, on toy sizes."""

import dataclasses
import logging

import jax
import numpy as np
import pytest

from embedding_limits.config.protocol import Protocol
from embedding_limits.config.run_settings import RunSettings
from embedding_limits.data.qrels import combinations_qrels
from embedding_limits.free_embedding import engine
from embedding_limits.free_embedding.engine import (
    Engine,
    delta_threshold,
    evaluation_count,
)
from embedding_limits.free_embedding.job import relevance_of, seed_relevance
from embedding_limits.free_embedding.stepwise import run_stepwise
from embedding_limits.store.outcome import ENDED, Stop

CPU = jax.devices("cpu")[0]


def settings(d, n, seeds=(0,), **protocol):
    return RunSettings(d=d, n=n, seeds=tuple(seeds), protocol=Protocol(**protocol))


def run_engine(s, relevance=None, device=CPU):
    outcomes, _ = Engine(s, relevance or seed_relevance(s), device).run()
    return outcomes


def pairs(n):
    return relevance_of(combinations_qrels(n, 2).relevant, n)


def assert_same_run(a, b):
    """Equal in every field, bit for bit; margins within 1e-6. (The engine
    computes scores for its margins inside the fused program, the reference
    loop by an eager dot on host copies, as published: they may round an ulp
    apart. They never steer a published run.)"""
    no_margins = {"final_margin": 0.0, "curve_margins": ()}
    assert dataclasses.replace(a, **no_margins) == dataclasses.replace(b, **no_margins)
    np.testing.assert_allclose(a.final_margin, b.final_margin, atol=1e-6)
    np.testing.assert_allclose(a.curve_margins, b.curve_margins, atol=1e-6)


@pytest.mark.parametrize(
    "d,n,seed,max_steps,reason",
    [
        (4, 6, 0, 5000, "solved"),
        (3, 12, 1, 700, "max_steps"),
        (3, 8, 0, 100_000, "early_stopped"),
        (3, 8, 1, 100_000, "early_stopped"),
        (4, 10, 42, 100_000, "early_stopped"),
    ],
)
def test_engine_equals_the_per_step_loop_exactly(d, n, seed, max_steps, reason):
    """Every field, every evaluated loss and accuracy: bit for bit (d >= 3)."""
    s = settings(d, n, (seed,), max_steps=max_steps)
    (fused,) = run_engine(s)
    assert fused.stop_reason == reason
    assert_same_run(fused, run_stepwise(s, seed, pairs(n)))


@pytest.mark.parametrize("schedule", ["warmup_cosine", "onecycle"])
def test_a_schedule_runs_in_the_engine_as_in_the_per_step_loop(schedule):
    """The engine starts Adam from a state of zeros, the loop from its init:
    the same for a scheduled lr and for onecycle's injected b1."""
    s = settings(3, 8, (0,), schedule=schedule, max_steps=300, early_stopping=False)
    (fused,) = run_engine(s)
    assert fused.stop_reason == "max_steps"
    assert_same_run(fused, run_stepwise(s, 0, pairs(8)))


def test_the_stop_states_are_named_once():
    """The engine's int32 statuses are outcome.Stop's values, and a result
    records each by its name: the names results hold, unchanged."""
    for stop in Stop:
        assert getattr(engine, stop.name) == stop.value
    assert [stop.reason for stop in Stop] == [
        "running", "solved", "early_stopped", "max_steps", "diverged"
    ]  # fmt: skip
    assert ENDED == tuple(stop.reason for stop in Stop)[1:]


def test_small_problem_is_solved():
    for o in run_engine(settings(4, 6, (0, 1, 2), max_steps=5000)):
        assert o.solved and o.stop_reason == "solved"
        assert o.max_accuracy == o.final_accuracy == 1.0
        assert o.solved_at_step == o.curve_steps[-1] == o.steps_run - 1
        assert o.num_queries == 15 and o.num_relevant == 30


def test_two_dimensions_cannot_hold_every_pair_of_twelve():
    for o in run_engine(settings(2, 12, (0, 1), max_steps=20000)):
        assert not o.solved and o.solved_at_step is None
        assert o.max_accuracy < 0.6
        assert o.stop_reason in ("early_stopped", "max_steps")


def test_fixed_seed_is_deterministic_and_seeds_differ():
    s = settings(3, 8, (5,), max_steps=3000)
    assert run_engine(s) == run_engine(s)
    a, b = run_engine(settings(3, 8, (0, 1), max_steps=300))
    assert a.curve_losses != b.curve_losses


@pytest.mark.parametrize("n,max_queries", [(8, None), (10, 20)])
def test_a_batched_seed_records_the_same_whatever_its_batch(n, max_queries):
    """vmap (the GPU mode, forced here on a CPU), with seeds that stop at
    different steps: a seed's record does not depend on which seeds share its
    batch, nor on when they stop (while_loop's batching freezes a stopped
    seed), and stays close to that seed run alone. Bit-equality with the seed
    alone cannot hold: XLA picks its batched kernels by batch size, and they
    round differently from the unbatched ones."""
    batched = dataclasses.replace(
        settings(3, n, (0, 1, 2, 3), max_steps=20000), seed_batching="vmap",
        max_queries=max_queries,
    )  # fmt: skip
    first = {o.seed: o for o in run_engine(batched)}
    assert len({o.steps_run for o in first.values()}) == 4  # all stop apart
    for seeds in [(3, 2, 1, 0), (0, 5, 6, 7), (9, 8, 1, 0)]:
        for o in run_engine(dataclasses.replace(batched, seeds=seeds)):
            assert o.seed not in first or o == first[o.seed]
    for seed, o in first.items():
        alone = dataclasses.replace(batched, seeds=(seed,), seed_batching="sequential")
        (a,) = run_engine(alone)
        assert (a.stop_reason, a.solved) == (o.stop_reason, o.solved)
        assert abs(a.steps_run - o.steps_run) <= max(50, a.steps_run // 100)
        np.testing.assert_allclose(a.best_loss, o.best_loss, rtol=1e-4)


def test_sequential_seeds_equal_each_seed_alone_exactly():
    s = settings(3, 8, (0, 1, 2), max_steps=20000)
    for outcome in run_engine(s):
        assert run_engine(dataclasses.replace(s, seeds=(outcome.seed,))) == [outcome]


def test_capped_queries_match_the_plain_loop_per_seed():
    s = dataclasses.replace(settings(3, 10, (0, 1), max_steps=4000), max_queries=20)
    relevance = seed_relevance(s)
    assert relevance.mask_QxN.shape == (2, 20, 10)
    for i, outcome in enumerate(run_engine(s, relevance)):
        assert outcome.num_queries == 20
        one = type(relevance)(*(x[i] for x in relevance))
        assert_same_run(outcome, run_stepwise(s, outcome.seed, one))


def test_evaluations_follow_the_published_schedule():
    (o,) = run_engine(settings(2, 12, (0,), max_steps=123, eval_every=50))
    assert o.curve_steps == (0, 50, 100, 122)
    assert evaluation_count(123, 50) == 4 and evaluation_count(101, 50) == 3
    assert o.steps_run == 123 and o.stop_reason == "max_steps"


def test_patience_stops_before_evaluating():
    # Step 0 always improves on best=inf; step 1 cannot improve by 10, so the
    # run stops at step 1, after its update and before any evaluation there.
    s = settings(2, 12, (0,), patience=1, min_delta=10.0, eval_every=1)
    (o,) = run_engine(s)
    assert o.stop_reason == "early_stopped" and o.steps_run == 2
    assert o.curve_steps == (0,) and o.best_loss == o.curve_losses[0] != o.last_loss
    assert_same_run(o, run_stepwise(s, 0, pairs(12)))


def test_a_non_finite_loss_stops_the_run_as_diverged():
    # logits q.d / 1e-39 overflow float32: the loss is inf - inf = nan
    (o,) = run_engine(settings(3, 8, (0,), temperature=1e-39))
    assert o.stop_reason == "diverged" and o.steps_run == 1 and not o.solved
    assert not np.isfinite(o.last_loss)


def test_min_delta_threshold_decides_like_float64():
    for delta in (1e-5, 0.5, 1e-3, 0.0):
        t = delta_threshold(delta)
        assert float(t) <= delta < float(np.nextafter(t, np.float32(np.inf)))


def test_one_compile_for_the_whole_job():
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logging.getLogger("jax").addHandler(handler)
    try:
        with jax.log_compiles():
            engine = Engine(settings(3, 9, (0, 1), max_steps=2000), pairs(9), CPU)
            engine.run(target_chunk_seconds=0.001)
            engine.run(target_chunk_seconds=1.0)
    finally:
        logging.getLogger("jax").removeHandler(handler)
    compiles = [m for m in records if m.startswith("Compiling")]
    assert len([m for m in compiles if "_chunk" in m]) == 1, compiles
    assert not [m for m in compiles if "_chunk" not in m and "draw" not in m], compiles


@pytest.mark.gpu
@pytest.mark.parametrize("precision", ["float32", "default"])
def test_gpu_engine_matches_the_cpu_engine(precision):
    s = settings(4, 6, (0, 1), max_steps=5000, precision=precision)
    gpu = run_engine(s, device=jax.devices("gpu")[0])
    for a, b in zip(gpu, run_engine(s), strict=True):
        assert (a.solved, a.solved_at_step) == (b.solved, b.solved_at_step)
