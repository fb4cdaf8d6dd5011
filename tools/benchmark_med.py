#!/usr/bin/env python3
"""MED's table through this workflow, timed per m beside the times MED reports.

Wang et al. (arXiv:2601.20844, code zihao-wang/med) report, for each number
of documents m, the smallest d at which centroid descent separates every
subset of 1 and 2 documents, and the wall time of that m's whole search on
their machine. This runs the same searches as docs/searches.md's command
(configs/protocols.yaml + configs/followup-tables.yaml, MED's part:
warm-started in turn, d from 4) with
snakemake in a fresh folder, one m more per invocation, so each m's time is
the wall time of the snakemake call that added it: its probes, the table,
and snakemake's own start (about 2 s). It prints both sides in one table.

    python tools/benchmark_med.py [--ns 10 20 40 80 160] [--seeds 0] [--cores 2]
        [--probe-ahead on|off|both]

--probe-ahead both runs the table twice, in fresh folders, with and without
critical_d_of_n.probe_ahead (each probe beside a guess of the next), and
prints both times side by side.

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
from embedding_limits.store.paths import CRITICAL_D_OF_N_TABLE

ROOT = _library.ROOT
SNAKEMAKE = os.path.join(os.path.dirname(sys.executable), "snakemake")
# results/upper_bound_witness (zihao-wang/med at 36f04f0): m -> (d, seconds)
MED = {10: (5, 1.4), 20: (8, 0.5), 40: (9, 1.3), 80: (12, 5.7), 160: (15, 47.2),
       320: (19, 468.0), 640: (24, 2111.4)}  # fmt: skip
TARGETS = {80: 15.0, 160: 60.0}  # issue #22: wall seconds on 2 cores
TABLE_TARGET = 300.0


def run(
    workdir: str, ns: list[int], seeds: list[int], cores: int, ahead: bool
) -> float:
    config = (f"critical_d_of_n={{enabled: true, start: 4, "
              f"probe_ahead: {str(ahead).lower()}, "
              f"ns: {{med: [{', '.join(map(str, ns))}]}}}}")  # fmt: skip
    command = [
        SNAKEMAKE, CRITICAL_D_OF_N_TABLE, "--cores", str(cores),
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


def table(ns: list[int], seeds: list[int], cores: int, ahead: bool):
    """Each m's seconds, and the rows of the table, run in a fresh folder."""
    with tempfile.TemporaryDirectory(prefix="benchmark-med-") as workdir:
        seconds = {}
        for i, m in enumerate(ns):
            seconds[m] = run(workdir, ns[: i + 1], seeds, cores, ahead)
            print(f"probe_ahead {ahead}: m = {m}: {seconds[m]:.1f} s", file=sys.stderr)
        path = os.path.join(workdir, CRITICAL_D_OF_N_TABLE)
        with open(path) as f:
            return seconds, {int(row["n"]): row for row in csv.DictReader(f)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ns", type=int, nargs="+", default=[10, 20, 40, 80, 160])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--probe-ahead", choices=["on", "off", "both"], default="on")
    args = parser.parse_args()
    modes = {"on": [True], "off": [False], "both": [True, False]}[args.probe_ahead]
    runs = {ahead: table(args.ns, args.seeds, args.cores, ahead) for ahead in modes}
    found = runs[modes[0]][1]
    timeless = lambda rows: {m: {**row, "seconds": None} for m, row in rows.items()}  # noqa: E731
    if any(timeless(r[1]) != timeless(found) for r in runs.values()):
        sys.exit("the tables differ with and without probe_ahead")
    heads = {True: "s ahead", False: "s one by one"}
    print(f"MED's table through snakemake, seeds {args.seeds}, {args.cores} cores\n")
    print(f"{'m':>5} {'d here':>7} {'per seed':>18} "
          + " ".join(f"{heads[a]:>12}" for a in modes)
          + f" {'target':>7} {'MED d':>6} {'MED s':>7}")  # fmt: skip
    for m in args.ns:
        row, (med_d, med_s) = found[m], MED.get(m, (None, None))
        target = f"{TARGETS[m]:.0f}" if m in TARGETS else ""
        times = " ".join(f"{runs[a][0][m]:>12.1f}" for a in modes)
        print(
            f"{m:>5} {row['smallest_d']:>7} {row['per_seed_smallest_d']:>18} "
            f"{times} {target:>7} {med_d or '':>6} {med_s or '':>7}"
        )
    totals = ", ".join(
        f"{sum(runs[a][0].values()):.1f} s {heads[a][2:]}" for a in modes
    )
    print(
        f"\nwhole table: {totals} here (target {TABLE_TARGET:.0f} s); "
        f"MED's: {sum(MED[m][1] for m in args.ns if m in MED):.1f} s"
    )


if __name__ == "__main__":
    main()
