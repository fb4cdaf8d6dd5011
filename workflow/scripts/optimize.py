#!/usr/bin/env python3
"""Optimise free embeddings for one (d, k, n) and every given seed.

Example (the published protocol, then a sigmoid one):
    python workflow/scripts/optimize.py --d 8 --n 30 --seeds 0 1 2 \\
        --device cpu --out d8_n30.json
    python workflow/scripts/optimize.py --d 5 --n 20 --seeds 0 --protocol \\
        name=sigmoid loss=sigmoid learn_temperature=true schedule=warmup_cosine \\
        early_stopping=false success=margin --out sigmoid.json

The workflow hands a job its protocol whole, as the JSON document of
Protocol.to_json (--protocol-json); --protocol KEY=VALUE is the form for people.

Progress goes to stderr; the result JSON is written atomically to --out.
"""

from __future__ import annotations

import argparse
import os
import sys

from embedding_limits.config.protocol import Protocol, ProtocolError, from_options
from embedding_limits.config.run_settings import (
    DEVICES,
    JAX_PLATFORMS,
    SEED_BATCHING,
    RunSettings,
    SettingsError,
)
from embedding_limits.files import check_writable

PUBLISHED = Protocol()


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--d", type=int, required=True, help="embedding dimension")
    p.add_argument("--k", type=int, help="relevant documents per query, the top-k "
                   "(default: that of --qrels, else 2)")  # fmt: skip
    p.add_argument("--n", type=int, help="documents; taken from --qrels when given")
    p.add_argument("--qrels", help="qrels .npz to optimise instead of all k-subsets")
    p.add_argument("--seeds", type=int, nargs="+", default=[42],
                   help="seeds, run in one compiled program (default: 42)")  # fmt: skip
    defaults = " ".join(PUBLISHED.options()[1:])
    given = p.add_mutually_exclusive_group()
    given.add_argument("--protocol", nargs="+", default=[], metavar="KEY=VALUE",
                       help="settings over the published ones, each key once "
                       "(named custom where one differs, unless name= is given): "
                       f"{defaults}")  # fmt: skip
    given.add_argument("--protocol-json", metavar="DOCUMENT",
                       help="the whole protocol as one JSON object of every "
                       "setting, as Protocol.to_json writes it (the workflow's "
                       "form)")  # fmt: skip
    p.add_argument("--max-queries", type=int, help="a sample of queries per seed")
    p.add_argument(
        "--device",
        choices=DEVICES,
        default="auto",
        help="where to run; gpu never falls back (default: auto)",
    )
    p.add_argument("--seed-batching", choices=SEED_BATCHING, default="auto",
                   help="seeds at once (vmap) or in turn (default: auto)")  # fmt: skip
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic GPU kernels (slower; see "
                   "docs/reproducibility.md)")  # fmt: skip
    p.add_argument("--out", required=True, help="result JSON path")
    args = p.parse_args(argv)
    if args.qrels is None and args.n is None:
        p.error("argument --n: required unless --qrels is given")
    args.parser = p
    return args


def settings_from(args, qrels) -> RunSettings:
    """RunSettings from the arguments; errors name the argument."""
    fail = args.parser.error
    k = args.k if args.k is not None else 2
    if qrels is not None:
        counts = set((qrels.relevant >= 0).sum(axis=1).tolist())
        if args.k is None and len(counts) == 1:
            k = counts.pop()
        elif counts != {k}:
            fail(f"argument --k: {k}, but the queries of {args.qrels} have "
                 f"{sorted(counts)} relevant documents each")  # fmt: skip
        if args.n not in (None, qrels.num_docs):
            fail(f"argument --n: {args.n} != the {qrels.num_docs} documents of "
                 f"{args.qrels}")  # fmt: skip
    option = "--protocol-json" if args.protocol_json is not None else "--protocol"
    try:
        protocol = (
            Protocol.from_json(args.protocol_json)
            if args.protocol_json is not None
            else from_options(args.protocol)
        )
    except (ProtocolError, TypeError) as err:
        errors = getattr(err, "errors", {"protocol": str(err)})
        key, message = next(iter(errors.items()))
        fail(f"argument {option}: {key}: {message}")
    try:
        return RunSettings(
            d=args.d, n=qrels.num_docs if qrels else args.n, k=k,
            seeds=tuple(args.seeds), protocol=protocol, max_queries=args.max_queries,
            device=args.device, seed_batching=args.seed_batching,
            deterministic=args.deterministic,
        )  # fmt: skip
    except SettingsError as err:
        name, message = next(iter(err.errors.items()))
        fail(f"argument --{name.replace('_', '-')}: {message}")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.device in JAX_PLATFORMS:  # before JAX starts
        os.environ["JAX_PLATFORMS"] = JAX_PLATFORMS[args.device]
    if args.deterministic:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_gpu_deterministic_ops=true".strip()
    from embedding_limits.data.qrels import load_qrels

    try:
        qrels = load_qrels(args.qrels) if args.qrels else None
    except ValueError as err:
        args.parser.error(f"argument --qrels: {err}")
    settings = settings_from(args, qrels)
    try:
        check_writable(args.out)
    except OSError as err:
        reason = err.strerror or str(err)
        args.parser.error(f"argument --out: cannot write {args.out}: {reason}")

    from embedding_limits.files import write_json_atomic
    from embedding_limits.free_embedding.devices import DeviceError
    from embedding_limits.free_embedding.job import run_job
    from embedding_limits.free_embedding.progress import ProgressReporter

    s = settings
    label = f"{s.protocol.name} d={s.d} k={s.k} n={s.n}"
    try:
        with ProgressReporter(label, s.protocol.max_steps) as report:
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
