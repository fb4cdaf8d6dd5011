"""What the workflow knows about each loss, without JAX: one entry per loss.

``losses.LOSSES`` holds the JAX functions under the same names, and the
schema's ``loss`` enum lists the same names (tests tie both to this table).
Everything else reads a loss's facts here: ``protocol`` its start temperature
and the settings that only it uses, ``model`` the range of a learned
temperature, ``memory`` what its terms span. This module imports no JAX, so
that the Snakefile and ``optimize.py --help`` start fast.

Adding a loss: its function in ``losses.py``, its facts here, its name in the
schema's ``loss`` enum, and a test of it against a hand computation.
"""

from __future__ import annotations

from dataclasses import dataclass

# What a loss's terms span, which sets the memory its job needs (memory/sizes.py):
# "pairs": (query, document) arrays, the logits' shape; "triples": (query,
# relevant document, document) arrays, which dwarf the logits.
TERMS = ("pairs", "triples")


@dataclass(frozen=True, kw_only=True)
class LossFacts:
    """One loss's facts. ``terms`` has no default: a loss that does not say
    what its terms span cannot be sized, so it cannot be added without it."""

    terms: str  # one of TERMS
    start_temperature: float | None = None  # None: the loss has no temperature
    temperature_range: tuple[float, float] | None = None  # a learned one's clamp
    only_with: tuple[str, ...] = ()  # protocol settings that mean something only here

    def __post_init__(self) -> None:
        if self.terms not in TERMS:
            raise ValueError(f"terms must be one of {', '.join(TERMS)}: {self.terms!r}")
        if self.start_temperature is None and self.temperature_range is not None:
            raise ValueError("a temperature range needs a start_temperature")


LOSS_FACTS = {
    # the published loss; a learned temperature stays in the paper's code's range
    "infonce": LossFacts(
        terms="pairs", start_temperature=0.1, temperature_range=(1e-4, 100.0)
    ),
    # a learned sigmoid temperature is not clamped: it grows past 100 on its
    # way to a positive margin (arXiv 2605.23556)
    "sigmoid": LossFacts(terms="pairs", start_temperature=1.0, only_with=("bias",)),
    # over every (query, relevant, irrelevant) triple (arXiv 2601.20844); MED's
    # code divides the sum by the number of queries (reduction: query_mean)
    "hinge": LossFacts(terms="triples", only_with=("margin", "reduction")),
}
