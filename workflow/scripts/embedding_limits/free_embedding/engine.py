"""The fused engine: a seed's whole run inside one compiled JAX program.

One program per job advances a seed by a chunk of steps. It repeats a block:
plain steps up to the next evaluation step (or an early stop), then one
evaluation that records the curves, decides success and holds the final
metrics of a seed that stopped. The host reads a few scalars between chunks,
to print progress. On a CPU the seeds run in turn through that program; on a
GPU it is ``vmap``ped over them, and a seed that stops is frozen by
``while_loop``'s own batching rule, so every seed records what it would alone.

The initial draws are the published ones (``init.draw_params``) and are
normalised inside the program at step 0, so no separate program is compiled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..config.run_settings import RunSettings
from ..store.outcome import SeedOutcome, Stop, build_outcome, meets
from .initialisation import draw_params
from .initialisation import normalized as normalized_params
from .losses import Relevance
from .model import (
    Metrics,
    Params,
    counts_violations,
    evaluate,
    finite,
    loss_every_step,
    loss_reported,
    make_loss_value,
    make_step,
)
from .schedules import make_optimizer

# A seed's status in the carry: an int32, whose values outcome.Stop names.
RUNNING, SOLVED, DIVERGED = int(Stop.RUNNING), int(Stop.SOLVED), int(Stop.DIVERGED)
EARLY_STOPPED, MAX_STEPS = int(Stop.EARLY_STOPPED), int(Stop.MAX_STEPS)
MAX_CURVE_POINTS = 2048  # evaluations kept in the curves (every one up to this)


class SeedState(NamedTuple):
    step: jax.Array  # steps taken so far: the index of the next step
    params: Params
    opt_state: object
    best_loss: jax.Array
    bad_steps: jax.Array
    status: jax.Array  # RUNNING, or why the seed stopped
    last_loss: jax.Array  # the loss of the last step taken
    evaluations: jax.Array  # periodic evaluations so far
    best_hits: jax.Array  # most hits at a periodic evaluation (-1: none yet)
    best_violations: jax.Array  # fewest violations at a step (counted ones only)
    last_eval_loss: jax.Array  # the loss at the last periodic evaluation
    # (slots + 1, 3): loss, hits, margin of each recorded evaluation, NaN where
    # none; evaluations that are not recorded go to the scratch row at the end
    curves: jax.Array
    final: Metrics  # of the last evaluation: the one at the step a seed stopped


class Progress(NamedTuple):
    step: int
    seconds: float
    active: int
    solved: int
    loss: float  # lowest last loss over the group's seeds
    accuracy: float  # best evaluated accuracy so far


def delta_threshold(min_delta: float) -> np.float32:
    """Largest float32 <= min_delta.

    With it, ``best - loss > threshold`` in float32 decides exactly like the
    published ``loss < best - min_delta`` in float64.
    """
    value = np.float32(min_delta)
    if float(value) > min_delta:
        value = np.nextafter(value, np.float32(-np.inf))
    return value


def evaluation_count(max_steps: int, eval_every: int) -> int:
    """Evaluations at i % eval_every == 0, plus the last step."""
    return (max_steps - 2 + eval_every) // eval_every + 1


def resolve_seed_batching(choice: str, device: jax.Device) -> str:
    if choice != "auto":
        return choice
    return "sequential" if device.platform == "cpu" else "vmap"


class Engine:
    """Compiles one program for a job, then runs every seed through it."""

    def __init__(self, settings: RunSettings, relevance: Relevance, device):
        """``relevance`` holds (Q, N) / (Q, R) arrays shared by all seeds, or
        (S, Q, N) / (S, Q, R) ones, a set per seed (``max_queries``)."""
        self.settings = s = settings
        self.protocol = p = s.protocol
        self.device = device
        self.seed_batching = resolve_seed_batching(s.seed_batching, device)
        self.group = len(s.seeds) if self.seed_batching == "vmap" else 1
        self.per_seed = relevance.mask_QxN.ndim == 3
        self.relevance = relevance
        self.num_queries, self.num_docs = relevance.mask_QxN.shape[-2:]
        first_mask = relevance.mask_QxN[0] if self.per_seed else relevance.mask_QxN
        self.num_relevant = int(np.count_nonzero(first_mask))
        # MED's count starts from every (query, relevant, irrelevant) triple
        per_query = np.count_nonzero(first_mask, axis=-1)
        self.num_triples = int(np.sum(per_query * (self.num_docs - per_query)))
        self.optimizer = make_optimizer(p)
        evaluations = evaluation_count(p.max_steps, p.eval_every)
        self.stride = -(-evaluations // MAX_CURVE_POINTS)
        self.slots = -(-evaluations // self.stride)
        started = time.perf_counter()
        program = self._chunk
        if self.seed_batching == "vmap":
            program = jax.vmap(program, in_axes=(0, 0 if self.per_seed else None, None))
        donate = (0,) if device.platform != "cpu" else ()
        # the first group's state serves to compile, then to run (drawn once)
        self._first_state: SeedState | None = self._initial_state(0)
        self._program = (
            jax.jit(program, donate_argnums=donate)
            .lower(self._first_state, self._relevance(0), np.int32(0))
            .compile()
        )
        self.compile_seconds = time.perf_counter() - started
        self.seed_seconds: list[float] = []  # by run(): each seed's own run time

    # -- host side: states and relevance per group of seeds ------------------
    def _seed_state(self, seed: int) -> SeedState:
        s, p = self.settings, self.protocol
        raw = draw_params(seed, self.num_queries, self.num_docs, s.d, p)
        shapes = jax.eval_shape(self.optimizer.init, raw)
        opt_state = jax.tree.map(lambda x: np.zeros(x.shape, x.dtype), shapes)
        f32, i32, slots = np.float32, np.int32, self.slots
        return SeedState(
            step=i32(0), params=raw, opt_state=opt_state, best_loss=f32(np.inf),
            bad_steps=i32(0), status=i32(RUNNING), last_loss=f32(np.nan),
            evaluations=i32(0), best_hits=i32(-1),
            best_violations=i32(self.num_triples if counts_violations(p) else -1),
            last_eval_loss=f32(np.nan), curves=np.full((slots + 1, 3), np.nan, f32),
            final=Metrics(hits=i32(-1), margin=f32(np.nan), violations=i32(-1)),
        )  # fmt: skip

    def _initial_state(self, first: int) -> SeedState:
        seeds = self.settings.seeds[first : first + self.group]
        states = [self._seed_state(seed) for seed in seeds]
        if self.seed_batching != "vmap":
            return states[0]
        return jax.tree.map(lambda *leaves: np.stack(leaves), *states)

    def _take_initial_state(self, first: int) -> SeedState:
        """The state drawn to compile is handed over once, not kept: a large
        job's parameters are not held twice while it runs."""
        if first == 0 and self._first_state is not None:
            state, self._first_state = self._first_state, None
            return state
        return self._initial_state(first)

    def _relevance(self, first: int) -> Relevance:
        if not self.per_seed:
            return self.relevance
        if self.seed_batching == "vmap":
            return Relevance(*(x[first : first + self.group] for x in self.relevance))
        return Relevance(*(x[first] for x in self.relevance))

    # -- the compiled program (one seed) -------------------------------------
    def _chunk(self, state: SeedState, relevance: Relevance, chunk_end) -> SeedState:
        """Advance a running seed by blocks until ``chunk_end`` (or it stops)."""
        s, p = self.settings, self.protocol
        step = make_step(p, self.optimizer, self.device.platform)
        every_step = loss_every_step(p)
        loss_value = make_loss_value(p, self.device.platform)
        threshold = delta_threshold(p.min_delta)
        i32 = np.int32  # the step counters' type, also where JAX runs with x64
        last, every, target = i32(p.max_steps - 1), i32(p.eval_every), self.num_relevant
        stride, slots = i32(self.stride), i32(self.slots)

        def left_out_loss(st: SeedState, count, bad_steps, eval_at):
            """For a step that left its loss out (loss_every_step): the loss
            of the parameters it started from where it is reported
            (loss_reported), NaN elsewhere; and whether the run diverged."""
            broken = ~finite(st.params)
            reported = loss_reported(p, st.step == eval_at, broken, bad_steps, count)
            loss = lax.cond(reported, lambda: loss_value(st.params, relevance),
                            lambda: jnp.float32(np.nan))  # fmt: skip
            return loss, broken | (reported & ~jnp.isfinite(loss))

        def take_step(st: SeedState, eval_at) -> SeedState:
            params, opt_state, loss, count = step(st.params, st.opt_state, relevance)
            lower = (st.best_loss - loss) > threshold if every_step else False
            best_violations = st.best_violations
            if count is None:
                improved = lower
            else:  # MED's: a new minimum of the count resets the patience
                improved = fewer = count < st.best_violations
                best_violations = jnp.where(fewer, count, st.best_violations)
                if p.patience_metric == "loss":
                    improved = lower
            bad_steps = jnp.where(improved, 0, st.bad_steps + 1)
            if every_step:
                diverged = ~jnp.isfinite(loss)
            else:
                loss, diverged = left_out_loss(st, count, bad_steps, eval_at)
            status = jnp.where(diverged, DIVERGED, RUNNING)
            if p.success == "separation" and p.stop_at_success:
                # checked on the parameters this step started from, which
                # are kept: they are the witness, its update is dropped
                found = (count == 0) & (status == RUNNING)
                status = jnp.where(found, SOLVED, status)
                params, opt_state = jax.tree.map(
                    lambda old, new: jnp.where(found, old, new),
                    (st.params, st.opt_state), (params, opt_state),
                )  # fmt: skip
            if p.early_stopping:
                patience_out = (bad_steps >= p.patience) & (status == RUNNING)
                status = jnp.where(patience_out, EARLY_STOPPED, status)
            return st._replace(
                step=st.step + 1, params=params, opt_state=opt_state,
                best_loss=jnp.where(lower, loss, st.best_loss),
                best_violations=best_violations,
                bad_steps=bad_steps, status=status, last_loss=loss,
            )  # fmt: skip

        def block(st: SeedState) -> SeedState:
            # (non-negative values: lax.div and lax.rem need no sign handling)
            eval_at = jnp.minimum(lax.div(st.step + (every - 1), every) * every, last)
            st = jax.lax.while_loop(
                lambda t: (t.status == RUNNING) & (t.step <= eval_at),
                lambda t: take_step(t, eval_at), st,
            )  # fmt: skip
            metrics = evaluate(st.params, relevance, s.k, p)
            reached = st.status == RUNNING  # took step eval_at, did not stop
            success = meets(p.success, metrics, target)
            # a seed that reached the evaluation is RUNNING: it solved it, ran
            # out of steps, or runs on; one that stopped earlier keeps its
            # reason. Without stop_at_success only the last evaluation judges.
            at_last = eval_at == last
            if p.stop_at_success:
                verdict = jnp.where(success, SOLVED, jnp.where(at_last, MAX_STEPS,
                                                                 RUNNING))  # fmt: skip
            else:
                verdict = jnp.where(at_last, jnp.where(success, SOLVED, MAX_STEPS),
                                    RUNNING)  # fmt: skip
            status = jnp.where(reached, verdict, st.status)
            record = reached & (lax.rem(st.evaluations, stride) == 0)
            row = jnp.where(record, lax.div(st.evaluations, stride), slots)
            point = jnp.stack(
                [st.last_loss, metrics.hits.astype(jnp.float32), metrics.margin]
            )
            return st._replace(
                status=status,
                evaluations=st.evaluations + reached,
                best_hits=jnp.where(reached, jnp.maximum(st.best_hits, metrics.hits),
                                    st.best_hits),
                last_eval_loss=jnp.where(reached, st.last_loss, st.last_eval_loss),
                curves=jax.lax.dynamic_update_slice(st.curves, point[None], (row, 0)),
                final=metrics,
            )  # fmt: skip

        # The published draws are normalised once, here, at step 0 (a
        # protocol with init gaussian keeps them as drawn).
        if p.init == "unit":
            at_start = state.step == 0
            params = jax.tree.map(
                lambda fresh, kept: jnp.where(at_start, fresh, kept),
                normalized_params(state.params), state.params,
            )  # fmt: skip
            state = state._replace(params=params)
        return jax.lax.while_loop(
            lambda t: (t.status == RUNNING) & (t.step < chunk_end), block, state
        )

    # -- running -------------------------------------------------------------
    def run(
        self,
        on_progress: Callable[[Progress], None] | None = None,
        target_chunk_seconds: float = 0.5,
    ) -> tuple[list[SeedOutcome], float]:
        """Run every seed to its end; returns the outcomes and run seconds.

        ``seed_seconds`` then holds each seed's own run time, compilation
        excluded (``compile_seconds``): on a CPU the seeds run one after
        another and each is timed alone; seeds batched with ``vmap`` run
        together, and each is given the batch's time over its seeds.
        """
        s, p = self.settings, self.protocol
        outcomes: list[SeedOutcome] = []
        self.seed_seconds = []
        started = time.perf_counter()
        chunk = 4 * p.eval_every
        for first in range(0, len(s.seeds), self.group):
            group_started = time.perf_counter()
            state = jax.device_put(self._take_initial_state(first), self.device)
            relevance = jax.device_put(self._relevance(first), self.device)
            position = 0
            while True:
                tick = time.perf_counter()
                end = int(min(position + chunk, p.max_steps))
                state = self._program(state, relevance, np.int32(end))
                summary = jax.device_get(
                    (state.step, state.status, state.last_loss, state.best_hits)
                )
                elapsed = time.perf_counter() - tick
                position = int(np.max(summary[0]))
                running = np.atleast_1d(summary[1]) == RUNNING
                if on_progress is not None:
                    waiting = len(s.seeds) - first - self.group
                    done = sum(o.solved for o in outcomes)
                    on_progress(self._progress(summary, started, waiting, done))
                if not running.any():
                    break
                rate = chunk / max(elapsed, 1e-6)
                chunk = int(np.clip(rate * target_chunk_seconds, p.eval_every, 1e6))
            seeds = s.seeds[first : first + self.group]
            outcomes += self._outcomes(jax.device_get(state), seeds)
            group_seconds = time.perf_counter() - group_started
            self.seed_seconds += [group_seconds / len(seeds)] * len(seeds)
        return outcomes, time.perf_counter() - started

    def _progress(self, summary, started: float, waiting: int, solved: int) -> Progress:
        step, status, last_loss, best_hits = (np.atleast_1d(x) for x in summary)
        running = status == RUNNING
        losses = last_loss[np.isfinite(last_loss)]
        return Progress(
            step=int(step.max()),
            seconds=time.perf_counter() - started,
            active=int(running.sum()) + waiting,
            solved=solved + int((status == SOLVED).sum()),
            loss=float(losses.min()) if losses.size else float("nan"),
            accuracy=max(int(best_hits.max()), 0) / self.num_relevant,
        )

    def _outcomes(self, state: SeedState, seeds) -> list[SeedOutcome]:
        batched = self.seed_batching == "vmap"
        p = self.protocol
        steps = np.arange(self.slots) * self.stride * p.eval_every
        steps = np.minimum(steps, p.max_steps - 1)  # the last evaluation's step
        outcomes = []
        for b, seed in enumerate(seeds):
            st = jax.tree.map(lambda x, b=b: x[b], state) if batched else state
            curves = st.curves[: self.slots]
            kept = ~np.isnan(curves[:, 1])
            temperature = st.params.temperature
            outcomes.append(
                build_outcome(
                    seed=seed,
                    success=self.protocol.success,
                    stop_reason=Stop(int(st.status)).reason,
                    steps_run=int(st.step),
                    eval_steps=steps[kept].tolist(),
                    eval_losses=curves[kept, 0].tolist(),
                    eval_hits=curves[kept, 1].astype(np.int64).tolist(),
                    eval_margins=curves[kept, 2].tolist(),
                    best_hits=int(st.best_hits),
                    best_violations=int(st.best_violations),
                    last_eval_loss=float(st.last_eval_loss),
                    final=jax.tree.map(lambda x: x.item(), st.final),
                    last_loss=float(st.last_loss),
                    best_loss=float(st.best_loss),
                    temperature=None if temperature is None else float(temperature),
                    num_queries=self.num_queries,
                    num_relevant=self.num_relevant,
                )
            )
        return outcomes
