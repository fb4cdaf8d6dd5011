#!/usr/bin/env python3
"""Start optimisation protocols from an exact float32 witness (d = 2k): do
they keep the 100% top-k accuracy they start with?

    python tools/polish_witness.py --n 10 20 40 80
    python tools/polish_witness.py --n 20 --protocol \\
        name=sigmoid loss=sigmoid learn_temperature=true schedule=warmup_cosine \\
        early_stopping=false success=margin max_steps=5000

Each --protocol (KEY=VALUE settings over the published ones, as optimize.py
takes them) runs from the witness of every --n, on the CPU, through the
reference loop. Without --protocol: the published protocol. It prints one row
per (protocol, n); --out also writes them as CSV.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import sys

import _library  # noqa: F401 (workflow/scripts on sys.path)
from embedding_limits import cli
from embedding_limits.config.protocol import ProtocolError, from_options
from embedding_limits.config.witness_choices import CONSTRUCTIONS
from embedding_limits.files import check_writable, write_text_atomic


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--construction", default="trig_moment", choices=CONSTRUCTIONS,
                   help="the witness (default: trig_moment, unit-norm)")  # fmt: skip
    p.add_argument("--k", type=cli.positive_int, default=2,
                   help="top-k size; d = 2k (default 2)")  # fmt: skip
    p.add_argument("--n", type=cli.positive_int, nargs="+", required=True,
                   help="documents")  # fmt: skip
    p.add_argument("--protocol", nargs="+", action="append", metavar="KEY=VALUE",
                   help="a protocol (repeat the option for more)")  # fmt: skip
    p.add_argument("--out", help="CSV of the rows")
    args = p.parse_args(argv)
    if args.k < 1:
        p.error(f"argument --k: must be at least 1, got {args.k}")
    if any(n <= args.k for n in args.n):
        p.error(f"argument --n: every n must exceed k = {args.k}, got {args.n}")
    try:
        args.protocols = [from_options(words) for words in args.protocol or [[]]]
    except (ProtocolError, TypeError) as err:
        key, message = next(iter(getattr(err, "errors", {"": str(err)}).items()))
        p.error(f"argument --protocol: {key}: {message}")
    if args.out:
        check_writable(args.out)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import jax

    jax.config.update("jax_platforms", "cpu")
    from embedding_limits.witnesses.polish import polish

    rows = []
    print(f"{'protocol':>12} {'n':>4} {'start':>6} {'step 1':>6} {'lowest':>6} "
          f"{'final':>6} {'margin':>9} {'steps':>6}  stop")  # fmt: skip
    for protocol in args.protocols:
        for n in args.n:
            try:
                r = polish(args.construction, args.k, n, protocol)
            except ValueError as err:
                sys.exit(f"polish_witness.py: {err}")
            rows.append(dataclasses.asdict(r))
            print(f"{r.protocol:>12} {n:>4} {r.start_accuracy:>6.3f} "
                  f"{r.first_accuracy:>6.3f} {r.lowest_accuracy:>6.3f} "
                  f"{r.final_accuracy:>6.3f} {r.final_margin:>9.2e} {r.steps:>6}  "
                  f"{r.stop_reason}", flush=True)  # fmt: skip
    if args.out:
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        write_text_atomic(args.out, text.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
