"""The learning rate over the steps, and the Adam optimiser it drives.

``SCHEDULES`` is keyed by the names of ``protocol.SCHEDULES`` (a test ties
them); each entry turns a protocol into the settings of ``optax.adam`` that it
schedules: the learning rate (a number, or a function of the step), and b1
where the schedule cycles it too.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax.numpy as jnp
import optax

from ..config.protocol import Protocol


def constant(p: Protocol) -> dict:
    """The bare learning rate, as published."""
    return {"learning_rate": p.learning_rate}


def warmup_cosine(p: Protocol) -> dict:
    """optax's warmup + cosine schedule: linear from start_factor x lr to lr
    over warmup_fraction of max_steps, then a cosine decay to final_ratio x lr
    at max_steps."""
    schedule = optax.warmup_cosine_decay_schedule(
        init_value=p.start_factor * p.learning_rate,
        peak_value=p.learning_rate,
        warmup_steps=round(p.warmup_fraction * p.max_steps),
        decay_steps=p.max_steps,
        end_value=p.final_ratio * p.learning_rate,
    )
    return {"learning_rate": schedule}


def one_cycle(
    total_steps: int, pct_start: float, start: float, peak: float, end: float
) -> optax.Schedule:
    """PyTorch's two-phase cosine ``OneCycleLR``, step for step: the value
    that the update of step ``count`` (0 for the first) uses.

    As in PyTorch, phase one ends at step ``pct_start * total_steps - 1`` (a
    float) with ``peak`` and phase two at ``total_steps - 1`` with ``end``;
    between, ``end_ + (start_ - end_) / 2 * (cos(pi * pct) + 1)`` anneals
    from a phase's start_ to its end_. optax's ``cosine_onecycle_schedule``
    puts both one step later (peak at ``int(pct_start * total_steps)``, end at
    ``total_steps``, a step that never runs), so it is not used.
    """
    peak_at = float(pct_start * total_steps) - 1
    last = float(total_steps - 1)

    def anneal(a, b, pct):
        return b + (a - b) / 2.0 * (jnp.cos(math.pi * pct) + 1)

    def schedule(count):
        step = jnp.minimum(jnp.asarray(count, jnp.float32), last)
        rising = anneal(start, peak, step / peak_at)
        falling = anneal(peak, end, (step - peak_at) / (last - peak_at))
        return jnp.where(step <= peak_at, rising, falling)

    return schedule


def onecycle(p: Protocol) -> dict:
    """MED's schedule (PyTorch's OneCycleLR over max_steps): a cosine rise
    from lr / div_factor to lr over pct_start of max_steps, then a cosine
    fall to lr / (div_factor x final_div_factor); with cycle_momentum, Adam's
    b1 moves the other way, max_momentum -> base_momentum -> max_momentum."""
    lr = p.learning_rate
    settings = {
        "learning_rate": one_cycle(
            p.max_steps,
            p.pct_start,
            lr / p.div_factor,
            lr,
            lr / p.div_factor / p.final_div_factor,
        )
    }
    if p.cycle_momentum:
        settings["b1"] = one_cycle(
            p.max_steps, p.pct_start, p.max_momentum, p.base_momentum, p.max_momentum
        )
    return settings


SCHEDULES: dict[str, Callable[[Protocol], dict]] = {
    "constant": constant,
    "warmup_cosine": warmup_cosine,
    "onecycle": onecycle,
}
# Adam's settings that no schedule moves: fixed in the transformation, so that
# an injected optimiser's state holds only what its schedules recompute before
# every update (the engine starts from a state of zeros, not from init)
FIXED = ("b2", "eps", "eps_root", "mu_dtype", "nesterov")


def adam_settings(p: Protocol) -> dict:
    """The settings of ``optax.adam`` that the protocol's schedule gives."""
    return SCHEDULES[p.schedule](p)


def learning_rate(p: Protocol) -> float | optax.Schedule:
    """The protocol's learning rate: a number, or a function of the step."""
    return adam_settings(p)["learning_rate"]


def make_optimizer(p: Protocol) -> optax.GradientTransformation:
    settings = adam_settings(p)
    if set(settings) == {"learning_rate"}:
        return optax.adam(**settings)  # optax.adam takes a schedule for lr only
    return optax.inject_hyperparams(optax.adam, static_args=FIXED)(**settings)
