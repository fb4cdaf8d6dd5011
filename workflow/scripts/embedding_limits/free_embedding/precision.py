"""Matrix-product precision: what each ``precision`` setting computes.

Each setting of ``protocol.PRECISIONS`` means one thing on every backend:
``default`` is JAX's own (float32 on a CPU, TF32 on NVIDIA Ampere and newer,
as in the published runs); ``float32`` full float32 products; ``tf32`` and
``bf16`` every operand of every product of the loss and its gradient rounded
to that format, with float32 accumulation. ``MATMUL`` words what ran, for
every result's environment.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

HIGHEST = jax.lax.Precision.HIGHEST

# What each precision setting ran, per backend (recorded in every result).
MATMUL = {
    ("default", "cpu"): "float32 (JAX's default on a CPU)",
    ("default", "gpu"): "JAX's default: TF32 on NVIDIA Ampere and newer, else float32",
    ("default", "any"): "JAX's default for this backend",
    ("float32", "any"): "float32 operands and accumulation",
    ("tf32", "any"): "operands rounded to TF32, float32 accumulation",
    ("bf16", "any"): "operands rounded to bfloat16, float32 accumulation",
}


def describe(precision: str, platform: str) -> str:
    """What ``precision`` computes on ``platform``, in words."""
    return MATMUL.get((precision, platform), MATMUL[precision, "any"])


def _round_tf32(x: jax.Array) -> jax.Array:
    """Round to TF32 (10 mantissa bits), to nearest, ties to even."""
    bits = jax.lax.bitcast_convert_type(x, jnp.uint32)
    bits = (bits + jnp.uint32(0x0FFF) + ((bits >> 13) & 1)) & jnp.uint32(0xFFFFE000)
    return jax.lax.bitcast_convert_type(bits, jnp.float32)


def _reduced_matmul(round_operand, dot):
    """a @ b.T with every operand of it and of its gradient rounded first."""

    @jax.custom_vjp
    def matmul(a, b):
        return dot(round_operand(a), round_operand(b))

    def forward(a, b):
        a, b = round_operand(a), round_operand(b)
        return dot(a, b), (a, b)

    def backward(saved, g):
        a, b = saved
        g = round_operand(g)
        return dot(g, b.T), dot(g.T, a.T)

    matmul.defvjp(forward, backward)
    return matmul


def make_matmul(precision: str, platform: str):
    """``a @ b.T`` for the loss, meaning the same on every backend."""
    if precision == "default":  # JAX's default, as the published script
        return lambda a, b: jnp.dot(a, b.T)
    if precision == "float32":
        return lambda a, b: jnp.dot(a, b.T, precision=HIGHEST)
    if precision == "bf16":
        return _reduced_matmul(
            lambda x: x.astype(jnp.bfloat16),
            lambda a, b: jnp.dot(a, b.T, preferred_element_type=jnp.float32),
        )
    # tf32: operands rounded here, so that a CPU computes what TF32 tensor
    # cores compute; on a GPU the tensor cores then take them as they are.
    tf32 = jax.lax.DotAlgorithmPreset.TF32_TF32_F32 if platform == "gpu" else HIGHEST
    return _reduced_matmul(_round_tf32, lambda a, b: jnp.dot(a, b.T, precision=tf32))
