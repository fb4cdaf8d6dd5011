"""The CPU image, built with `make images` as a user builds it, runs a job
bit for bit like the host.

Needs podman (installed with apt where missing, as root). Where that cannot
be done the tests are skipped with the reason; with REQUIRE_CONTAINERS=1 (set
by .ci/run) that skip is a failure instead. No registry need be reachable:
containers/build.sh bootstraps the Debian base with debootstrap then.
"""

import json
import subprocess

import pytest

from conftest import ROOT
from helpers import job_here_and_in, result

pytestmark = pytest.mark.containers
IMAGE = "free-embedding/jax-cpu:0.10.2"


@pytest.fixture(scope="module")
def cpu_image(podman_env):
    done = subprocess.run(
        ["make", "images", "IMAGES=cpu"],
        cwd=ROOT, capture_output=True, text=True, env=podman_env, timeout=1500,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return IMAGE


def test_job_in_the_cpu_image_equals_the_host_run(cpu_image, podman_env, tmp_path):
    host, image = job_here_and_in(cpu_image, podman_env, tmp_path)
    environment = json.loads(image.read_text())["environment"]
    assert environment["python"].startswith("3.11") and environment["jax"] == "0.10.2"
    assert result(image) == result(host)


def test_the_image_holds_no_build_secret(cpu_image, podman_env):
    done = subprocess.run(
        ["podman", "run", "--rm", cpu_image, "sh", "-c",
         "ls /run/secrets 2>/dev/null; pip config list"],
        capture_output=True, text=True, env=podman_env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "pip-cert" not in done.stdout and "cert" not in done.stdout
