"""Each precision setting means one thing on every backend, shown on a CPU
through the lowered programs and the numbers they compute."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import export

from embedding_limits.config.protocol import PRECISIONS, Protocol
from embedding_limits.data.qrels import combinations_qrels
from embedding_limits.free_embedding.job import relevance_of
from embedding_limits.free_embedding.model import Params, evaluate, make_step
from embedding_limits.free_embedding.precision import MATMUL, describe, make_matmul
from embedding_limits.free_embedding.schedules import make_optimizer

RELEVANCE = relevance_of(combinations_qrels(6, 2).relevant, 6)
rng = np.random.default_rng(0)
PARAMS = Params(jnp.asarray(rng.normal(size=(15, 4)), jnp.float32),
                jnp.asarray(rng.normal(size=(6, 4)), jnp.float32), None)  # fmt: skip


def dot_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "stablehlo.dot_general" in line]


def lowered_step(precision: str, platform: str = "cpu") -> str:
    """The step's program, lowered for ``platform`` (a GPU needs none here)."""
    p = Protocol(precision=precision)
    optimizer = make_optimizer(p)
    step = jax.jit(make_step(p, optimizer, platform))
    args = (PARAMS, optimizer.init(PARAMS), RELEVANCE)
    if platform == "cpu":
        return step.lower(*args).as_text()
    return export.export(step, platforms=["cuda"])(*args).mlir_module()


@pytest.mark.parametrize("precision", PRECISIONS)
def test_the_losss_products_carry_the_requested_precision(precision):
    dots = dot_lines(lowered_step(precision))
    assert len(dots) >= 3  # the scores, and both gradients
    for dot in dots:
        if precision == "default":  # the published program: JAX's default
            assert "precision = [DEFAULT, DEFAULT]" in dot
        elif precision == "bf16":
            assert "bf16>" in dot.split("->")[0] and "-> tensor" in dot
        else:  # float32, and tf32 whose operands were rounded first on a CPU
            assert "precision = [HIGHEST, HIGHEST]" in dot
    rounds_to_tf32 = "dense<4095> : tensor<ui32>" in lowered_step(precision)
    assert rounds_to_tf32 == (precision == "tf32")


def test_every_precision_is_described_on_every_backend():
    """The words a result records (precision.MATMUL) cover PRECISIONS alone."""
    assert {precision for precision, _ in MATMUL} == set(PRECISIONS)
    for precision in PRECISIONS:
        assert describe(precision, "cpu") and describe(precision, "tpu")
    assert describe("default", "cpu") == "float32 (JAX's default on a CPU)"


def test_tf32_takes_the_tensor_cores_on_a_gpu():
    """Lowered for a GPU (no GPU needed to lower), tf32 names the TF32 algorithm."""
    dots = dot_lines(lowered_step("tf32", platform="gpu"))
    assert dots and all("lhs_precision_type = tf32" in dot for dot in dots)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_evaluation_always_runs_at_full_float32(precision):
    protocol = Protocol(precision=precision)
    evaluation = jax.jit(lambda p, r: evaluate(p, r, 2, protocol))
    text = evaluation.lower(PARAMS, RELEVANCE).as_text()
    dots = dot_lines(text)
    assert dots and all("precision = [HIGHEST, HIGHEST]" in dot for dot in dots)


def round_to(x: np.ndarray, mantissa_bits: int) -> np.ndarray:
    """Round float32 to ``mantissa_bits`` explicit bits, nearest, ties even."""
    drop = 23 - mantissa_bits
    if drop == 0:
        return x.astype(np.float32)
    bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + (1 << (drop - 1)) - 1 + ((bits >> drop) & 1)) >> drop << drop
    return bits.astype(np.uint32).view(np.float32)


@pytest.mark.parametrize("precision,bits", [("bf16", 7), ("tf32", 10), ("float32", 23)])
def test_reduced_precisions_compute_with_rounded_operands(precision, bits):
    a = rng.normal(size=(16, 64)).astype(np.float32)
    b = rng.normal(size=(8, 64)).astype(np.float32)
    got = np.asarray(jax.jit(make_matmul(precision, "cpu"))(a, b), np.float64)
    exact = (
        round_to(a, bits).astype(np.float64) @ round_to(b, bits).astype(np.float64).T
    )
    np.testing.assert_allclose(got, exact, rtol=0, atol=2e-5)
    if bits < 23:  # and that differs from float32 operands
        full = a.astype(np.float64) @ b.astype(np.float64).T
        assert np.abs(got - full).max() > 1e-4
