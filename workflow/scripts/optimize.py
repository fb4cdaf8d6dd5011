#!/usr/bin/env python3
"""Optimise free embeddings for one (d, k, n) and every given seed.

Example:
    python workflow/scripts/optimize.py --d 8 --k 2 --n 30 --seeds 0 1 2 \\
        --device cpu --out results/runs/k~2/d~8/n~30.json

Progress goes to stderr; the result JSON is written atomically to --out.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from free_embedding.settings import (
    DEVICES,
    JAX_PLATFORMS,
    PRECISIONS,
    SEED_BATCHING,
    RunSettings,
    SettingsError,
)

DEFAULTS = {
    f.name: f.default
    for f in dataclasses.fields(RunSettings)
    if f.default is not dataclasses.MISSING
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.set_defaults(**DEFAULTS)

    def option(name, help, **kw):
        default = DEFAULTS.get(name.lstrip("-").replace("-", "_"))
        p.add_argument(name, help=f"{help} (default: {default})", **kw)

    option("--d", "embedding dimension", type=int, required=True)
    option("--k", "relevant documents per query, the top-k", type=int)
    option("--n", "documents; taken from --qrels when given", type=int)
    option("--qrels", "qrels .npz to optimise instead of all k-subsets of n")
    option("--seeds", "seeds, all run in one batched program", type=int, nargs="+")
    option("--learning-rate", "Adam learning rate", type=float)
    option("--temperature", "InfoNCE temperature", type=float)
    option("--max-steps", "step limit", type=int)
    option("--patience", "early-stopping patience, in steps", type=int)
    option("--min-delta", "early-stopping minimum loss improvement", type=float)
    option("--eval-every", "steps between top-k evaluations", type=int)
    option("--max-queries", "cap on queries, sampled per seed", type=int)
    option("--device", "where to run", choices=DEVICES)
    option("--precision", "matmul precision on GPU", choices=PRECISIONS)
    option("--seed-batching", "seeds at once (vmap) or in turn", choices=SEED_BATCHING)
    option("--out", "result JSON path", required=True)
    args = p.parse_args(argv)
    if args.qrels is None and args.n is None:
        p.error("argument --n: required unless --qrels is given")
    args.parser = p
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.device in JAX_PLATFORMS:  # before JAX starts
        os.environ["JAX_PLATFORMS"] = JAX_PLATFORMS[args.device]
    from free_embedding.devices import DeviceError
    from free_embedding.job import run_job
    from free_embedding.progress import ProgressReporter
    from free_embedding.qrels import load_qrels
    from free_embedding.results import write_json_atomic

    try:
        qrels = load_qrels(args.qrels) if args.qrels else None
    except (ValueError, OSError) as err:
        args.parser.error(f"argument --qrels: {err}")
    if qrels is not None and args.n not in (None, qrels.num_docs):
        args.parser.error(
            f"argument --n: {args.n} != the {qrels.num_docs} documents of {args.qrels}"
        )
    try:
        settings = RunSettings(
            d=args.d, n=qrels.num_docs if qrels else args.n, k=args.k,
            seeds=tuple(args.seeds), learning_rate=args.learning_rate,
            temperature=args.temperature, max_steps=args.max_steps,
            patience=args.patience, min_delta=args.min_delta,
            eval_every=args.eval_every, max_queries=args.max_queries,
            device=args.device, precision=args.precision,
            seed_batching=args.seed_batching,
        )  # fmt: skip
    except SettingsError as err:
        name, message = next(iter(err.errors.items()))
        args.parser.error(f"argument --{name.replace('_', '-')}: {message}")
    label = f"d={settings.d} k={settings.k} n={settings.n}"
    try:
        with ProgressReporter(label, settings.max_steps) as report:
            document = run_job(settings, qrels, on_progress=report)
    except DeviceError as err:
        print(f"optimize.py: error: {err}", file=sys.stderr)
        return 2
    write_json_atomic(args.out, document)
    solved = document["metrics"]["seeds_solved"]
    print(f"{label}: solved by seeds {solved or 'none'} -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
