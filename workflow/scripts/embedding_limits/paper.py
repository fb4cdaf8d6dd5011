"""The LIMIT paper's own numbers that the code uses (Weller, Boratko, Naim and
Lee, "On the Theoretical Limitations of Embedding-Based Retrieval",
arXiv:2508.21038, 2025). Its Table 6 is data, in resources/paper_table6.csv.

- ``CUBIC``: the paper's fit of Table 6, n(d) = c0 + c1 d + c2 d^2 + c3 d^3;
  the search's first guess (``search.start: auto``) and the figures' and
  fit.csv's reference curve;
- ``REPORTED``: the critical n the paper extrapolates from that fit (its
  Section 4), which fit.csv and the extrapolation figure set beside ours.
"""

from __future__ import annotations

CUBIC = (-10.5322, 4.0309, 0.0520, 0.0037)  # c0, c1, c2, c3
REPORTED = {512: 500_000, 768: 1_700_000, 1024: 4_000_000,
            3072: 107_000_000, 4096: 250_000_000}  # fmt: skip


def cubic(d: float) -> float:
    """The paper's fit at d."""
    c0, c1, c2, c3 = CUBIC
    return c0 + c1 * d + c2 * d**2 + c3 * d**3
