#!/usr/bin/env python3
"""Steps per second: fused engine vs plain per-step loop vs compute floor.

For each shape, in one process and one after the other, it times:
  engine    the fused engine (one seed), compile excluded;
  stepwise  the published-style loop: jitted step, loss to the host every
            step, top-k accuracy on the host every eval_every steps;
  floor     a bare loss-and-gradient evaluation of the same shape, repeated
            inside one compiled loop (no optimiser, no evaluation, no host);
  bound     floor / stepwise: the ratio an engine would reach if its steps
            cost no more than the floor, i.e. the most any engine can gain;
  engine x3 the engine on seeds 0, 1, 2 as a job runs them (in turn on a
            CPU, batched with vmap on a GPU), in seed-steps per second.
Early stopping is disabled (patience > steps) so every loop runs its full
number of steps unless a seed solves its problem first (then fewer; marked).

    python workflow/scripts/benchmark_engine.py [--device cpu] [--json out.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

import jax

from free_embedding.devices import environment, resolve_device
from free_embedding.engine import Engine
from free_embedding.model import infonce_loss, init_params, relevance_weights
from free_embedding.qrels import combinations_qrels, relevance_mask
from free_embedding.settings import RunSettings
from free_embedding.stepwise import run_stepwise

SHAPES = [(4, 10), (6, 20), (8, 30), (12, 60), (16, 90), (20, 120)]
# (row key, width, format): rates are steps (or seed-steps) per second
ROW_FORMAT = [
    ("d", 3, "{}"), ("n", 4, "{}"), ("queries", 7, "{}"),
    ("engine", 9, "{:,.0f}"), ("stepwise", 9, "{:,.0f}"), ("ratio", 6, "{:.1f}x"),
    ("engine_3_seeds", 10, "{:,.0f}"), ("ratio_3_seeds", 8, "{:.1f}x"),
    ("floor", 8, "{:,.0f}"), ("bound", 6, "{:.1f}x"),
    ("engine_time_over_floor", 12, "{:.2f}x"),
]  # fmt: skip
COLUMNS = [
    (title, width, None)
    for title, (_, width, _) in zip(
        [
            "d",
            "n",
            "queries",
            "engine/s",
            "stepwise/s",
            "ratio",
            "3 seeds/s",
            "ratio x3",
            "floor/s",
            "bound",
            "time/floor",
        ],
        ROW_FORMAT,
        strict=True,
    )  # fmt: skip
]


def time_engine(settings, mask, device) -> tuple[float, int]:
    """Seed-steps per second (compile excluded) and the most steps run."""
    outcomes, seconds = Engine(settings, mask, device).run()
    return sum(o.steps_run for o in outcomes) / seconds, max(
        o.steps_run for o in outcomes
    )


def time_stepwise(settings, mask, device) -> tuple[float, int]:
    with jax.default_device(device):
        run_stepwise(
            dataclasses.replace(settings, max_steps=2), 0, mask
        )  # compile outside the clock
        started = time.perf_counter()
        outcome = run_stepwise(settings, 0, mask)
    return outcome.steps_run / (time.perf_counter() - started), outcome.steps_run


def time_floor(settings, mask, device, steps: int) -> float:
    """Loss-and-gradient evaluations per second inside one compiled loop.

    The weights are an argument, as in the engine (no constant folding). Each
    evaluation feeds the next (``p + 0 * g``) so none is hoisted away, and the
    losses are summed into the carry: a discarded loss would be removed by XLA
    as dead code, leaving a gradient-only "floor" that skips a pass over Q x N
    which every real step (and its early stopping) needs.
    """
    loss_and_grad = jax.value_and_grad(infonce_loss)
    weights, num_pos = relevance_weights(mask)

    def repeat(params, weights):
        def body(_, carry):
            params, total = carry
            loss, grads = loss_and_grad(params, weights, settings.temperature, num_pos)
            params = jax.tree.map(lambda p, g: p + 0.0 * g, params, grads)
            return params, total + loss

        return jax.lax.fori_loop(0, steps, body, (params, 0.0))

    with jax.default_device(device):
        params = init_params(0, mask.shape[0], mask.shape[1], settings.d)
        weights = jax.device_put(weights, device)
        compiled = jax.jit(repeat).lower(params, weights).compile()
        jax.block_until_ready(compiled(params, weights))
        started = time.perf_counter()
        jax.block_until_ready(compiled(params, weights))
    return steps / (time.perf_counter() - started)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    p.add_argument("--engine-steps", type=int, default=20_000)
    p.add_argument("--stepwise-steps", type=int, default=2_000)
    p.add_argument("--json", help="also write the figures here")
    args = p.parse_args(argv)
    device = resolve_device(args.device)
    print(f"device: {device.device_kind} ({device.platform}), jax {jax.__version__}")
    print(" ".join(f"{title:>{width}}" for title, width, _ in COLUMNS), flush=True)
    rows = []
    for d, n in SHAPES:
        mask = relevance_mask(combinations_qrels(n, 2).relevant, n)
        fused = RunSettings(
            d=d, n=n, seeds=(0,), max_steps=args.engine_steps,
            patience=args.engine_steps + 1, device=args.device,
        )  # fmt: skip
        plain = dataclasses.replace(
            fused, max_steps=args.stepwise_steps, patience=args.stepwise_steps + 1
        )
        engine_rate, engine_steps = time_engine(fused, mask, device)
        seeds3_rate, _ = time_engine(
            dataclasses.replace(fused, seeds=(0, 1, 2)), mask, device
        )
        step_rate, _ = time_stepwise(plain, mask, device)
        floor_rate = time_floor(fused, mask, device, min(args.engine_steps, 4000))
        row = dict(
            d=d, n=n, queries=int(mask.shape[0]), engine=engine_rate,
            stepwise=step_rate, ratio=engine_rate / step_rate,
            engine_3_seeds=seeds3_rate,
            ratio_3_seeds=seeds3_rate / step_rate, floor=floor_rate,
            bound=floor_rate / step_rate,
            engine_time_over_floor=floor_rate / engine_rate,
            engine_solved_early=engine_steps < fused.max_steps,
        )  # fmt: skip
        rows.append(row)
        line = " ".join(f"{fmt.format(row[key]):>{w}}" for key, w, fmt in ROW_FORMAT)
        print(
            line + (" (solved early)" if row["engine_solved_early"] else ""), flush=True
        )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(
                {
                    "environment": environment(device, "float32", "see rows"),
                    "rows": rows,
                },
                handle,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
