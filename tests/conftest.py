"""Shared test set-up: the library lives in workflow/scripts/embedding_limits
(docs/architecture.md)."""

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "workflow", "scripts")
TOOLS = os.path.join(ROOT, "tools")  # run by hand: benchmarks, comparisons, checks
sys.path[:0] = [SCRIPTS, TOOLS]


def has_gpu() -> bool:
    import jax

    try:
        return bool(jax.devices("gpu"))
    except RuntimeError:
        return False


def pytest_runtest_setup(item):
    """Tests marked gpu need a GPU that JAX sees: skipped with the reason
    without one, or failed when REQUIRE_GPU=1 (make gpu-check sets it).
    Tests marked sentence_transformers need the modules the marker names
    (default: sentence_transformers): skipped without them, or failed when
    REQUIRE_SENTENCE_TRANSFORMERS=1 (make test-st sets it)."""
    if "gpu" in item.keywords and not has_gpu():
        reason = "needs an NVIDIA GPU visible to JAX; none here"
        if os.environ.get("REQUIRE_GPU") == "1":
            pytest.fail(f"REQUIRE_GPU=1 but {reason}")
        pytest.skip(reason)
    marker = item.get_closest_marker("sentence_transformers")
    if marker is not None:
        missing = [m for m in marker.args or ("sentence_transformers",)
                   if importlib.util.find_spec(m) is None]  # fmt: skip
        if missing:
            reason = (f"needs {' and '.join(missing)}, not installed here "
                      "(make test-st installs the optional backends)")  # fmt: skip
            if os.environ.get("REQUIRE_SENTENCE_TRANSFORMERS") == "1":
                pytest.fail(f"REQUIRE_SENTENCE_TRANSFORMERS=1 but {reason}")
            pytest.skip(reason)


# -- podman, for the container tests ----------------------------------------


def unavailable(reason: str):
    if os.environ.get("REQUIRE_CONTAINERS") == "1":
        pytest.fail(f"REQUIRE_CONTAINERS=1 but {reason}")
    pytest.skip(reason)


def ensure_podman() -> None:
    if shutil.which("podman") and shutil.which("debootstrap"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        unavailable("podman is missing, and installing it needs root and apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    packages = ["podman", "runc", "debootstrap"]
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", *packages]):  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            unavailable(f"{' '.join(cmd)} failed: {done.stderr[-500:]}")


@pytest.fixture(scope="module")
def podman_env(tmp_path_factory):
    """The environment podman runs in here: without CAP_SYS_RESOURCE, its
    default ulimits cannot be set, so containers.conf names ones that can."""
    ensure_podman()
    conf = tmp_path_factory.mktemp("podman") / "containers.conf"
    conf.write_text(
        '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
    )
    return {**os.environ, "CONTAINERS_CONF": str(conf)}
