"""Shared test set-up: the library lives in workflow/scripts (see STYLE.md)."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "workflow", "scripts")
sys.path.insert(0, SCRIPTS)


def has_gpu() -> bool:
    import jax

    try:
        return bool(jax.devices("gpu"))
    except RuntimeError:
        return False


def pytest_runtest_setup(item):
    """Tests marked gpu need a GPU that JAX sees: skipped with the reason
    without one, or failed when REQUIRE_GPU=1 (make gpu-check sets it)."""
    if "gpu" in item.keywords and not has_gpu():
        reason = "needs an NVIDIA GPU visible to JAX; none here"
        if os.environ.get("REQUIRE_GPU") == "1":
            pytest.fail(f"REQUIRE_GPU=1 but {reason}")
        pytest.skip(reason)
