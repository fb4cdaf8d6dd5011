"""The CUDA-12 image, where it has been built, runs a CPU job bit for bit like
the host.

No test builds this image: its CUDA wheels take long to download and install.
The test runs where `make images IMAGES=cuda12` has been run (the image is in
podman's store) and is skipped, with the reason, elsewhere. REQUIRE_CONTAINERS=1
is about the CPU image only, so it does not turn these skips into failures.
The job runs with JAX_PLATFORMS=cpu: this checks the image's Python, JAX and
the project's code, not its CUDA libraries (that needs a GPU).
"""

import json
import shutil
import subprocess

import pytest

from helpers import LOCK, job_here_and_in, result

pytestmark = pytest.mark.containers
VERSION = LOCK["jax"]
IMAGE = f"free-embedding/jax-cuda12:{VERSION}"
BUILD = "build it with `make images IMAGES=cuda12`; no test builds it"


@pytest.fixture(scope="module")
def podman_with_cuda_image(request):
    """podman_env where the image has been built; a skip, never a failure,
    where it has not. podman_env is taken only then: it may install packages."""
    if not shutil.which("podman"):
        pytest.skip(f"podman is not installed, so {IMAGE} is not here ({BUILD})")
    exists = subprocess.run(
        ["podman", "image", "exists", IMAGE], capture_output=True, text=True
    )
    if exists.returncode == 1:
        pytest.skip(f"{IMAGE} is not in podman's store ({BUILD})")
    if exists.returncode != 0:
        pytest.skip(f"`podman image exists {IMAGE}` failed: {exists.stderr[-300:]}")
    return request.getfixturevalue("podman_env")


def test_cpu_job_in_the_cuda_image_equals_the_host(podman_with_cuda_image, tmp_path):
    host, image = job_here_and_in(
        IMAGE, podman_with_cuda_image, tmp_path, ["-e", "JAX_PLATFORMS=cpu"]
    )
    environment = json.loads(image.read_text())["environment"]
    assert environment["backend"] == "cpu" and environment["jax"] == VERSION
    assert environment["python"].startswith("3.11")
    assert result(image) == result(host)
