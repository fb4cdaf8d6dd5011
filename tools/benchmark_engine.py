#!/usr/bin/env python3
"""Engine speed, every comparison measured side by side in one run.

Table 1, steps per second of the published protocol (one seed, compile
excluded, early stopping off), all columns under the same --precision:
  engine    the fused engine;
  stepwise  the published-style loop: jitted step, loss to the host every
            step, top-k accuracy on the host every eval_every steps;
  floor     a bare loss-and-gradient evaluation of the same shape, repeated
            inside one compiled loop (no optimiser, no evaluation, no host);
  bound     floor / stepwise: what an engine would gain if its steps cost no
            more than the floor, i.e. the most any engine can gain;
  3 seeds   the engine on seeds 0, 1, 2 as a job runs them (in turn on a CPU,
            batched with vmap on a GPU), in seed-steps per second.
Table 2, each protocol's step against the published step at the same shape.
Table 3, compile seconds of a job's program against a minimal fused loop of
the same step (a fori_loop over it), each compiled fresh in this process.

    python tools/benchmark_engine.py [--device cpu|gpu] \\
        [--precision default] [--large] [--json out.json]

--large adds n = 300..700 (the shapes that matter on a GPU; on by default
there, slow on a CPU).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

import jax

import _library  # noqa: F401 (workflow/scripts on sys.path)
from embedding_limits.config.protocol import PRECISIONS, Protocol
from embedding_limits.config.run_settings import RunSettings
from embedding_limits.free_embedding.devices import environment, resolve_device
from embedding_limits.free_embedding.engine import Engine
from embedding_limits.free_embedding.initialisation import draw_params
from embedding_limits.free_embedding.initialisation import (
    normalized as normalized_params,
)
from embedding_limits.free_embedding.job import seed_relevance
from embedding_limits.free_embedding.losses import LOSSES
from embedding_limits.free_embedding.model import make_step
from embedding_limits.free_embedding.precision import make_matmul
from embedding_limits.free_embedding.schedules import make_optimizer
from embedding_limits.free_embedding.stepwise import jitted_step, run_stepwise

SHAPES = [(4, 10), (6, 20), (8, 30), (12, 60), (16, 90), (20, 120)]
LARGE = [(32, 300), (48, 500), (64, 700)]
PROTOCOLS = {
    "published": {},
    "infonce, learned t": {"learn_temperature": True},
    "sigmoid, learned t, cosine": {"loss": "sigmoid", "learn_temperature": True,
                                   "schedule": "warmup_cosine", "success": "margin"},
    "hinge, centroid queries": {"loss": "hinge", "queries": "centroid",
                                "normalize": False},
}  # fmt: skip
COMPILE_SHAPES = [(4, 10), (8, 29), (12, 60)]


def table(rows, columns) -> None:
    """Print rows as they come: (key, title, width, format) per column."""
    print(" ".join(f"{title:>{width}}" for _, title, width, _ in columns))
    for row in rows:
        cells = [f"{fmt.format(row[key]):>{width}}" for key, _, width, fmt in columns]
        print(" ".join(cells), flush=True)
        yield row


def settings_for(d, n, steps, precision, seeds=(0,), **protocol) -> RunSettings:
    p = Protocol(max_steps=steps, early_stopping=False, precision=precision, **protocol)
    return RunSettings(d=d, n=n, seeds=seeds, protocol=p)


def time_engine(settings, device) -> float:
    """Seed-steps per second, compile excluded."""
    outcomes, seconds = Engine(settings, seed_relevance(settings), device).run()
    return sum(o.steps_run for o in outcomes) / seconds


def time_stepwise(settings, device) -> float:
    """The loop's steps per second; its step is compiled off the clock (and
    cached by protocol, so the timed run reuses it)."""
    relevance = seed_relevance(settings)
    with jax.default_device(device):
        optimizer, step = jitted_step(settings.protocol, device.platform)
        raw = draw_params(0, relevance.mask_QxN.shape[0], settings.n, settings.d,
                          settings.protocol)  # fmt: skip
        jax.block_until_ready(step(raw, optimizer.init(raw), relevance))
        started = time.perf_counter()
        outcome = run_stepwise(settings, 0, relevance)
    return outcome.steps_run / (time.perf_counter() - started)


def time_floor(settings, device, steps: int) -> float:
    """Loss-and-gradient evaluations per second inside one compiled loop, at
    the protocol's precision. Each feeds the next (p + 0 * g) so none is
    hoisted, and the losses are summed into the carry: a discarded loss would
    be removed by XLA as dead code, leaving a floor that skips a Q x N pass
    that every real step (and its early stopping) needs."""
    p = settings.protocol
    matmul = make_matmul(p.precision, device.platform)
    loss = LOSSES[p.loss]
    relevance = seed_relevance(settings)

    def loss_of(params, relevance):
        scores = matmul(params.queries, params.docs)
        return loss(scores, relevance, p.temperature, p)

    loss_and_grad = jax.value_and_grad(loss_of)

    def repeat(params, relevance):
        def body(_, carry):
            params, total = carry
            value, grads = loss_and_grad(params, relevance)
            params = jax.tree.map(lambda x, g: x + 0.0 * g, params, grads)
            return params, total + value

        return jax.lax.fori_loop(0, steps, body, (params, 0.0))

    raw = draw_params(0, relevance.mask_QxN.shape[0], settings.n, settings.d, p)
    params = jax.device_put(normalized_params(raw), device)
    relevance = jax.device_put(relevance, device)
    compiled = jax.jit(repeat).lower(params, relevance).compile()
    jax.block_until_ready(compiled(params, relevance))
    started = time.perf_counter()
    jax.block_until_ready(compiled(params, relevance))
    return steps / (time.perf_counter() - started)


def speed_rows(args, device):
    shapes = SHAPES + (LARGE if args.large else [])
    for d, n in shapes:
        fused = settings_for(d, n, args.engine_steps, args.precision)
        plain = settings_for(d, n, args.stepwise_steps, args.precision)
        engine = time_engine(fused, device)
        three = time_engine(dataclasses.replace(fused, seeds=(0, 1, 2)), device)
        stepwise = time_stepwise(plain, device)
        floor = time_floor(fused, device, min(args.engine_steps, 4000))
        yield dict(d=d, n=n, queries=n * (n - 1) // 2, engine=engine, stepwise=stepwise,
                   ratio=engine / stepwise, engine_3_seeds=three, floor=floor,
                   bound=floor / stepwise, time_over_floor=floor / engine)  # fmt: skip


def protocol_rows(args, device):
    for d, n in [(8, 30), (16, 90)]:
        rates = {name: time_engine(settings_for(d, n, args.engine_steps, args.precision,
                                                **overrides), device)
                 for name, overrides in PROTOCOLS.items()}  # fmt: skip
        for name, rate in rates.items():
            yield dict(d=d, n=n, protocol=name, rate=rate,
                       cost=rates["published"] / rate)  # fmt: skip


def compile_rows(args, device):
    """A job's program against a fori_loop over the same step, both fresh."""
    for d, n in COMPILE_SHAPES:
        s = settings_for(d, n, 100_000, args.precision)
        s = dataclasses.replace(s, protocol=Protocol(precision=args.precision))
        relevance = jax.device_put(seed_relevance(s), device)
        optimizer = make_optimizer(s.protocol)
        step = make_step(s.protocol, optimizer, device.platform)
        raw = draw_params(42, relevance.mask_QxN.shape[0], n, d, s.protocol)
        params = normalized_params(raw)

        def loop(params, opt_state, relevance, steps, step=step):
            def body(_, carry):
                return step(carry[0], carry[1], relevance)[:3]  # not the count

            return jax.lax.fori_loop(0, steps, body, (params, opt_state, 0.0))

        started = time.perf_counter()
        jax.jit(loop).lower(params, optimizer.init(params), relevance, 5).compile()
        minimal = time.perf_counter() - started
        engine = Engine(s, seed_relevance(s), device).compile_seconds
        yield dict(d=d, n=n, engine=engine, minimal=minimal, ratio=engine / minimal)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    p.add_argument("--precision", default="default", choices=PRECISIONS)
    p.add_argument("--engine-steps", type=int, default=20_000)
    p.add_argument("--stepwise-steps", type=int, default=2_000)
    p.add_argument("--large", action="store_true", help="add n = 300..700")
    p.add_argument("--json", help="also write the figures here")
    args = p.parse_args(argv)
    device = resolve_device(args.device)
    args.large = args.large or device.platform == "gpu"
    print(f"device: {device.device_kind} ({device.platform}), jax {jax.__version__}, "
          f"precision {args.precision}\n")  # fmt: skip
    print("Table 1: steps/s, published protocol")
    speed = list(table(speed_rows(args, device), [
        ("d", "d", 3, "{}"), ("n", "n", 4, "{}"), ("queries", "queries", 7, "{}"),
        ("engine", "engine/s", 9, "{:,.0f}"), ("stepwise", "stepwise/s", 10, "{:,.0f}"),
        ("ratio", "ratio", 6, "{:.1f}x"),
        ("engine_3_seeds", "3 seeds/s", 10, "{:,.0f}"),
        ("floor", "floor/s", 9, "{:,.0f}"), ("bound", "bound", 6, "{:.1f}x"),
        ("time_over_floor", "time/floor", 10, "{:.2f}x"),
    ]))  # fmt: skip
    print("\nTable 2: a step of each protocol against the published step")
    protocols = list(table(protocol_rows(args, device), [
        ("d", "d", 3, "{}"), ("n", "n", 4, "{}"), ("protocol", "protocol", 28, "{}"),
        ("rate", "steps/s", 9, "{:,.0f}"), ("cost", "cost", 6, "{:.2f}x"),
    ]))  # fmt: skip
    print("\nTable 3: compile seconds, a job's program against a minimal fused loop")
    compiles = list(table(compile_rows(args, device), [
        ("d", "d", 3, "{}"), ("n", "n", 4, "{}"), ("engine", "engine s", 9, "{:.2f}"),
        ("minimal", "minimal s", 9, "{:.2f}"), ("ratio", "ratio", 6, "{:.2f}x"),
    ]))  # fmt: skip
    if args.json:
        env = environment(device, args.precision, "see rows", False)
        with open(args.json, "w") as handle:
            json.dump({"environment": env, "speed": speed, "protocols": protocols,
                       "compile": compiles}, handle, indent=1)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
