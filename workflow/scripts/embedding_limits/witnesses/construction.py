"""Exact witnesses: embeddings that represent every top-k subset at d = 2k.

- ``moment`` (inner product; arXiv 2601.20844): document i is the point
  (t_i, t_i^2, ..., t_i^2k) of the moment curve; the query of a subset S is
  -(c_1, ..., c_2k), the coefficients of P_S(t)^2, P_S(t) = prod_{s in S} (t - t_s).
  Then <v_i, q_S> = c_0 - P_S(t_i)^2, largest exactly on S. With the
  ``chebyshev`` basis, T_j(t) replaces t^j: the same polynomial, better
  conditioned.
- ``trig_moment`` (cosine): document i is the unit vector (cos a_i, sin a_i,
  ..., cos k a_i, sin k a_i) / sqrt(k); the query of S is the normalised
  coefficient vector of f(a) = -prod_{s in S} (1 - cos(a - a_s)), which is 0 on
  S and negative elsewhere.

In exact arithmetic both hold for every n (tests check that with fractions).
Stored in a float format, the gap between a query's own documents and the
rest shrinks with n until rounding closes it: ``critical_witness_n`` finds
the largest n that each (construction, precision, placement) still holds.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

from ..config.witness_choices import ACCUMULATION, DEFAULTS, PRECISIONS
from ..memory.budget import witness_start
from ..search.searches import replay
from ..search.strategies import Gallop

# Each precision's numpy type (bfloat16 is ml_dtypes'; the rest numpy's own).
DTYPES = {name: np.dtype(getattr(ml_dtypes, name, name)) for name in PRECISIONS}
CHUNK = 1 << 22  # scores per device call


@dataclass(frozen=True)
class Placement:
    """Where the nodes sit, which basis embeds the polynomial, and whether
    each coordinate is rescaled (documents by 2^e, queries by 2^-e: exact
    scores unchanged, rounding and range not)."""

    nodes: str  # equispaced (in [-1, 1]) | chebyshev (points) | integers (t_i = i)
    basis: str  # monomial | chebyshev | trig
    scaling: str  # none | balanced

    @property
    def name(self) -> str:
        return f"{self.nodes} nodes, {self.basis} basis, {self.scaling} scaling"


# Power-of-two scaling is exact, so it changes only the range a value must
# fit: it can matter for the integer nodes (t^2k grows fast) in float16.
PLACEMENTS = {
    "moment": [
        Placement("equispaced", "monomial", "none"),
        Placement("chebyshev", "monomial", "none"),
        Placement("integers", "monomial", "none"),
        Placement("integers", "monomial", "balanced"),
        Placement("equispaced", "chebyshev", "none"),
        Placement("chebyshev", "chebyshev", "none"),
    ],
    "trig_moment": [Placement("equispaced", "trig", "none")],
}


def nodes(n: int, kind: str) -> np.ndarray:
    if kind == "equispaced":
        return np.linspace(-1.0, 1.0, n)
    if kind == "chebyshev":
        return np.cos(np.pi * (np.arange(n) + 0.5) / n)[::-1].copy()
    if kind == "integers":
        return np.arange(n, dtype=np.float64)
    if kind == "angles":
        return 2 * np.pi * np.arange(n) / n
    raise ValueError(f"unknown nodes {kind!r}")


def _basis(t: np.ndarray, degree: int, basis: str) -> np.ndarray:
    """(len(t), degree) values of the basis functions 1..degree at t."""
    if basis == "monomial":
        return np.stack([t**j for j in range(1, degree + 1)], axis=1)
    return np.polynomial.chebyshev.chebvander(t, degree)[:, 1:]


def node_values(construction: str, n: int, placement: Placement) -> np.ndarray:
    """The moment curve's t_i, or the trigonometric curve's angles a_i."""
    return nodes(n, placement.nodes if construction == "moment" else "angles")


def documents(construction: str, k: int, n: int, placement: Placement) -> np.ndarray:
    return documents_at(construction, k, node_values(construction, n, placement),
                        placement.basis)  # fmt: skip


def queries(
    construction: str, k: int, n: int, subsets: np.ndarray, placement: Placement
):
    """(len(subsets), 2k) float64 queries, one per k-subset of documents."""
    values = node_values(construction, n, placement)[subsets]
    return queries_at(construction, k, values, placement.basis)


def documents_at(construction: str, k: int, values: np.ndarray, basis: str):
    """(n, 2k) float64 documents at the given nodes (or angles)."""
    if construction == "moment":
        return _basis(values, 2 * k, basis)
    angles = values
    m = np.arange(1, k + 1)
    parts = np.stack([np.cos(np.outer(angles, m)), np.sin(np.outer(angles, m))], axis=2)
    return parts.reshape(len(angles), 2 * k) / math.sqrt(k)


def queries_at(construction: str, k: int, values: np.ndarray, basis: str):
    """(B, 2k) float64 queries of subsets given by their (B, k) nodes (angles)."""
    count = len(values)
    if construction == "moment":  # the coefficients of P_S^2, P_S with roots t
        poly = np.ones((count, 1))
        for j in range(k):  # P_S, lowest degree first
            shifted = np.zeros((count, poly.shape[1] + 1))
            shifted[:, 1:] += poly
            shifted[:, :-1] -= poly * values[:, j : j + 1]
            poly = shifted
        square = np.zeros((count, 2 * k + 1))
        for i, j in itertools.product(range(k + 1), repeat=2):
            square[:, i + j] += poly[:, i] * poly[:, j]
        if basis == "chebyshev":  # the same polynomial in T_0..T_2k
            square = square @ _to_chebyshev(2 * k).T
        return -square[:, 1:]
    # f(a) = -prod (1 - cos(a - a_s)) as a Laurent polynomial in z = e^{ia}
    laurent = np.ones((count, 1), complex)  # coefficients of z^-j .. z^j
    for j in range(k):
        e = np.exp(1j * values[:, j : j + 1])
        grown = np.zeros((count, laurent.shape[1] + 2), complex)
        grown[:, 1:-1] += laurent
        grown[:, 2:] -= laurent * np.conj(e) / 2
        grown[:, :-2] -= laurent * e / 2
        laurent = grown
    positive = -laurent[:, k + 1 :]  # z^1 .. z^k of f: c_m z^m + conj(c_m) z^-m
    coefficients = np.stack([2 * positive.real, -2 * positive.imag], axis=2)
    q = coefficients.reshape(count, 2 * k)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


@functools.cache
def _to_chebyshev(degree: int) -> np.ndarray:
    """The matrix taking monomial coefficients to Chebyshev coefficients."""
    size = degree + 1
    columns = [np.polynomial.chebyshev.poly2cheb(np.eye(size)[j]) for j in range(size)]
    return np.stack([np.pad(c, (0, size - len(c))) for c in columns], axis=1)


def all_subsets(n: int, k: int) -> np.ndarray:
    flat = itertools.chain.from_iterable(itertools.combinations(range(n), k))
    return np.fromiter(flat, np.int32, math.comb(n, k) * k).reshape(-1, k)


def balanced_scale(docs: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """Powers of two e_j with max |doc_j| 2^e_j ~ max |q_j| 2^-e_j."""
    big_d = np.abs(docs).max(axis=0)
    big_q = np.abs(qs).max(axis=0)
    return np.exp2(
        np.round(0.5 * np.log2(np.maximum(big_q, 1e-300) / np.maximum(big_d, 1e-300)))
    )


@functools.cache
def _gap_program(accumulation: str):
    acc = jnp.dtype(accumulation)

    def gaps(docs, qs, mask_BxN, valid_N):
        # sum_j q_j d_j over the 2k coordinates, in order, in the accumulation
        # format (an XLA dot would choose its own, e.g. float32 for float16)
        docs, qs = docs.astype(acc), qs.astype(acc)
        scores = qs[:, :1] * docs[None, :, 0]
        for j in range(1, docs.shape[1]):
            scores = (scores + qs[:, j : j + 1] * docs[None, :, j]).astype(acc)
        lowest_own = jnp.min(jnp.where(mask_BxN, scores, jnp.inf), axis=1)
        others = jnp.where(mask_BxN | ~valid_N[None, :], -jnp.inf, scores)
        return lowest_own - jnp.max(others, axis=1), jnp.argmax(others, axis=1)

    return jax.jit(gaps)


@dataclass(frozen=True)
class Check:
    """One n: whether every query's top k is exactly its subset (strict)."""

    n: int
    holds: bool
    min_gap: float  # lowest own score - highest other score, worst query
    violation: tuple | None  # (subset, the document that beat or tied it)


def check(construction, k, n, precision, placement, accumulation=None) -> Check:
    """Store the witness for n documents in ``precision``, score every query
    as an index would, and find the worst gap."""
    subsets = all_subsets(n, k)
    docs = documents(construction, k, n, placement)
    qs = queries(construction, k, n, subsets, placement)
    if placement.scaling == "balanced":
        scale = balanced_scale(docs, qs)
        docs, qs = docs * scale, qs / scale
    return worst_gap(docs, qs, subsets, precision, accumulation)


def worst_gap(docs, qs, subsets, precision, accumulation=None) -> Check:
    """Whether every query's top k is exactly its subset once ``docs`` (N, d)
    and ``qs`` (one per row of ``subsets``) are stored in ``precision``."""
    accumulation = accumulation or ACCUMULATION[precision]
    if "float64" in (precision, accumulation) and not jax.config.jax_enable_x64:
        raise RuntimeError("float64 witnesses need jax_enable_x64 (set by witness.py)")
    dtype = DTYPES[precision]
    n, k = len(docs), subsets.shape[1]
    width = 1 << max(n - 1, 1).bit_length()  # pad documents: few compiled shapes
    stored = np.zeros((width, docs.shape[1]), dtype)
    stored[:n] = docs.astype(dtype)
    valid = np.arange(width) < n
    # queries per device call: a power of two too, no more than the subsets need
    rows = max(1, min(CHUNK // width, 1 << max(len(subsets) - 1, 1).bit_length()))
    program = _gap_program(accumulation)
    worst = (np.inf, None)
    for start in range(0, len(subsets), rows):
        chunk = subsets[start : start + rows]
        padded = np.zeros((rows, k), np.int32) + chunk[-1]
        padded[: len(chunk)] = chunk
        mask = np.zeros((rows, width), bool)
        mask[np.arange(rows)[:, None], padded] = True
        q = np.zeros((rows, qs.shape[1]), dtype)
        q[: len(chunk)] = qs[start : start + rows].astype(dtype)
        q[len(chunk) :] = q[len(chunk) - 1]
        gaps, beaten_by = (np.asarray(x) for x in program(stored, q, mask, valid))
        i = int(np.argmin(gaps))
        if gaps[i] < worst[0]:
            worst = (float(gaps[i]), (tuple(map(int, padded[i])), int(beaten_by[i])))
    holds = worst[0] > 0
    return Check(n, holds, worst[0], None if holds else worst[1])


@dataclass(frozen=True)
class WitnessLimit:
    """The precision-limited n of one (construction, k, precision, placement).

    ``max_n`` is strict: every n up to it holds (checked one by one up to
    ``scanned_to``). ``search_n`` is the boundary the gallop and bisection
    found, which is larger when holding is not monotone in n (rounding does
    not shrink the gap at every n). ``capped``: still holding at the cap;
    ``capped_by_memory``: that cap was the largest n that fits in memory.
    """

    max_n: int | None
    search_n: int | None
    first_failing_n: int | None
    scanned_to: int
    capped: bool
    checks: dict
    capped_by_memory: bool = False

    def at(self, n):
        return self.checks.get(n)


def critical_witness_n(
    construction, k, precision, placement, max_n, scan_limit=DEFAULTS.scan_limit,
    accumulation=None, fit_limit=None,
) -> WitnessLimit:  # fmt: skip
    """Gallop from 2k+1 and bisect (like the critical-n search), capped at
    ``max_n`` and at ``fit_limit``, the largest n that fits in memory
    (budget.witness_limit); then check every smaller n up to ``scan_limit``."""
    checks: dict[int, Check] = {}

    def holds(n: int) -> bool:
        if n not in checks:
            checks[n] = check(construction, k, n, precision, placement, accumulation)
        return checks[n].holds

    gallop = Gallop(start=witness_start(k, max_n), sweep=(0, 0))
    done = replay(lambda held: gallop.plan(held, k + 1, max_n, fit_limit), holds)
    search_n = done.critical_n
    scanned_to = min(search_n or k + 1, scan_limit)
    failing = [n for n in range(k + 1, scanned_to + 1) if not holds(n)]
    failing += [n for n in sorted(checks) if not checks[n].holds]
    first = min(failing) if failing else None
    strict = first - 1 if first is not None and first <= (search_n or 0) else search_n
    if strict is not None and strict < k + 1:
        strict = None
    top = max_n if fit_limit is None else min(max_n, fit_limit)
    return WitnessLimit(
        strict, search_n, first, scanned_to,
        capped=done.upper_n is None and search_n == top, checks=checks,
        capped_by_memory=done.capped_by_memory,
    )  # fmt: skip
