"""Each conda env holds what its rules' scripts import (``--sdm conda``).

The scripts run here in the venv, which has everything; a conda env has only
what its YAML lists. So each env's scripts are imported here with every
third-party package outside that list refused, as if it were missing.
"""

import glob
import os
import re
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, SCRIPTS
from helpers import library_submodules, normal, scripts_by_env

ENVS = os.path.join(ROOT, "envs")

GATE = """
import importlib.abc, importlib.metadata, re, sys
allowed = set(sys.argv[1].split(','))
owners = importlib.metadata.packages_distributions()
normal = lambda name: re.sub(r'[-_.]+', '-', name).lower()
class Gate(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        dists = owners.get(name) if '.' not in name else None
        if dists and not {normal(d) for d in dists} & allowed:
            raise ImportError(f'{name} (pip: {dists[0]}) is not in this env')
sys.meta_path.insert(0, Gate())
sys.path.insert(0, sys.argv[2])
for module in sys.argv[3:]:
    __import__(module)
"""


def env_packages(name: str) -> set[str]:
    env = yaml.safe_load(open(os.path.join(ENVS, f"{name}.yaml")))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return {normal(re.split(r"[=<>\[]", line)[0]) for line in pip}


def imported_modules(script: str) -> set[str]:
    """The modules a script imports at its top level (the library included)."""
    text = open(os.path.join(SCRIPTS, script)).read()
    plain = re.findall(r"^import ([\w.]+)", text, re.M)
    source = re.findall(r"^from ([\w.]+) import", text, re.M)
    modules = {m for m in plain + source if m != "__future__"}
    return modules | library_submodules(text)


def test_every_env_is_used_by_some_rule():
    names = {os.path.basename(p)[:-5] for p in glob.glob(os.path.join(ENVS, "*.yaml"))}
    assert set(scripts_by_env()) == names


@pytest.mark.parametrize("env", sorted(scripts_by_env()))
def test_the_env_holds_what_its_scripts_import(env):
    scripts = scripts_by_env()[env]
    assert scripts, env
    modules = sorted(set().union(*(imported_modules(s) for s in scripts)))
    done = subprocess.run(
        [sys.executable, "-c", GATE, ",".join(env_packages(env)), SCRIPTS, *modules],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"envs/{env}.yaml: {done.stderr[-1500:]}"


def test_the_gate_refuses_what_an_env_lacks():
    """Without jsonschema in the list, the config schema's import of it is
    refused, naming the package to add."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            GATE,
            "numpy",
            SCRIPTS,
            "embedding_limits.config.schema",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "jsonschema (pip: jsonschema)" in done.stderr
