"""The learning rate over the steps, and the Adam optimiser it drives.

``SCHEDULES`` is keyed by the names of ``protocol.SCHEDULES`` (a test ties
them); each entry turns a protocol into what ``optax.adam`` takes: a number,
or a function of the step.
"""

from __future__ import annotations

from collections.abc import Callable

import optax

from .protocol import Protocol


def constant(p: Protocol) -> float:
    """The bare learning rate, as published."""
    return p.learning_rate


def warmup_cosine(p: Protocol) -> optax.Schedule:
    """optax's warmup + cosine schedule: linear from start_factor x lr to lr
    over warmup_fraction of max_steps, then a cosine decay to final_ratio x lr
    at max_steps."""
    return optax.warmup_cosine_decay_schedule(
        init_value=p.start_factor * p.learning_rate,
        peak_value=p.learning_rate,
        warmup_steps=round(p.warmup_fraction * p.max_steps),
        decay_steps=p.max_steps,
        end_value=p.final_ratio * p.learning_rate,
    )


SCHEDULES: dict[str, Callable[[Protocol], float | optax.Schedule]] = {
    "constant": constant,
    "warmup_cosine": warmup_cosine,
}


def learning_rate(p: Protocol) -> float | optax.Schedule:
    """The protocol's learning rate: a number, or a function of the step."""
    return SCHEDULES[p.schedule](p)


def make_optimizer(p: Protocol) -> optax.GradientTransformation:
    return optax.adam(learning_rate(p))
