#!/usr/bin/env python3
"""The precision-limited n of an exact witness, for every placement.

    python workflow/scripts/witness.py --construction moment --k 2 \\
        --precision float32 --out results/witnesses/moment/k~2/float32.json

For each placement of the construction it finds the largest n whose every
top-k subset is still exactly represented (strict gap) once documents and
queries are stored in --precision; the result names the best placement.
"""

from __future__ import annotations

import argparse
import sys
import time

from embedding_limits import cli
from embedding_limits.config.witness_choices import (
    ACCUMULATION,
    CONSTRUCTIONS,
    DEFAULTS,
    PLACEMENT_MODES,
    PRECISIONS,
)
from embedding_limits.files import write_json_atomic
from embedding_limits.memory.budget import witness_limit, witness_too_big
from embedding_limits.memory.limits import cpu_job_limit
from embedding_limits.memory.sizes import MB, size


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--construction", required=True, choices=CONSTRUCTIONS)
    p.add_argument("--k", type=cli.positive_int, required=True,
                   help="top-k size (k >= 1)")  # fmt: skip
    p.add_argument("--d", type=cli.positive_int,
                   help="dimension; the constructions need d = 2k")  # fmt: skip
    p.add_argument("--precision", required=True, choices=PRECISIONS)
    p.add_argument(
        "--placements",
        choices=PLACEMENT_MODES,
        default=DEFAULTS.placements,
        help="every placement, or the best known one (default: %(default)s)",
    )
    p.add_argument("--max-n", type=cli.positive_int, default=DEFAULTS.max_n,
                   help="the cap (default: %(default)s)")  # fmt: skip
    p.add_argument("--scan-limit", type=cli.positive_int,
                   default=DEFAULTS.scan_limit,
                   help="check every n up to this (default: %(default)s)")  # fmt: skip
    p.add_argument("--memory-mb", type=cli.positive_int,
                   help="memory the job may use; the search stops at the largest "
                   "n that fits (default: what this process may use)")  # fmt: skip
    p.add_argument("--out", required=True, help="result JSON path")
    args = p.parse_args(argv)
    cli.check_outputs(p, out=args.out)
    if args.k < 1:
        p.error(f"argument --k: need k >= 1, got {args.k}")
    if args.d is not None and args.d != 2 * args.k:
        p.error(f"argument --d: {args.d}, but the {args.construction} witness needs "
                f"d = 2k = {2 * args.k}")  # fmt: skip
    if args.max_n <= args.k:
        p.error(f"argument --max-n: must exceed k={args.k}, got {args.max_n}")
    if args.scan_limit < 1:
        p.error(f"argument --scan-limit: must be at least 1, got {args.scan_limit}")
    if args.memory_mb is None:  # what this process may use
        limit, source = cpu_job_limit()
        args.memory_mb = limit and limit // MB
    else:
        source = "--memory-mb"
    why = args.memory_mb and witness_too_big(args.k, args.max_n, args.memory_mb)
    if why:
        p.error(f"argument --k: {why} in {size(args.memory_mb * MB)} ({source})")
    args.fit_n = args.memory_mb and witness_limit(args.memory_mb, args.k, args.max_n)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import jax

    jax.config.update("jax_enable_x64", True)  # float64 witnesses need it
    from embedding_limits.witnesses.construction import PLACEMENTS, critical_witness_n

    placements = PLACEMENTS[args.construction]
    placements = placements[:1] if args.placements == "best" else placements
    rows, started = [], time.perf_counter()
    for placement in placements:
        limit = critical_witness_n(
            args.construction, args.k, args.precision, placement, args.max_n,
            args.scan_limit, fit_limit=args.fit_n,
        )  # fmt: skip
        at_max, failing = limit.at(limit.max_n), limit.at(limit.first_failing_n)
        rows.append({
            "placement": placement.name, "max_n": limit.max_n, "capped": limit.capped,
            "capped_by_memory": limit.capped_by_memory,
            "search_n": limit.search_n, "first_failing_n": limit.first_failing_n,
            "scanned_to": limit.scanned_to,
            "gap_at_max_n": at_max.min_gap if at_max else None,
            "gap_at_first_failing_n": failing.min_gap if failing else None,
            "violation": None if failing is None else {
                "subset": list(failing.violation[0]), "intruder": failing.violation[1]},
        })  # fmt: skip
        print(
            f"{args.construction} k={args.k} {args.precision} {placement.name}: "
            f"n = {limit.max_n}{'+' if limit.capped else ''}",
            file=sys.stderr,
        )
    best = max(
        range(len(rows)), key=lambda i: (rows[i]["max_n"] or 0, rows[i]["capped"])
    )
    write_json_atomic(args.out, {
        "construction": args.construction, "k": args.k, "d": 2 * args.k,
        "precision": args.precision, "accumulation": ACCUMULATION[args.precision],
        "max_n_cap": args.max_n, "scan_limit": args.scan_limit,
        "memory_mb": args.memory_mb, "memory_limit_n": args.fit_n,
        "placements": rows, "best": best,
        "seconds": time.perf_counter() - started,
    })  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
