#!/usr/bin/env python3
"""MED's table through this workflow, timed per m beside the times MED reports.

Wang et al. (arXiv:2601.20844, code zihao-wang/med) report, for each number
of documents m, the smallest d at which centroid descent separates every
subset of 1 and 2 documents, and the wall time of that m's whole search on
their machine. This runs the same searches as the README's command
(configs/protocols.yaml + configs/followup-tables.yaml, MED's part:
warm-started in turn, d from 4) with
snakemake in a fresh folder, one m more per invocation, so each m's time is
the wall time of the snakemake call that added it: its probes, the table,
and snakemake's own start (about 2 s). It prints both sides in one table.

    python tools/benchmark_med.py [--ns 10 20 40 80 160] [--seeds 0] [--cores 2]

The compilation cache starts empty (as on a fresh clone), so the first
probes of every shape include their compile.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

import _library

ROOT = _library.ROOT
SNAKEMAKE = os.path.join(os.path.dirname(sys.executable), "snakemake")
# results/upper_bound_witness (zihao-wang/med at 36f04f0): m -> (d, seconds)
MED = {10: (5, 1.4), 20: (8, 0.5), 40: (9, 1.3), 80: (12, 5.7), 160: (15, 47.2),
       320: (19, 468.0), 640: (24, 2111.4)}  # fmt: skip
TARGETS = {80: 15.0, 160: 60.0}  # issue #22: wall seconds on 2 cores
TABLE_TARGET = 300.0


def run(workdir: str, ns: list[int], seeds: list[int], cores: int) -> float:
    config = (f"critical_d_of_n={{enabled: true, start: 4, "
              f"ns: {{med: [{', '.join(map(str, ns))}]}}}}")  # fmt: skip
    command = [
        SNAKEMAKE, "results/tables/critical_d_of_n.csv", "--cores", str(cores),
        "--snakefile", os.path.join(ROOT, "Snakefile"), "--directory", workdir,
        "--configfile", os.path.join(ROOT, "configs", "protocols.yaml"),
        "--config", config, f"seeds={seeds}", "--quiet",
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"snakemake failed:\n{done.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ns", type=int, nargs="+", default=[10, 20, 40, 80, 160])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="benchmark-med-") as workdir:
        seconds = {}
        for i, m in enumerate(args.ns):
            seconds[m] = run(workdir, args.ns[: i + 1], args.seeds, args.cores)
            print(f"m = {m}: {seconds[m]:.1f} s", file=sys.stderr)
        table = os.path.join(workdir, "results", "tables", "critical_d_of_n.csv")
        with open(table) as f:
            found = {int(row["n"]): row for row in csv.DictReader(f)}
    print(f"MED's table through snakemake, seeds {args.seeds}, {args.cores} cores\n")
    print(f"{'m':>5} {'d here':>7} {'per seed':>18} {'s here':>8} {'target':>7}"
          f" {'MED d':>6} {'MED s':>7}")  # fmt: skip
    for m in args.ns:
        row, (med_d, med_s) = found[m], MED.get(m, (None, None))
        target = f"{TARGETS[m]:.0f}" if m in TARGETS else ""
        print(
            f"{m:>5} {row['smallest_d']:>7} {row['per_seed_smallest_d']:>18} "
            f"{seconds[m]:>8.1f} {target:>7} {med_d or '':>6} {med_s or '':>7}"
        )
    total = sum(seconds.values())
    print(
        f"\nwhole table: {total:.1f} s here (target {TABLE_TARGET:.0f} s); "
        f"MED's: {sum(MED[m][1] for m in args.ns if m in MED):.1f} s"
    )


if __name__ == "__main__":
    main()
