#!/usr/bin/env python3
"""Run the published script's optimiser and ours side by side, bit for bit.

Give it your copy of the published script (google-deepmind/limit,
code/free_embedding_experiment.py); it is imported, not copied. For each
(d, n, seed) it runs the published ``optimize_embeddings`` on the CPU, as the
script intends it to be called, then this repository's fused engine and
reference loop, and prints whether every evaluated loss and accuracy, the
best monitored loss and the final accuracy are equal to the last bit.

    python tools/compare_published.py \\
        --published ../limit/code/free_embedding_experiment.py \\
        --cases 3,8,0 3,8,1 4,9,42 4,10,42 \\
        [--reference tests/fixtures/published_reference.json]

With --reference the published numbers are written there, with the
fingerprint of what decided their bits (versions, platform, CPU model and
instruction-set features, XLA_FLAGS). tests/free_embedding/test_published.py
compares our loops with that file only where the fingerprint matches, since
XLA:CPU's last bits follow the CPU; to make the file anew for your machine:

    python tools/compare_published.py \
        --published ../limit/code/free_embedding_experiment.py \
        --cases 3,8,0 3,8,1 4,9,42 4,10,42 5,12,3 6,19,0 \
        --reference tests/fixtures/published_reference.json

or, without a stored file, let the test run the script itself:
``LIMIT_PUBLISHED_SCRIPT=../limit/code/free_embedding_experiment.py make test``.

Note: the released script's ``run_experiment_base`` passes ``device`` (and
every command-line flag) on to ``optimize_embeddings``, which takes no such
arguments, so each experiment of the released search raises TypeError, which
the script catches and logs. This tool calls ``optimize_embeddings`` with
the arguments it takes.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

import _library  # noqa: F401 (workflow/scripts on sys.path)

os.environ["JAX_PLATFORMS"] = "cpu"


def load_published(path: str):
    spec = importlib.util.spec_from_file_location("published_free_embedding", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.sample_list = lambda items, max_length=100: items  # keep every point
    return module


def run_published(module, d: int, n: int, seed: int) -> dict:
    qrels = module.create_combinatorial_qrels(n=n, k=2, q_limit=None, seed=seed + 1)
    defaults = module.DEFAULT_EXPERIMENT_PARAMS
    data = {"qrels_dict": qrels, "device_context": module.get_device_context("cpu")}
    metrics = module.optimize_embeddings(
        experiment_data=data,
        q=len(qrels), n=n, d=d, k=2, seed=seed, show_progress=False,
        learning_rate=defaults["learning_rate"],
        num_iterations=defaults["num_iterations"],
        temperature=defaults["temperature"],
        log_interval=defaults["log_interval"],
        early_stopping_patience=defaults["early_stopping_patience"],
        early_stopping_min_delta=defaults["early_stopping_min_delta"],
        early_stopping_monitor_metric="loss",
        early_stopping_restore_best_weights=False,
    )  # fmt: skip
    keys = ("best_loss_monitored", "final_loss", "final_accuracy",
            "max_accuracy_observed", "losses", "accuracies")  # fmt: skip
    return {key: metrics[key] for key in keys}


def as_published(outcome) -> dict:
    """Our outcome in the published script's terms."""
    return {
        "best_loss_monitored": outcome.best_loss,
        "final_loss": outcome.final_loss,
        "final_accuracy": outcome.final_accuracy,
        "max_accuracy_observed": outcome.max_accuracy_observed,
        "losses": list(outcome.curve_losses),
        "accuracies": list(outcome.curve_accuracies),
    }


def ours(d: int, n: int, seed: int) -> tuple[dict, dict]:
    """(fused engine, reference loop), both in the published script's terms."""
    import jax

    from embedding_limits.config.run_settings import RunSettings
    from embedding_limits.free_embedding.engine import Engine
    from embedding_limits.free_embedding.job import seed_relevance
    from embedding_limits.free_embedding.stepwise import run_stepwise

    settings = RunSettings(d=d, n=n, seeds=(seed,), device="cpu")
    relevance = seed_relevance(settings)
    (fused,), _ = Engine(settings, relevance, jax.devices("cpu")[0]).run()
    return as_published(fused), as_published(run_stepwise(settings, seed, relevance))


def drift(reference_path: str) -> int:
    """How far this machine's trajectories lie from a reference made on
    another CPU (or with other XLA_FLAGS): no published script needed."""
    import json

    from embedding_limits.free_embedding.fingerprint import differences, fingerprint

    stored = json.load(open(reference_path))
    differ = differences(stored["fingerprint"], fingerprint())
    print("this machine differs from the reference in: "
          + ("; ".join(differ) or "nothing (the bits must be equal)"))  # fmt: skip
    print(f"{'d':>3} {'n':>3} {'seed':>5} {'evaluations':>13} {'final accuracy':>17} "
          f"{'max rel. loss diff':>19}")  # fmt: skip
    for case in stored["cases"]:
        d, n, seed = case["d"], case["n"], case["seed"]
        here, _ = ours(d, n, seed)
        pairs = list(zip(case["losses"], here["losses"], strict=False))
        worst = max(abs(a - b) / abs(a) for a, b in pairs)
        counts = f"{len(case['losses'])}/{len(here['losses'])}"
        accuracy = f"{case['final_accuracy']:.4f}/{here['final_accuracy']:.4f}"
        print(f"{d:>3} {n:>3} {seed:>5} {counts:>13} {accuracy:>17} {worst:>19.2e}",
              flush=True)  # fmt: skip
    print("(there/here: evaluations every 50 steps, so a moved early stop or "
          "success shows as another count)")  # fmt: skip
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--published", help="free_embedding_experiment.py")
    # the cases of docs/reproducibility.md
    named = ["3,8,0", "3,8,1", "4,9,42", "4,10,42", "5,12,3", "6,19,0"]
    p.add_argument("--cases", nargs="+", default=named,
                   help="d,n,seed triples (default: %(default)s)")  # fmt: skip
    p.add_argument("--reference", help="write the published numbers here (JSON)")
    p.add_argument(
        "--drift-from",
        metavar="REFERENCE",
        help="instead: how far this machine's trajectories lie from a reference "
        "file made elsewhere (no published script needed)",
    )
    args = p.parse_args(argv)
    if args.drift_from:
        if not os.path.isfile(args.drift_from):
            p.error(f"argument --drift-from: {args.drift_from} is not a file")
        return drift(args.drift_from)
    if not args.published:
        p.error("argument --published is required (or give --drift-from)")
    try:
        cases = [tuple(int(x) for x in case.split(",")) for case in args.cases]
        assert all(len(case) == 3 for case in cases)
    except (ValueError, AssertionError):
        p.error("argument --cases: each case is d,n,seed, e.g. 4,9,42")
    if not os.path.isfile(args.published):
        p.error(f"argument --published: {args.published} is not a file")
    module = load_published(args.published)
    print(
        f"{'d':>3} {'n':>3} {'seed':>5} {'published best loss':>20} "
        f"{'engine':>7} {'loop':>5}"
    )
    reference, exact = [], True
    for d, n, seed in cases:
        published = run_published(module, d, n, seed)
        fused, loop = ours(d, n, seed)
        same = (fused == published, loop == published)
        exact &= all(same)
        marks = ["exact" if ok else "DIFF" for ok in same]
        print(f"{d:>3} {n:>3} {seed:>5} {published['best_loss_monitored']:>20.12g} "
              f"{marks[0]:>7} {marks[1]:>5}", flush=True)  # fmt: skip
        reference.append({"d": d, "n": n, "seed": seed, **published})
    if args.reference:
        from embedding_limits.files import write_json_atomic
        from embedding_limits.free_embedding.fingerprint import fingerprint

        write_json_atomic(args.reference, {
            "made_by": "tools/compare_published.py",
            "published": "google-deepmind/limit code/free_embedding_experiment.py",
            "platform": "cpu", "fingerprint": fingerprint(), "cases": reference,
        })  # fmt: skip
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
