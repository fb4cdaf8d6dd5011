"""The fused engine: every seed's whole run inside one compiled JAX program.

The state of a group of seeds lives on the device. One compiled function
advances it by a chunk of steps (``lax.while_loop``), with early stopping,
evaluation and the loss/accuracy curves in the carry; the host only reads a
few scalars between chunks to report progress. A group is all seeds at once
(``vmap``, for GPUs) or one seed (for CPUs, the same program called per seed).
Each seed stops on its own; a stopped seed's parameters are never read again.
The step counter is shared within a group, so evaluation happens between runs
of plain steps rather than as a ``cond`` inside every step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .model import init_params, make_step, top_k_hits
from .outcome import STOP_REASONS, SeedOutcome, build_outcome
from .settings import RunSettings

RUNNING, SOLVED, EARLY_STOPPED, MAX_STEPS = range(4)
JAX_PRECISION = {"float32": "float32", "tf32": "tensorfloat32", "bf16": "bfloat16"}


class EngineState(NamedTuple):
    step: jax.Array  # next global step index i (scalar)
    params: tuple  # (S, Q, d), (S, N, d)
    opt_state: optax.OptState
    best_loss: jax.Array  # (S,) best monitored loss
    bad_steps: jax.Array  # (S,) steps since the last improvement
    active: jax.Array  # (S,) still optimising
    stop_reason: jax.Array  # (S,) index into STOP_REASONS
    steps_run: jax.Array  # (S,)
    last_loss: jax.Array  # (S,)
    eval_hits: jax.Array  # (S, slots) -1 where no evaluation was recorded
    eval_loss: jax.Array  # (S, slots)
    final_hits: jax.Array  # (S,) hits at the step the seed stopped, else -1


class Progress(NamedTuple):
    step: int
    seconds: float
    active: int
    solved: int
    loss: float  # lowest last loss over seeds
    accuracy: float  # best evaluated accuracy so far over the running group


def delta_threshold(min_delta: float) -> np.float32:
    """Largest float32 <= min_delta.

    With it, ``best - loss > threshold`` in float32 decides exactly like the
    published ``loss < best - min_delta`` in float64.
    """
    value = np.float32(min_delta)
    if float(value) > min_delta:
        value = np.nextafter(value, np.float32(-np.inf))
    return value


def eval_slots(max_steps: int, eval_every: int) -> int:
    """Evaluations at i % eval_every == 0 plus the last step: slot ceil(i / E)."""
    return (max_steps - 2 + eval_every) // eval_every + 1


def slot_steps(max_steps: int, eval_every: int) -> np.ndarray:
    slots = np.arange(eval_slots(max_steps, eval_every))
    return np.minimum(slots * eval_every, max_steps - 1)


def resolve_seed_batching(choice: str, device: jax.Device) -> str:
    if choice != "auto":
        return choice
    return "sequential" if device.platform == "cpu" else "vmap"


class Engine:
    """Compiles once for a (settings, mask) pair, then runs every seed.

    The compiled program takes a group of seeds: all of them (``vmap``) or
    one (``sequential``, the same program called once per seed).
    """

    def __init__(self, settings: RunSettings, mask: np.ndarray, device: jax.Device):
        """``mask`` is (Q, N) shared by all seeds, or (S, Q, N), one per seed."""
        self.settings = s = settings
        self.device = device
        self.seed_batching = resolve_seed_batching(s.seed_batching, device)
        self.group = len(s.seeds) if self.seed_batching == "vmap" else 1
        self.per_seed_mask = mask.ndim == 3
        self.num_queries, self.num_docs = mask.shape[-2:]
        first_mask = mask[0] if self.per_seed_mask else mask
        self.num_relevant = int(np.count_nonzero(first_mask))
        self._host_weights = mask.astype(np.float32)
        self._shared_weights = None
        if not self.per_seed_mask:
            self._shared_weights = jax.device_put(self._host_weights, device)
        self.optimizer = optax.adam(s.learning_rate)
        started = time.perf_counter()
        with jax.default_matmul_precision(JAX_PRECISION[s.precision]):
            seeds = self._seed_array(0)
            self._init = jax.jit(self._init_state).lower(seeds).compile()
            state = self._init(seeds)
            donate = (0,) if device.platform != "cpu" else ()
            self._chunk = (
                jax.jit(self._run_chunk, donate_argnums=donate)
                .lower(state, self._weights(0), np.int32(0))
                .compile()
            )
        self.compile_seconds = time.perf_counter() - started

    def _seed_array(self, first: int) -> jax.Array:
        seeds = self.settings.seeds[first : first + self.group]
        return jax.device_put(np.asarray(seeds, np.int32), self.device)

    def _weights(self, first: int) -> jax.Array:
        if self._shared_weights is not None:
            return self._shared_weights
        return jax.device_put(
            self._host_weights[first : first + self.group], self.device
        )

    # -- compiled programs -------------------------------------------------
    def _init_state(self, seeds: jax.Array) -> EngineState:
        s, num_seeds = self.settings, self.group
        params = jax.vmap(
            lambda seed: init_params(seed, self.num_queries, self.num_docs, s.d)
        )(seeds)
        slots = eval_slots(s.max_steps, s.eval_every)
        return EngineState(
            step=jnp.int32(0),
            params=params,
            opt_state=jax.vmap(self.optimizer.init)(params),
            best_loss=jnp.full(num_seeds, jnp.inf, jnp.float32),
            bad_steps=jnp.zeros(num_seeds, jnp.int32),
            active=jnp.ones(num_seeds, bool),
            stop_reason=jnp.full(num_seeds, RUNNING, jnp.int32),
            steps_run=jnp.zeros(num_seeds, jnp.int32),
            last_loss=jnp.full(num_seeds, jnp.nan, jnp.float32),
            eval_hits=jnp.full((num_seeds, slots), -1, jnp.int32),
            eval_loss=jnp.full((num_seeds, slots), jnp.nan, jnp.float32),
            final_hits=jnp.full(num_seeds, -1, jnp.int32),
        )

    def _run_chunk(self, state: EngineState, mask, chunk_end) -> EngineState:
        """Advance every active seed up to global step ``chunk_end``.

        The inner loop takes plain steps up to the next evaluation step, and
        breaks early when a seed stops; the outer loop then records that
        seed's final accuracy and evaluates where due. Stopped seeds need no
        freezing: their parameters are never read again.
        """
        s = self.settings
        mask_axis = 0 if self.per_seed_mask else None
        step = make_step(
            self.optimizer, s.temperature, float(max(self.num_relevant, 1))
        )
        step_fn = jax.vmap(step, (0, 0, mask_axis))
        hits_fn = jax.vmap(lambda p, m: top_k_hits(p, m, s.k), (0, mask_axis))
        threshold = delta_threshold(s.min_delta)
        last_step, every = s.max_steps - 1, s.eval_every

        def take_step(st: EngineState) -> EngineState:
            i, act = st.step, st.active
            out = step_fn(st.params, st.opt_state, mask)
            improved = (st.best_loss - out.loss) > threshold
            bad = jnp.where(improved, 0, st.bad_steps + 1)
            early = act & (bad >= s.patience)
            return st._replace(
                step=i + 1,
                params=out.params,
                opt_state=out.opt_state,
                best_loss=jnp.where(act & improved, out.loss, st.best_loss),
                bad_steps=jnp.where(act, bad, st.bad_steps),
                active=act & ~early,
                stop_reason=jnp.where(early, EARLY_STOPPED, st.stop_reason),
                steps_run=jnp.where(act, i + 1, st.steps_run),
                last_loss=jnp.where(act, out.loss, st.last_loss),
            )

        def evaluate(st: EngineState) -> EngineState:
            i, act = st.step - 1, st.active  # the step just taken
            hits = hits_fn(st.params, mask)
            slot = (i + every - 1) // every
            solved = act & (hits == self.num_relevant)
            at_end = act & ~solved & (i == last_step)
            stopping = solved | at_end
            reason = jnp.where(
                solved, SOLVED, jnp.where(at_end, MAX_STEPS, st.stop_reason)
            )
            return st._replace(
                active=act & ~stopping,
                stop_reason=reason,
                eval_hits=st.eval_hits.at[:, slot].set(
                    jnp.where(act, hits, st.eval_hits[:, slot])
                ),
                eval_loss=st.eval_loss.at[:, slot].set(
                    jnp.where(act, st.last_loss, st.eval_loss[:, slot])
                ),
                final_hits=jnp.where(stopping, hits, st.final_hits),
            )

        def next_eval_step(i):
            return jnp.minimum((i + every - 1) // every * every, last_step)

        def record_final_hits(st: EngineState, stopped) -> EngineState:
            hits = jnp.where(stopped, hits_fn(st.params, mask), st.final_hits)
            return st._replace(final_hits=hits)

        def block(st: EngineState) -> EngineState:
            """Plain steps up to the next evaluation, or until a seed stops."""
            eval_at = next_eval_step(st.step)
            stop_at = jnp.minimum(eval_at + 1, chunk_end)
            was_active = st.active
            st = jax.lax.while_loop(
                lambda t: (t.step < stop_at) & jnp.all(t.active == was_active),
                take_step,
                st,
            )
            stopped = was_active & ~st.active
            st = jax.lax.cond(
                jnp.any(stopped), record_final_hits, lambda t, _: t, st, stopped
            )
            due = (st.step == eval_at + 1) & jnp.any(st.active)
            return jax.lax.cond(due, evaluate, lambda t: t, st)

        def more(st: EngineState):
            return (st.step < chunk_end) & jnp.any(st.active)

        return jax.lax.while_loop(more, block, state)

    # -- host side ---------------------------------------------------------
    def run(
        self,
        on_progress: Callable[[Progress], None] | None = None,
        target_chunk_seconds: float = 0.5,
    ) -> tuple[list[SeedOutcome], float]:
        """Run every seed to its end; returns the outcomes and run seconds."""
        s = self.settings
        outcomes: list[SeedOutcome] = []
        started = time.perf_counter()
        chunk = 4 * s.eval_every
        for first in range(0, len(s.seeds), self.group):
            state = self._init(self._seed_array(first))
            weights = self._weights(first)
            while True:
                tick = time.perf_counter()
                end = min(int(state.step) + chunk, s.max_steps)
                state = self._chunk(state, weights, np.int32(end))
                summary = jax.device_get(
                    (state.step, state.active, state.stop_reason,
                     state.last_loss, state.eval_hits)
                )  # fmt: skip
                elapsed = time.perf_counter() - tick
                if on_progress is not None:
                    waiting = len(s.seeds) - first - self.group
                    solved = sum(o.solved for o in outcomes)
                    on_progress(self._progress(summary, started, waiting, solved))
                if not summary[1].any():
                    break
                rate = chunk / max(elapsed, 1e-6)
                chunk = int(np.clip(rate * target_chunk_seconds, s.eval_every, 1e6))
            seeds = s.seeds[first : first + self.group]
            outcomes += self._outcomes(jax.device_get(state), seeds)
        return outcomes, time.perf_counter() - started

    def _progress(self, summary, started: float, waiting: int, solved: int) -> Progress:
        step, active, reason, last_loss, eval_hits = summary
        recorded = eval_hits.max(axis=1)
        return Progress(
            step=int(step),
            seconds=time.perf_counter() - started,
            active=int(active.sum()) + waiting,
            solved=solved + int((reason == SOLVED).sum()),
            loss=float(np.nanmin(last_loss))
            if np.isfinite(last_loss).any()
            else float("nan"),
            accuracy=max(float(recorded.max()), 0.0) / self.num_relevant,
        )

    def _outcomes(self, state: EngineState, seeds) -> list[SeedOutcome]:
        s = self.settings
        steps = slot_steps(s.max_steps, s.eval_every)
        outcomes = []
        for b, seed in enumerate(seeds):
            recorded = state.eval_hits[b] >= 0
            outcomes.append(
                build_outcome(
                    seed=seed,
                    stop_reason=STOP_REASONS[int(state.stop_reason[b])],
                    steps_run=int(state.steps_run[b]),
                    eval_steps=steps[recorded].tolist(),
                    eval_losses=state.eval_loss[b][recorded].tolist(),
                    eval_hits=state.eval_hits[b][recorded].tolist(),
                    final_hits=int(state.final_hits[b]),
                    last_loss=float(state.last_loss[b]),
                    best_loss=float(state.best_loss[b]),
                    num_queries=self.num_queries,
                    num_relevant=self.num_relevant,
                )
            )
        return outcomes
