"""One source of versions: the lock files. Images and conda envs must agree."""

import glob
import os
import re
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT
from helpers import LOCK, library_submodules, normal, read_pins, scripts_by_env

PIN = re.compile(r"""["']?([A-Za-z0-9_.\-]+)(?:\[[a-z0-9,]+\])?==([A-Za-z0-9_.+\-]+)""")
DOCKERFILES = sorted(glob.glob(os.path.join(ROOT, "containers", "*", "Dockerfile")))
ENVS = sorted(glob.glob(os.path.join(ROOT, "envs", "*.yaml")))


def test_images_and_envs_exist():
    names = [os.path.basename(os.path.dirname(p)) for p in DOCKERFILES]
    assert names == ["jax-cpu", "jax-cuda12", "sentence-transformers"]
    assert [os.path.basename(p) for p in ENVS] == [
        "analysis.yaml", "embedders.yaml", "jax-cpu.yaml", "jax-cuda12.yaml",
        "sentence-transformers.yaml",
    ]  # fmt: skip


# what each image is for: the packages its Dockerfile must pin
PURPOSE = {
    "jax-cpu": {"jax", "jaxlib"},
    "jax-cuda12": {"jax", "jaxlib"},
    "sentence-transformers": {"sentence-transformers", "torch", "model2vec"},
}


@pytest.mark.parametrize("path", DOCKERFILES, ids=os.path.dirname)
def test_dockerfile_pins_equal_the_lock(path):
    text = open(path).read()
    pins = {normal(n): v for n, v in PIN.findall(text)}
    assert PURPOSE[os.path.basename(os.path.dirname(path))] <= set(pins)
    assert {n: LOCK.get(n) for n in pins} == pins
    assert "requirements.lock" in text and "-c /tmp/requirements.lock" in text
    # Debian bookworm's Python is 3.11, the host's minor version
    assert re.search(r"^FROM debian:bookworm-slim$", text, re.M)


@pytest.mark.parametrize("path", ENVS, ids=os.path.basename)
def test_conda_env_pins_equal_the_lock(path):
    env = yaml.safe_load(open(path))
    assert "python=3.11" in env["dependencies"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = dict(PIN.fullmatch(p).groups() for p in pip)
    assert pins, path
    assert {normal(n): LOCK.get(normal(n)) for n in pins} == {
        normal(n): v for n, v in pins.items()
    }


def test_top_level_requirements_equal_the_lock():
    wanted = read_pins(os.path.join(ROOT, "requirements.in"))
    assert {n: LOCK.get(n) for n in wanted} == wanted


def test_cuda_image_and_env_carry_the_same_cuda_pins():
    cuda = read_pins(os.path.join(ROOT, "requirements-cuda12.lock"))
    env = open(os.path.join(ROOT, "envs", "jax-cuda12.yaml")).read()
    for name, version in cuda.items():
        assert re.search(rf"{name}=={re.escape(version)}", env, re.I), name


def test_dockerfiles_pass_hadolint():
    hadolint = os.path.join(os.path.dirname(sys.executable), "hadolint")
    done = subprocess.run([hadolint, *DOCKERFILES], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr


def library_modules(paths: list[str]) -> set[str]:
    """The library modules these files import at their top level."""
    modules = set()
    for path in paths:
        text = open(path).read()
        modules |= set(re.findall(r"^from (embedding_limits[\w.]*) import", text, re.M))
        modules |= library_submodules(text)
    return modules


def import_without_jax(
    modules: set[str], also=("jax", "optax")
) -> subprocess.CompletedProcess:
    """Import ``modules`` where ``also`` (JAX and optax) cannot be imported."""
    code = ("import sys; " + "; ".join(f"sys.modules[{m!r}] = None" for m in also)
            + "; " + "; ".join(f"import {m}" for m in sorted(modules)))  # fmt: skip
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=os.path.join(ROOT, "workflow", "scripts"))  # fmt: skip


def test_the_analysis_env_runs_its_scripts_without_jax():
    """envs/analysis.yaml has no JAX or optax: the library modules its rules'
    scripts import must not bring them in, even indirectly."""
    scripts = sorted(scripts_by_env()["analysis"])
    assert "aggregate_runs.py" in scripts and "plot_figure.py" in scripts
    paths = [os.path.join(ROOT, "workflow", "scripts", name) for name in scripts]
    done = import_without_jax(library_modules(paths))
    assert done.returncode == 0, done.stderr[-1500:]


def test_the_snakefile_imports_no_jax_and_no_plotting():
    """Every parse of the Snakefile (each run, dry run and cluster job) pays
    for what it imports: its config checks and job planning need no JAX, and
    no matplotlib, pandas or scipy."""
    rules = glob.glob(os.path.join(ROOT, "workflow", "rules", "*.smk"))
    modules = library_modules([os.path.join(ROOT, "Snakefile"), *rules])
    assert {"embedding_limits.config.load", "embedding_limits.store.paths"} <= modules
    heavy = ("jax", "optax", "matplotlib", "pandas", "scipy")
    done = import_without_jax(modules, also=heavy)
    assert done.returncode == 0, done.stderr[-1500:]
