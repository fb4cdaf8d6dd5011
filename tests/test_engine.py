import logging

import jax
import numpy as np
import pytest

from free_embedding.engine import Engine, delta_threshold, eval_slots, slot_steps
from free_embedding.job import seed_masks
from free_embedding.model import init_params
from free_embedding.qrels import combinations_qrels, relevance_mask
from free_embedding.settings import RunSettings
from free_embedding.stepwise import run_stepwise

CPU = jax.devices("cpu")[0]


def run_engine(settings, mask=None):
    if mask is None:
        mask = seed_masks(settings, combinations_qrels(settings.n, settings.k))
    outcomes, _ = Engine(settings, mask, CPU).run()
    return outcomes


def assert_equivalent(a, b):
    """Same protocol outcome; early stops may drift by float rounding order."""
    assert a.seed == b.seed
    assert (a.solved, a.stop_reason, a.solved_at_step) == (
        b.solved,
        b.stop_reason,
        b.solved_at_step,
    )
    assert a.max_accuracy == b.max_accuracy
    if a.stop_reason == "early_stopped":
        assert abs(a.steps_run - b.steps_run) <= max(50, a.steps_run // 100)
    else:
        assert a.steps_run == b.steps_run
        assert a.curve_steps == b.curve_steps
        assert a.curve_accuracies == b.curve_accuracies
    np.testing.assert_allclose(a.best_loss, b.best_loss, rtol=1e-4)


@pytest.mark.parametrize(
    "d,n,max_steps,reason",
    [
        (4, 6, 5000, "solved"),
        (2, 12, 1500, "max_steps"),
        (3, 8, 20000, "early_stopped"),
    ],
)
def test_fused_engine_matches_the_plain_per_step_loop(d, n, max_steps, reason):
    settings = RunSettings(d=d, n=n, seeds=(0, 1), max_steps=max_steps)
    mask = relevance_mask(combinations_qrels(n, 2).relevant, n)
    fused = run_engine(settings, mask)
    for outcome in fused:
        assert outcome.stop_reason == reason
        assert_equivalent(outcome, run_stepwise(settings, outcome.seed, mask))


def test_small_problem_is_solved():
    for o in run_engine(RunSettings(d=4, n=6, seeds=(0, 1, 2), max_steps=5000)):
        assert o.solved and o.stop_reason == "solved"
        assert o.max_accuracy == o.final_accuracy == 1.0
        assert o.solved_at_step == o.curve_steps[-1] == o.steps_run - 1
        assert o.num_queries == 15 and o.num_relevant == 30


def test_two_dimensions_cannot_hold_every_pair_of_twelve():
    for o in run_engine(RunSettings(d=2, n=12, seeds=(0, 1), max_steps=20000)):
        assert not o.solved and o.solved_at_step is None
        assert o.max_accuracy < 0.6
        assert o.stop_reason in ("early_stopped", "max_steps")


def test_fixed_seed_is_deterministic_and_seeds_differ():
    settings = RunSettings(d=3, n=8, seeds=(5,), max_steps=3000)
    assert run_engine(settings) == run_engine(settings)
    q0, d0 = init_params(0, 28, 8, 3)
    q1, d1 = init_params(1, 28, 8, 3)
    assert not np.allclose(q0, q1) and not np.allclose(d0, d1)
    np.testing.assert_allclose(np.linalg.norm(q0, axis=1), 1.0, rtol=1e-6)


def test_batched_seeds_match_each_seed_alone():
    settings = RunSettings(
        d=3, n=8, seeds=(0, 1, 2), max_steps=20000, seed_batching="vmap"
    )
    for outcome in run_engine(settings):
        alone = run_engine(
            RunSettings(d=3, n=8, seeds=(outcome.seed,), max_steps=20000)
        )
        assert_equivalent(outcome, alone[0])


def test_sequential_seeds_equal_each_seed_alone_exactly():
    settings = RunSettings(
        d=3, n=8, seeds=(0, 1, 2), max_steps=20000, seed_batching="sequential"
    )
    for outcome in run_engine(settings):
        alone = RunSettings(
            d=3, n=8, seeds=(outcome.seed,), max_steps=20000, seed_batching="sequential"
        )
        assert run_engine(alone) == [outcome]


@pytest.mark.parametrize("batching", ["vmap", "sequential"])
def test_capped_queries_match_the_plain_loop_per_seed(batching):
    settings = RunSettings(
        d=3, n=10, seeds=(0, 1), max_queries=20, max_steps=4000, seed_batching=batching
    )
    masks = seed_masks(settings, combinations_qrels(10, 2))
    for outcome, mask in zip(run_engine(settings, masks), masks, strict=True):
        assert outcome.num_queries == 20
        assert_equivalent(outcome, run_stepwise(settings, outcome.seed, mask))


def test_evaluations_follow_the_published_schedule():
    settings = RunSettings(d=2, n=12, seeds=(0,), max_steps=123, eval_every=50)
    (o,) = run_engine(settings)
    assert o.curve_steps == (0, 50, 100, 122)
    assert eval_slots(123, 50) == 4 and slot_steps(123, 50).tolist() == [
        0,
        50,
        100,
        122,
    ]
    assert eval_slots(101, 50) == 3 and slot_steps(101, 50).tolist() == [0, 50, 100]
    assert o.steps_run == 123 and o.stop_reason == "max_steps"


def test_patience_stops_before_evaluating():
    # Step 0 always improves on best=inf; step 1 cannot improve by 10, so the
    # run stops at step 1, after its update and before any evaluation there.
    settings = RunSettings(
        d=2, n=12, seeds=(0,), patience=1, min_delta=10.0, eval_every=1
    )
    (o,) = run_engine(settings)
    assert o.stop_reason == "early_stopped" and o.steps_run == 2
    assert o.curve_steps == (0,) and o.best_loss == o.curve_losses[0] != o.last_loss
    mask = relevance_mask(combinations_qrels(12, 2).relevant, 12)
    assert_equivalent(o, run_stepwise(settings, 0, mask))


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
            settings = RunSettings(d=3, n=8, seeds=(0, 1), max_steps=2000)
            engine = Engine(
                settings, relevance_mask(combinations_qrels(8, 2).relevant, 8), CPU
            )
            engine.run(target_chunk_seconds=0.001)
            engine.run(target_chunk_seconds=1.0)
    finally:
        logging.getLogger("jax").removeHandler(handler)
    compiles = [m for m in records if m.startswith("Compiling")]
    assert len([m for m in compiles if "_run_chunk" in m]) == 1
    assert len(compiles) == 2  # the loop and the initialisation


@pytest.mark.gpu
@pytest.mark.parametrize("precision", ["float32", "tf32"])
def test_gpu_engine_matches_the_cpu_engine(precision):
    settings = RunSettings(d=4, n=6, seeds=(0, 1), max_steps=5000, precision=precision)
    mask = relevance_mask(combinations_qrels(6, 2).relevant, 6)
    gpu, _ = Engine(settings, mask, jax.devices("gpu")[0]).run()
    for a, b in zip(gpu, run_engine(settings, mask), strict=True):
        assert (a.solved, a.solved_at_step) == (b.solved, b.solved_at_step)
