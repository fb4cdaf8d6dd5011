#!/usr/bin/env python3
"""On a GPU node: the GPU tests, the engine benchmark on the GPU and one
critical-n search at d = 20, written up as a short report.

    make gpu-check                      # the pinned GPU venv (make venv GPU=1)
    make gpu-check GPU_PYTHON=python3   # an existing CUDA JAX install: add only
                                        # pure-Python packages (pytest, snakemake,
                                        # optax, pandas, ... as this prints)

The report (default docs/gpu-check.md) says which versions ran.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NEEDED = {"jax": "jax", "optax": "optax", "numpy": "numpy", "pandas": "pandas",
          "matplotlib": "matplotlib", "yaml": "pyyaml", "tqdm": "tqdm",
          "scipy": "scipy", "pytest": "pytest", "snakemake": "snakemake",
          "jsonschema": "jsonschema", "tabulate": "tabulate"}  # fmt: skip


def versions() -> dict:
    names = ["jax", "jaxlib", "jax-cuda12-plugin", "jax-cuda13-plugin", "optax",
             "numpy", "snakemake", "snakemake-executor-plugin-slurm"]  # fmt: skip
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def run(cmd, **kw) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kw)
    return done, time.monotonic() - started


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--report", default=os.path.join(ROOT, "docs", "gpu-check.md"))
    p.add_argument("--d", type=int, default=20, help="the search's dimension")
    args = p.parse_args(argv)
    missing = [pkg for mod, pkg in NEEDED.items() if not importlib.util.find_spec(mod)]
    if missing:
        print(f"gpu-check: {sys.executable} lacks {', '.join(missing)}; add them "
              f"(pure Python): pip install {' '.join(missing)}",
              file=sys.stderr)  # fmt: skip
        return 2
    import jax

    try:
        gpu = jax.devices("gpu")[0]
    except RuntimeError as err:
        print(f"gpu-check: no GPU visible to JAX {jax.__version__} ({err}); run it "
              "on a GPU node, in the environment of `make venv GPU=1` or one with "
              "a CUDA JAX", file=sys.stderr)  # fmt: skip
        return 2
    env = {
        **os.environ,
        "REQUIRE_GPU": "1",
        "PYTHONPATH": os.path.join(ROOT, "workflow", "scripts"),
    }
    lines = [f"# GPU check ({time.strftime('%Y-%m-%d')})", "",
             f"- device: {gpu.device_kind} ({gpu.platform}), host {platform.node()}",
             f"- python {platform.python_version()} ({sys.executable})",
             "- versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
             ]  # fmt: skip
    if shutil.which("nvidia-smi"):
        smi, _ = run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                      "--format=csv,noheader"])  # fmt: skip
        lines.append(f"- nvidia-smi: {smi.stdout.strip()}")
    tests, seconds = run([sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p",
                          "no:cacheprovider", "tests"], env=env)  # fmt: skip
    summary = (tests.stdout.strip().splitlines() or ["(no output)"])[-1]
    lines += ["", "## GPU tests (`pytest -m gpu`, REQUIRE_GPU=1)", "",
              f"{summary} ({seconds:.0f} s)"]  # fmt: skip
    bench, seconds = run([sys.executable, "workflow/scripts/benchmark_engine.py",
                          "--device", "gpu"], env=env)  # fmt: skip
    lines += ["", f"## Engine benchmark on the GPU ({seconds:.0f} s)", "", "```",
              (bench.stdout or bench.stderr).strip(), "```"]  # fmt: skip
    with tempfile.TemporaryDirectory() as workdir:
        config = os.path.join(workdir, "config.yaml")
        with open(config, "w") as handle:
            handle.write(
                f"dims: [{args.d}]\nseeds: [42]\ndevice: gpu\ndatasets: {{}}\n"
            )
        search, seconds = run([sys.executable, "-m", "snakemake", "-s", "Snakefile",
                               "--directory", workdir, "--cores", "all",
                               "--configfile", config], env=env)  # fmt: skip
        table = os.path.join(workdir, "results", "tables", "critical_n.md")
        found = (
            open(table).read().strip()
            if os.path.exists(table)
            else search.stderr[-2000:]
        )
    title = f"## Critical-n search at d = {args.d} on the GPU ({seconds:.0f} s wall)"
    lines += ["", title, "", found, ""]
    text = "\n".join(lines)
    with open(args.report, "w") as handle:
        handle.write(text)
    print(text)
    failed = tests.returncode or bench.returncode or search.returncode
    return 1 if failed or not re.search(r"\d+ passed", summary) else 0


if __name__ == "__main__":
    sys.exit(main())
