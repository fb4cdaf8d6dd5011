"""What one seed's optimisation ended with, whichever loop ran it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

STOP_REASONS = ("running", "solved", "early_stopped", "max_steps", "diverged")
CURVES = ("curve_steps", "curve_losses", "curve_accuracies", "curve_margins")


def meets(success: str, hits, margin, num_relevant: int):
    """Whether an evaluation meets the protocol's success criterion: every
    relevant pair in its query's top k (``top_k``), or a strictly positive
    global margin (``margin``). Works on numbers and on traced JAX values."""
    return margin > 0 if success == "margin" else hits == num_relevant


@dataclass(frozen=True)
class SeedOutcome:
    """The end of one seed's run.

    Accuracies are fractions of relevant (query, document) pairs found in their
    query's top k. ``max_accuracy`` covers every evaluation and the final one;
    ``max_accuracy_observed`` only the periodic evaluations (the published
    script's field). ``final_loss`` is the loss of the last periodic evaluation
    (published meaning), ``last_loss`` the loss of the last step taken.
    ``final_margin`` is the global margin of the parameters the seed stopped
    with: the lowest relevant score minus the highest irrelevant score, over
    all queries. ``temperature`` is the learned one, if any.
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
    solved = stop_reason == "solved" or meets(
        success, final.hits, final.margin, num_relevant
    )
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
        temperature=temperature,
        num_queries=num_queries,
        num_relevant=num_relevant,
        curve_steps=tuple(eval_steps),
        curve_losses=tuple(eval_losses),
        curve_accuracies=tuple(h / num_relevant for h in eval_hits),
        curve_margins=tuple(eval_margins),
    )
