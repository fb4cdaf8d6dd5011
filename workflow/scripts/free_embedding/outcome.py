"""What one seed's optimisation ended with, whichever loop ran it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

STOP_REASONS = ("running", "solved", "early_stopped", "max_steps")


@dataclass(frozen=True)
class SeedOutcome:
    """The end of one seed's run.

    Accuracies are fractions of relevant (query, document) pairs found in their
    query's top k. ``max_accuracy`` covers every evaluation and the final one;
    ``max_accuracy_observed`` only the periodic evaluations (the published
    script's field). ``final_loss`` is the loss of the last periodic evaluation
    (published meaning), ``last_loss`` the loss of the last step taken.
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
    num_queries: int
    num_relevant: int
    curve_steps: tuple[int, ...]
    curve_losses: tuple[float, ...]
    curve_accuracies: tuple[float, ...]

    def metrics(self) -> dict:
        """The scalar fields (everything but the curves)."""
        out = asdict(self)
        for name in ("curve_steps", "curve_losses", "curve_accuracies"):
            del out[name]
        return out


def build_outcome(
    *,
    seed: int,
    stop_reason: str,
    steps_run: int,
    eval_steps: list[int],
    eval_losses: list[float],
    eval_hits: list[int],
    final_hits: int,
    last_loss: float,
    best_loss: float,
    num_queries: int,
    num_relevant: int,
) -> SeedOutcome:
    """Derive the summary fields the same way for every loop."""
    accuracies = [h / num_relevant for h in eval_hits]
    final_accuracy = final_hits / num_relevant
    solved_at = next(
        (s for s, h in zip(eval_steps, eval_hits, strict=True) if h == num_relevant),
        None,
    )
    if solved_at is None and final_hits == num_relevant:
        solved_at = steps_run - 1
    observed = max(accuracies, default=0.0)
    return SeedOutcome(
        seed=seed,
        solved=solved_at is not None,
        stop_reason=stop_reason,
        steps_run=steps_run,
        solved_at_step=solved_at,
        max_accuracy=max(observed, final_accuracy),
        max_accuracy_observed=observed,
        final_accuracy=final_accuracy,
        final_loss=eval_losses[-1] if eval_losses else float("nan"),
        last_loss=last_loss,
        best_loss=best_loss,
        num_queries=num_queries,
        num_relevant=num_relevant,
        curve_steps=tuple(eval_steps),
        curve_losses=tuple(eval_losses),
        curve_accuracies=tuple(accuracies),
    )
