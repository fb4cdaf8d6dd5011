#!/usr/bin/env python3
"""On a GPU node: the GPU tests, the engine benchmark on the GPU, one
critical-n search at d = 20 and the rest of the test suite, each stage bounded
in time, written up as one report (default docs/gpu-check.md).

    make gpu-check                      # the pinned GPU venv (make venv GPU=1)
    make gpu-check GPU_PYTHON=python3   # an existing CUDA JAX of any version,
                                        # with the wheels of `make gpu-wheels`
                                        # carried in .whl/ (--wheels .whl)

--wheels DIR makes .gpu-venv/ in the checkout, a venv that sees this Python's
packages (its own JAX with CUDA among them), installs the wheels in DIR into
it without a network (pip --no-index --no-deps) and runs the check there.

Stages, in this order, each stopped (with everything it started) at its limit
and the whole check at --budget seconds: the `gpu` tests with REQUIRE_GPU=1,
the engine benchmark, the search, then every other test that can run there
(not the SLURM and image tests: they need root, apt and a network). Tests that
compare bits with the lock's versions skip themselves on other versions, with
the reason, which the report lists. The report is rewritten after each stage,
so a check stopped from outside keeps what it measured.

--allow-cpu runs the stages on the CPU where JAX sees no GPU. That is NOT a
GPU check: it proves the mechanism (versions, wheels, stages, time limits) on
a machine without one; its report goes to results/ and says so at the top.
"""

from __future__ import annotations

import argparse
import collections
import glob
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import site
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "workflow", "scripts")
LAYER = os.path.join(ROOT, ".gpu-venv")
NEEDED = {"jax": "jax", "optax": "optax", "numpy": "numpy", "pandas": "pandas",
          "matplotlib": "matplotlib", "yaml": "pyyaml", "tqdm": "tqdm",
          "scipy": "scipy", "pytest": "pytest", "snakemake": "snakemake",
          "jsonschema": "jsonschema", "tabulate": "tabulate",
          "bm25s": "bm25s", "pytrec_eval": "pytrec-eval-terrier",
          "wordllama": "wordllama",
          "static_model": "tokenlearn-static-model"}  # fmt: skip
VERSIONS = ["jax", "jaxlib", "jax-cuda13-plugin", "jax-cuda13-pjrt",
            "jax-cuda12-plugin", "jax-cuda12-pjrt", "optax", "numpy", "scipy",
            "pandas", "ml-dtypes", "snakemake", "pytest"]  # fmt: skip
# seconds each stage may take at most (the budget may leave it less)
LIMITS = {"install": 120, "gpu-tests": 90, "benchmark": 150, "search": 180,
          "suite": 150}  # fmt: skip
# tests the suite stage leaves out, with the reason the report gives
DESELECT = {
    "tests/workflow/test_pins.py::test_dockerfiles_pass_hadolint": "hadolint, a 12 MB "
    "binary that lints the Dockerfiles: nothing a GPU machine changes (CI runs it)",
}


def locked() -> dict[str, str]:
    pins = {}
    for name in ("requirements.lock", "requirements-cuda12.lock"):
        for line in open(os.path.join(ROOT, name)):
            pkg, _, version = line.split("#", 1)[0].strip().partition("==")
            if version:
                pins[re.sub(r"[-_.]+", "-", pkg).lower()] = version
    return pins


def versions() -> list[str]:
    """'name version', and the lock's version beside any that differs."""
    lock, found = locked(), []
    for name in VERSIONS:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        pinned = lock.get(name)
        other = f" (lock: {pinned})" if pinned and pinned != version else ""
        found.append(f"{name} {version}{other}")
    return found


def unmet_requirements(folder: str) -> list[str]:
    """What the distributions installed in ``folder`` require (extras aside)
    that no package on sys.path provides at a matching version."""
    from packaging.requirements import Requirement

    unmet = set()
    for dist in importlib.metadata.distributions(path=[folder]):
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker and not req.marker.evaluate({"extra": ""}):
                continue
            try:
                have = importlib.metadata.version(req.name)
            except importlib.metadata.PackageNotFoundError:
                have = None
            if have is None or not req.specifier.contains(have, prereleases=True):
                unmet.add(f"{dist.metadata['Name']} needs {req.name}{req.specifier}"
                          f" ({have or 'missing'})")  # fmt: skip
    return sorted(unmet)


def run(cmd, limit: float, env=None) -> dict:
    """Run cmd in its own session, output to a file; at ``limit`` seconds kill
    its whole process group (pytest's and Snakemake's children too)."""
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)  # fmt: skip
        try:
            proc.wait(timeout=max(limit, 1))
            stopped = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            stopped = True
        out.seek(0)
        text = out.read()
    return {"rc": proc.returncode, "out": text, "stopped": stopped,
            "seconds": time.monotonic() - started, "limit": limit}  # fmt: skip


def timing(stage: dict) -> str:
    took = f"{stage['seconds']:.0f} s of its {stage['limit']:.0f} s"
    return took + (", STOPPED at its limit" if stage["stopped"] else "")


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"


def pytest_summary(stage: dict) -> tuple[str, list[str]]:
    """pytest's final line and its short summary (skips with their reasons,
    failures, errors) and slowest tests; for a run stopped at its limit, the
    outcomes so far from -v's line per test."""
    lines = stage["out"].strip().splitlines()
    counts = r"\d+ (passed|failed|skipped|deselected|errors?|xfailed|xpassed)\b"
    final = next((ln.strip("= ") for ln in reversed(lines) if re.search(counts, ln)),
                 None)  # fmt: skip
    short = [ln for ln in lines
             if re.match(r"(SKIPPED|FAILED|ERROR|XFAIL|XPASS) ", ln)]  # fmt: skip
    if final is None:
        outcome = re.compile(r"\b(PASSED|FAILED|SKIPPED|ERROR)\b")
        per_test = [(m.group(1), ln) for ln in lines
                    if "::" in ln and (m := outcome.search(ln))]  # fmt: skip
        seen = collections.Counter(kind for kind, _ in per_test)
        so_far = ", ".join(f"{n} {kind.lower()}" for kind, n in seen.items())
        final = f"stopped before pytest finished, after {so_far or 'no test'}"
        short = [ln.strip() for kind, ln in per_test if kind in ("FAILED", "ERROR")]
    slowest = [f"slow: {ln}" for ln in lines
               if re.match(r"\d+\.\d+s (call|setup|teardown) ", ln)]  # fmt: skip
    return final, short + slowest


def finished_jobs(paths: list[str]) -> list[str]:
    """One line per optimisation job's result: n, outcome, steps, seconds and
    the device it ran on, in order of n."""
    jobs = []
    for path in paths:
        try:
            doc = json.load(open(path))
            seed, env = doc["metrics"]["seeds"][0], doc["environment"]
            jobs.append((doc["parameters"]["n"], (
                f"n = {doc['parameters']['n']}: "
                + ("solved" if seed["solved"] else "not solved")
                + f", {seed['steps_run']} steps in "
                f"{seed['optimization_duration_seconds']:.1f} s on "
                f"{env['device_kind']} ({env['backend']})")))  # fmt: skip
        except (OSError, ValueError, KeyError, IndexError, TypeError) as err:
            jobs.append((0, f"{os.path.basename(path)}: unreadable ({err!r})"))
    return [line for _, line in sorted(jobs)]


def layer(wheels: str, argv: list[str]) -> int:
    """Make LAYER over this Python, install the wheels into it offline, and
    run this check again under it."""
    started = time.monotonic()
    files = sorted(glob.glob(os.path.join(wheels, "*.whl")))
    if not files:
        print(f"gpu-check: no wheels in {wheels}: run `make gpu-wheels` where "
              "there is a network, and carry that folder", file=sys.stderr)  # fmt: skip
        return 2
    shutil.rmtree(LAYER, ignore_errors=True)
    venv.EnvBuilder(system_site_packages=True, with_pip=False, symlinks=True).create(
        LAYER
    )
    python = os.path.join(LAYER, "bin", "python")
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # this Python's site-packages (with their .pth files) after the layer's own:
    # a venv's --system-site-packages reaches only its base Python's
    sites = [d for d in site.getsitepackages() if os.path.isdir(d)]
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        sites.append(site.getusersitepackages())
    with open(os.path.join(purelib, "_gpu_check_base.pth"), "w") as handle:
        handle.write(f"import site; [site.addsitedir(d) for d in {sites!r}]\n")
    install = run([python, "-m", "pip", "install", "--quiet", "--no-index",
                   "--no-deps", "--no-compile", "--disable-pip-version-check",
                   *files], LIMITS["install"])  # fmt: skip
    if install["rc"] != 0 or install["stopped"]:
        print(f"gpu-check: installing {wheels} into {LAYER} failed "
              f"({timing(install)}):\n{tail(install['out'])}",
              file=sys.stderr)  # fmt: skip
        return 2
    size = sum(os.path.getsize(f) for f in files) / 2**20
    note = (f"layered over {sys.executable} in {os.path.relpath(LAYER, ROOT)}/: "
            f"{len(files)} wheels from {wheels}, {size:.1f} MiB, installed "
            f"offline in {time.monotonic() - started:.0f} s")  # fmt: skip
    env = {**os.environ, "GPU_CHECK_LAYER": note}
    sys.stdout.flush()
    os.execve(python, [python, os.path.abspath(__file__), *argv], env)
    return 2  # not reached


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--report", help="default docs/gpu-check.md (on the CPU: "
                   "results/gpu-check-on-cpu.md)")  # fmt: skip
    p.add_argument("--d", type=int, default=20, help="the search's dimension")
    p.add_argument("--wheels", help="install these wheels over this Python first")
    p.add_argument("--budget", type=float, default=480,
                   help="seconds for all stages together (default 480)")  # fmt: skip
    p.add_argument("--limit", action="append", default=[], metavar="STAGE=S",
                   help=f"a stage's limit in seconds (defaults: {LIMITS})")  # fmt: skip
    p.add_argument("--workers", type=int, help="pytest-xdist workers for the suite "
                   "(default: half the CPUs, at most 8; none below 8)")  # fmt: skip
    p.add_argument("--allow-cpu", action="store_true",
                   help="without a GPU, run on the CPU: NOT a GPU check")  # fmt: skip
    args = p.parse_args(argv)
    for item in args.limit:
        name, _, seconds = item.partition("=")
        if name not in LIMITS or not re.fullmatch(r"\d+(\.\d*)?", seconds):
            p.error(f"--limit {item}: give STAGE=SECONDS, STAGE one of {list(LIMITS)}")
        LIMITS[name] = float(seconds)
    if args.wheels:
        rest = [a for i, a in enumerate(argv) if a != "--wheels"
                and not a.startswith("--wheels=")
                and (i == 0 or argv[i - 1] != "--wheels")]  # fmt: skip
        return layer(os.path.abspath(args.wheels), rest)
    missing = [pkg for mod, pkg in NEEDED.items() if not importlib.util.find_spec(mod)]
    if missing:
        print(f"gpu-check: {sys.executable} lacks {', '.join(missing)}: run "
              "`make gpu-wheels` where there is a network, carry .whl/ and run "
              "`make gpu-check GPU_PYTHON=python3` (it passes --wheels .whl)",
              file=sys.stderr)  # fmt: skip
        return 2
    environ = dict(os.environ)  # the stages' environment
    # this process only looks at the GPU: without this it would hold 75% of
    # its memory (JAX's preallocation) while the stages run
    os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    import jax

    try:
        device, on_gpu = jax.devices("gpu")[0], True
    except Exception as err:  # RuntimeError; others where a plugin breaks
        if not args.allow_cpu:
            print(f"gpu-check: no GPU visible to JAX {jax.__version__} ({err}); run "
                  "it on a GPU node, in the environment of `make venv GPU=1` or one "
                  "with a CUDA JAX (--allow-cpu runs it on the CPU, as no GPU "
                  "check)", file=sys.stderr)  # fmt: skip
            return 2
        device, on_gpu = jax.devices("cpu")[0], False
    where = "gpu" if on_gpu else "cpu"
    default = ("docs", "gpu-check.md") if on_gpu else ("results", "gpu-check-on-cpu.md")
    report = args.report or os.path.join(ROOT, *default)
    os.makedirs(os.path.dirname(os.path.abspath(report)), exist_ok=True)
    deadline = time.monotonic() + args.budget
    path = environ.get("PYTHONPATH")
    env = {**environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": SCRIPTS + (os.pathsep + path if path else "")}  # fmt: skip
    title = "GPU check" if on_gpu else (
        "NOT a GPU check: gpu_check.py --allow-cpu, on a CPU")  # fmt: skip
    lines = [f"# {title} ({time.strftime('%Y-%m-%d %H:%M')})", "",
             f"- device: {device.device_kind} ({device.platform}; "
             f"{len(jax.devices())} device(s) of it), host {platform.node()}, "
             f"{os.cpu_count()} CPUs",
             f"- python {platform.python_version()} ({sys.executable})",
             "- versions: " + ", ".join(versions()),
             f"- time: the stages' limits {json.dumps(LIMITS)} s, "
             f"{args.budget:.0f} s in all"]  # fmt: skip
    if os.environ.get("GPU_CHECK_LAYER"):
        unmet = unmet_requirements(sysconfig.get_path("purelib"))
        lines.insert(4, f"- packages: {os.environ['GPU_CHECK_LAYER']}; their "
                     "requirements " + (f"not met: {'; '.join(unmet)}" if unmet
                                        else "are all met"))  # fmt: skip
    if shutil.which("nvidia-smi"):
        smi = run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                   "--format=csv,noheader"], 20)  # fmt: skip
        lines.append(f"- nvidia-smi: {smi['out'].strip()}")

    def write() -> None:
        with open(report, "w") as handle:
            handle.write("\n".join(lines) + "\n")

    def stage(name: str, cmd: list[str], stage_env: dict) -> dict | None:
        limit = min(LIMITS[name], deadline - time.monotonic())
        if limit < 10:
            return None
        return run(cmd, limit, stage_env)

    def not_run(heading: str) -> None:
        lines.extend(["", heading, "", "not run: the budget was spent"])
        write()

    write()
    failed = []

    # 1. the gpu tests: on a GPU a skip is a failure
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v"]
    heading = "## GPU tests (`pytest -m gpu`" + (
        ", REQUIRE_GPU=1)" if on_gpu else "; no GPU: they skip)")  # fmt: skip
    gpu_env = {**env, "REQUIRE_GPU": "1"} if on_gpu else env
    tests = stage("gpu-tests", [*pytest, "-m", "gpu", "tests"], gpu_env)
    if tests is None:
        not_run(heading)
        failed.append("gpu-tests")
    else:
        final, short = pytest_summary(tests)
        lines += ["", heading, "", f"{final} ({timing(tests)})"]
        lines += [f"- {ln}" for ln in short]
        if tests["rc"] or tests["stopped"] or (on_gpu and " passed" not in final):
            failed.append("gpu-tests")
            lines += ["", "```", tail(tests["out"]), "```"]
        write()

    # 2. the engine benchmark (it adds the large shapes on a GPU)
    heading = f"## Engine benchmark on the {where.upper()}"
    bench = stage("benchmark", [sys.executable, "tools/benchmark_engine.py",
                                "--device", where], env)  # fmt: skip
    if bench is None:
        not_run(heading)
        failed.append("benchmark")
    else:
        lines += ["", f"{heading} ({timing(bench)})", "", "```",
                  tail(bench["out"], 200), "```"]  # fmt: skip
        if bench["rc"] or bench["stopped"]:
            failed.append("benchmark")
        write()

    # 3. a critical-n search, through Snakemake as a user runs it
    heading = f"## Critical-n search at d = {args.d} on the {where.upper()}"
    with tempfile.TemporaryDirectory() as workdir:
        config = os.path.join(workdir, "config.yaml")
        with open(config, "w") as handle:
            handle.write(f"dims: [{args.d}]\nseeds: [42]\ndevice: {where}\n"
                         "datasets: {}\n")  # fmt: skip
        search = stage("search", [sys.executable, "-m", "snakemake",
                                  "results/tables/critical_n.md", "-s", "Snakefile",
                                  "--directory", workdir, "--cores", "all",
                                  "--configfile", config], env)  # fmt: skip
        table = os.path.join(workdir, "results", "tables", "critical_n.md")
        runs = glob.glob(os.path.join(workdir, "results", "runs", "**", "*.json"),
                         recursive=True)  # fmt: skip
        if search is None:
            not_run(heading)
            failed.append("search")
        else:
            found = (open(table).read().strip() if os.path.exists(table)
                     else "```\n" + tail(search["out"]) + "\n```")  # fmt: skip
            lines += ["", f"{heading} ({timing(search)} wall, {len(runs)} "
                      "optimisation jobs finished)", "", found, ""]  # fmt: skip
            lines += [f"- {job}" for job in finished_jobs(runs)]
            if search["rc"] or search["stopped"]:
                failed.append("search")
            write()

    # 4. every other test that can run here
    heading = "## The rest of the test suite"
    marks = "not gpu and not slurm and not containers"
    # pytest-xdist, where there: each test on the next free worker (module
    # fixtures run once per worker that needs them; they are read, not changed)
    count = args.workers
    if count is None:
        cpus = os.cpu_count() or 1
        count = min(8, cpus // 2) if cpus >= 8 else 0
    workers = []
    if count > 1 and importlib.util.find_spec("xdist"):
        workers = ["-n", str(count), "--dist", "load"]
    deselect = [a for t in DESELECT for a in ("--deselect", t)]
    suite_env = {**env, "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    suite = stage("suite", [*pytest, "-m", marks, *workers, *deselect,
                            "--durations=10", "tests"], suite_env)  # fmt: skip
    if suite is None:
        not_run(heading)
        failed.append("suite")
    else:
        final, short = pytest_summary(suite)
        lines += ["", f"{heading} (`pytest -m '{marks}'`"
                  + (f", {workers[1]} workers" if workers else "") + ")", "",
                  f"{final} ({timing(suite)})", "",
                  "Left out: the SLURM and image tests (they need root, apt and a "
                  "network); "
                  + "; ".join(f"`{t}`: {why}" for t, why in DESELECT.items())
                  + "."]  # fmt: skip
        lines += [f"- {ln}" for ln in short]
        if suite["rc"] or suite["stopped"]:
            failed.append("suite")
            if not short:
                lines += ["", "```", tail(suite["out"]), "```"]
        write()

    lines += ["", "**Result:** " + (f"not passed: {', '.join(failed)}" if failed
                                    else "every stage passed"), ""]  # fmt: skip
    write()
    print("\n".join(lines))
    print(f"gpu-check: wrote {report}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
