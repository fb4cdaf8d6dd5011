"""What one seed's optimisation ended with, whichever loop ran it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import IntEnum
from types import SimpleNamespace


class Stop(IntEnum):
    """Why a seed stopped, or RUNNING while it runs: the engine's int32
    status holds these values, and a result records ``reason``."""

    RUNNING = 0
    SOLVED = 1
    EARLY_STOPPED = 2
    MAX_STEPS = 3
    DIVERGED = 4

    @property
    def reason(self) -> str:
        return self.name.lower()


ENDED = tuple(stop.reason for stop in Stop if stop != Stop.RUNNING)  # recorded ones
CURVES = ("curve_steps", "curve_losses", "curve_accuracies", "curve_margins")
SUCCESS_RULES = {
    "top_k": "100% top-k accuracy, final_accuracy 1.0",
    "margin": "a positive global margin, final_margin > 0",
    "separation": "every triple separated by the margin, final_violations 0",
}


def meets(success: str, metrics, num_relevant: int):
    """Whether an evaluation (``hits``, ``margin``, ``violations``) meets the
    protocol's success criterion: every relevant pair in its query's top k
    (``top_k``), a strictly positive global margin (``margin``), or no
    (query, relevant, irrelevant) triple short of the margin (``separation``,
    MED's), on scores that are numbers: a NaN score falls short of nothing,
    so overflowed parameters count none, but their global margin is NaN.
    Works on numbers and on traced JAX values."""
    if success == "margin":
        return metrics.margin > 0
    if success == "separation":
        return (metrics.violations == 0) & (metrics.margin == metrics.margin)
    return metrics.hits == num_relevant


@dataclass(frozen=True)
class SeedOutcome:
    """The end of one seed's run.

    Accuracies are fractions of relevant (query, document) pairs found in their
    query's top k. ``max_accuracy`` covers every evaluation and the final one;
    ``max_accuracy_observed`` only the periodic evaluations (the published
    script's field). ``final_loss`` is the loss of the last periodic evaluation
    (published meaning), ``last_loss`` the loss of the last step taken,
    ``best_loss`` the lowest a step had (None, i.e. infinite, where no step
    computes its loss: a hinge whose patience watches its violations,
    model.loss_every_step). ``final_margin`` is the global margin of the
    parameters the seed stopped with: the lowest relevant score minus the
    highest irrelevant score, over all queries. ``final_violations`` counts
    their (query, relevant, irrelevant) triples short of the protocol's
    margin, ``min_violations`` the fewest at any step (MED's count; None
    where the protocol counts none). ``temperature`` is the learned one, if
    any.
    """

    seed: int
    solved: bool
    stop_reason: str
    steps_run: int
    solved_at_step: int | None
    max_accuracy: float
    max_accuracy_observed: float
    final_accuracy: float
    final_loss: float
    last_loss: float
    best_loss: float
    final_margin: float
    final_violations: int | None
    min_violations: int | None
    temperature: float | None
    num_queries: int
    num_relevant: int
    curve_steps: tuple[int, ...]
    curve_losses: tuple[float, ...]
    curve_accuracies: tuple[float, ...]
    curve_margins: tuple[float, ...]

    def metrics(self) -> dict:
        """The scalar fields (everything but the curves)."""
        out = asdict(self)
        for name in CURVES:
            del out[name]
        return out


def build_outcome(
    *,
    seed: int,
    success: str,
    stop_reason: str,
    steps_run: int,
    eval_steps: list[int],
    eval_losses: list[float],
    eval_hits: list[int],
    eval_margins: list[float],
    best_hits: int,
    best_violations: int,
    last_eval_loss: float,
    final,
    last_loss: float,
    best_loss: float,
    temperature: float | None,
    num_queries: int,
    num_relevant: int,
) -> SeedOutcome:
    """Derive the summary fields the same way for every loop.

    A seed is solved when an evaluation, the final one included, meets the
    protocol's success criterion (all top-k hits, or a positive margin); the
    run stops at the first such evaluation, so that is its last step.
    """
    final_accuracy = final.hits / num_relevant
    observed = max(best_hits, 0) / num_relevant
    solved = stop_reason == "solved" or bool(meets(success, final, num_relevant))
    counted = final.violations >= 0
    return SeedOutcome(
        seed=seed,
        solved=solved,
        stop_reason=stop_reason,
        steps_run=steps_run,
        solved_at_step=steps_run - 1 if solved else None,
        max_accuracy=max(observed, final_accuracy),
        max_accuracy_observed=observed,
        final_accuracy=final_accuracy,
        final_loss=last_eval_loss,
        last_loss=last_loss,
        best_loss=best_loss,
        final_margin=final.margin,
        final_violations=final.violations if counted else None,
        min_violations=best_violations if counted else None,
        temperature=temperature,
        num_queries=num_queries,
        num_relevant=num_relevant,
        curve_steps=tuple(eval_steps),
        curve_losses=tuple(eval_losses),
        curve_accuracies=tuple(h / num_relevant for h in eval_hits),
        curve_margins=tuple(eval_margins),
    )


def final_meets(success: str, metrics: dict) -> bool:
    """Whether a seed's recorded final evaluation (its ``metrics()``, as a
    result file holds them) meets the success criterion; a margin that was not
    finite is recorded as None."""
    margin = metrics["final_margin"]
    recorded = SimpleNamespace(
        hits=metrics["final_accuracy"],
        margin=float("nan") if margin is None else margin,
        violations=metrics.get("final_violations"),
    )
    return bool(meets(success, recorded, 1.0))


def metrics_problem(metrics: dict, success: str, max_steps: int) -> str | None:
    """How a seed's recorded metrics contradict each other under build_outcome's
    rules and its protocol's ``success`` and ``max_steps``; None if they agree."""
    reason, steps, solved = (
        metrics["stop_reason"],
        metrics["steps_run"],
        metrics["solved"],
    )
    if reason not in ENDED:
        return f"stop_reason is {reason!r}, not one of {', '.join(ENDED)}"
    if not isinstance(solved, bool):
        return f"solved is {solved!r}, not true or false"
    if not isinstance(steps, int) or not 1 <= steps <= max_steps:
        return f"steps_run is {steps!r}, outside 1..{max_steps} (max_steps)"
    if reason == "max_steps" and steps != max_steps:
        return f"stop_reason is 'max_steps', but steps_run is {steps}"
    if solved != (reason == "solved" or final_meets(success, metrics)):
        final = (f"final_accuracy {metrics['final_accuracy']}, "
                 f"final_margin {metrics['final_margin']}")  # fmt: skip
        return (
            f"solved is {str(solved).lower()}, but its stop_reason is {reason!r} "
            f"and its final evaluation ({final}) "
            f"{'meets' if final_meets(success, metrics) else 'misses'} "
            f"the protocol's success rule ({SUCCESS_RULES[success]})"
        )
    highest = max(metrics["max_accuracy_observed"], metrics["final_accuracy"])
    if metrics["max_accuracy"] != highest or not 0 <= highest <= 1:
        return (
            f"max_accuracy is {metrics['max_accuracy']}, but the highest of "
            f"max_accuracy_observed and final_accuracy is {highest}"
        )
    if success == "top_k" and reason == "solved" and highest != 1.0:
        return f"stop_reason is 'solved' (top_k), but max_accuracy is {highest}"
    if metrics["solved_at_step"] != (steps - 1 if solved else None):
        return f"solved_at_step is {metrics['solved_at_step']!r}, steps_run {steps}"
    return None
