"""Tables from the per-job result documents (pandas)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import paths
from .seeds import AT_LEAST, BELOW, seed_critical_n, seed_statistics

RUN_COLUMNS = [
    "protocol", "k", "d", "n", "seed", "num_queries", "solved", "max_accuracy",
    "final_accuracy", "final_margin", "steps_run", "stop_reason", "seconds",
]  # fmt: skip


def critical_n(solved_by_n: dict[int, bool]) -> tuple[int | None, int | None, bool]:
    """(critical n, first failed n, monotone) over the tested n.

    The critical n is the largest tested n such that every tested n up to it
    was solved; None when the smallest tested n already failed. ``monotone``
    is False when some larger n was solved after a failure.
    """
    critical, first_failed = None, None
    for n in sorted(solved_by_n):
        if first_failed is not None:
            break
        if solved_by_n[n]:
            critical = n
        else:
            first_failed = n
    monotone = first_failed is None or not any(
        solved for n, solved in solved_by_n.items() if n > first_failed
    )
    return critical, first_failed, monotone


def runs_table(documents: list[dict]) -> pd.DataFrame:
    """One row per (protocol, k, d, n, seed)."""
    rows = []
    for doc in documents:
        p, seconds = doc["parameters"], doc["timing"]["total_seconds"]
        for m in doc["metrics"]["seeds"]:
            rows.append({"protocol": p["protocol"]["name"], "k": p["k"], "d": p["d"],
                         "n": p["n"], **m, "seconds": seconds})  # fmt: skip
    table = pd.DataFrame(rows, columns=RUN_COLUMNS)
    return table.sort_values(["protocol", "k", "d", "n", "seed"], ignore_index=True)


def grid_seed_critical_n(solved_by_n: dict[int, bool]) -> str:
    """A seed's critical n over a grid's n (no search: its strict value)."""
    value, failed, _ = critical_n(solved_by_n)
    if value is None:
        return f"{BELOW}{min(solved_by_n)}"
    return f"{AT_LEAST}{value}" if failed is None else str(value)


def critical_n_table(
    runs: pd.DataFrame, searched: dict, paper: pd.DataFrame, seeds: dict | None = None
) -> pd.DataFrame:
    """Per (protocol, k, d), the critical n three ways.

    - ``critical_n``: the largest tested n such that every tested n up to it
      was solved by some seed (strict, any seed);
    - ``critical_n_search``: the boundary the published search reports
      (``searched`` maps (protocol, k, d) to it; None for a grid);
    - ``median_critical_n``: the median over every seed of its own critical
      n, from its own bracket (``seeds`` maps (protocol, k, d) to the search
      summary's per-seed entries; a grid's seeds take their strict value
      over the grid). A seed that solved no n down to the floor counts as
      below all others, and the median is empty where it falls on one. The
      paper ran one seed, so this is the value comparable with Table 6, and
      ``delta_vs_paper`` uses it; more seeds can only raise the any-seed one.
    - ``per_seed_critical_n``: each seed's, ``seed:n`` (bracketed), ``seed:<F``
      (none down to the floor F), ``seed:>=n`` (solved up to the cap);
      ``seed_range`` their lowest and highest.

    ``capped``: every tested n was solved, so no failure was seen above the
    critical n (the search stopped at max_n, or a grid solved all its n):
    every value of the row is a lower bound, not a measurement, and it has no
    difference from the paper.
    """
    paper_n = dict(zip(paper["d"], paper["critical_n"], strict=True))
    rows = []
    for (protocol, k, d), group in runs.groupby(["protocol", "k", "d"]):
        solved_any = group.groupby("n")["solved"].any().to_dict()
        strict, failed, monotone = critical_n(solved_any)
        capped = strict is not None and failed is None
        found = (seeds or {}).get((protocol, k, d))
        if found is not None:
            per_seed = {e["seed"]: seed_critical_n(e) for e in found}
        else:  # no search of its own (a grid): its strict value over the n run
            per_seed = {
                seed: grid_seed_critical_n(mine.set_index("n")["solved"].to_dict())
                for seed, mine in group.groupby("seed")
            }
        median, seed_range = seed_statistics(per_seed)
        # the best global margin among the seeds that solved the critical n
        at_critical = group[(group["n"] == strict) & group["solved"]]["final_margin"]
        reference = paper_n.get(d) if k == 2 else None
        compared = None if capped else reference  # a bound has no difference
        rows.append({
            "protocol": protocol, "k": k, "d": d, "critical_n": strict,
            "capped": capped,
            "critical_n_search": searched.get((protocol, k, d)),
            "median_critical_n": median,
            "seed_range": seed_range,
            "per_seed_critical_n": " ".join(
                f"{s}:{v}" for s, v in sorted(per_seed.items())),
            "first_failed_n": failed, "monotone": monotone,
            "tested_n": f"{min(solved_any)}-{max(solved_any)}",
            "margin_at_critical_n": at_critical.max() if len(at_critical) else None,
            "paper_critical_n": reference,
            "delta_vs_paper": None if compared is None or median is None
            else median - compared,
            "delta_any_seed_vs_paper": None if compared is None or strict is None
            else strict - compared,
            "seconds": round(float(group.drop_duplicates("n")["seconds"].sum()), 1),
        })  # fmt: skip
    integers = ["critical_n", "critical_n_search", "first_failed_n",
                "paper_critical_n", "delta_any_seed_vs_paper"]  # fmt: skip
    return pd.DataFrame(rows).astype(dict.fromkeys(integers, "Int64"))


def is_capped(critical: pd.DataFrame) -> pd.Series:
    """Which rows of critical_n.csv or critical_d.csv a capped search made:
    lower bounds, not measurements."""
    if "capped" not in critical:
        raise ValueError(
            "the critical-n or critical-d table has no 'capped' column: it was made "
            "before capped searches were marked; delete results/tables/critical_n.csv "
            "and results/tables/critical_d.csv and run snakemake again"
        )
    return critical["capped"].astype(bool)


def measured(critical: pd.DataFrame) -> pd.DataFrame:
    """The rows of critical_n.csv that are measurements: a critical n was
    found, and it is not a capped search's lower bound."""
    return critical[critical["median_critical_n"].notna() & ~is_capped(critical)]


def critical_d_table(searches: list[tuple[dict, list[dict]]]) -> pd.DataFrame:
    """Per (protocol, dataset): the smallest d some seed solved, and each seed's.

    ``searches`` pairs each dimension-search summary with its result documents.
    ``capped``: the search found no solved d up to max_d, so the critical d is
    above every tested d (and ``critical_d`` is empty). ``per_seed_critical_d``
    and ``median_critical_d`` as critical_d_of_n_table's, each seed's from its
    own bracket (its summary entry).
    """
    rows = []
    for summary, docs in searches:
        docs = sorted(docs, key=lambda doc: doc["parameters"]["d"])
        entries, median = _seeds_d(summary, docs, {})[1:]
        spec = summary["spec"]
        rows.append({
            "protocol": summary["protocol"], "dataset": spec["name"],
            "pattern": spec["pattern"], "documents": spec["documents"],
            "queries": spec["queries"], "k": spec["k"],
            "critical_d": summary["critical_d"],
            "capped": summary["critical_d"] is None,
            "median_critical_d": median, "per_seed_critical_d": entries,
            "tested_d": " ".join(str(doc["parameters"]["d"]) for doc in docs),
        })  # fmt: skip
    return pd.DataFrame(rows).astype({"critical_d": "Int64"})


def _seed_d(entry: dict, failed_before: int | None):
    """(smallest d, largest d known to fail below it, determined) of one seed
    from its summary entry (its bracket, search.py): as :func:`_smallest_d`,
    with a failure known from the n before (a warm start)."""
    unsolved, smallest = entry["boundary"]
    below = [d for d in (unsolved, failed_before) if d is not None]
    failed = max((d for d in below if smallest is None or d < smallest), default=None)
    determined = smallest is not None and (smallest == 1 or failed == smallest - 1)
    return smallest, failed, determined


def _seeds_d(summary: dict, docs: list[dict], before: dict):
    """Each seed's smallest d over a search's runs: (seed -> the largest d
    known to fail for it, its entries "seed:d ...", their median). From the
    summary's per-seed brackets; a summary without them (one seed, made
    before they were recorded) from that seed's outcomes over the runs."""
    entries, values, failures = [], [], {}
    if "seeds" in summary:
        found = {e["seed"]: _seed_d(e, before.get(e["seed"])) for e in summary["seeds"]}
    else:
        by_d = {doc["parameters"]["d"]: doc["metrics"]["seeds"] for doc in docs}
        seeds = {s["seed"] for ss in by_d.values() for s in ss} | set(before)
        found = {
            seed: _smallest_d({d: s["solved"] for d, ss in by_d.items() for s in ss
                               if s["seed"] == seed}, before.get(seed))
            for seed in seeds
        }  # fmt: skip
    for seed, (smallest, failed, determined) in sorted(found.items()):
        failures[seed] = failed
        entries.append(_seed_entry(seed, smallest, failed, determined))
        values.append(math.inf if smallest is None else smallest)
    median = float(np.median(values)) if values else math.inf
    return failures, " ".join(entries), median if math.isfinite(median) else None


def _smallest_d(solved_by_d: dict[int, bool], failed_before: int | None):
    """(smallest solved d, largest d known to fail below it, determined) of
    one seed or of any seed. ``failed_before``: a failure known from the
    search this one was warm-started from (a smaller n)."""
    smallest = min((d for d, ok in solved_by_d.items() if ok), default=None)
    below = [d for d, ok in solved_by_d.items() if not ok]
    below += [] if failed_before is None else [failed_before]
    below = [d for d in below if smallest is None or d < smallest]
    failed = max(below, default=None)
    determined = smallest is not None and (smallest == 1 or failed == smallest - 1)
    return smallest, failed, determined


def _seed_entry(seed: int, smallest, failed, determined) -> str:
    if smallest is not None:
        return f"{seed}:{smallest}" if determined else f"{seed}:<={smallest}"
    return f"{seed}:-" if failed is None else f"{seed}:>{failed}"


def _capped_by(summary: dict) -> str:
    """What stopped a search that solved no d: memory, max_d or its window."""
    low, high = summary["window"]
    if summary["capped_by_memory"]:
        return "memory"
    limit = summary["settings"]["limit"]
    return "max_d" if high >= limit or low > limit else "window"


def critical_d_of_n_table(searches: list[tuple[dict, list[dict]]]) -> pd.DataFrame:
    """Per (protocol, k, n): the smallest d that solves every k-subset of n
    documents, from the smallest-d searches (summary, result documents).

    - ``smallest_d``: the smallest tested d that some seed solved (the
      search's answer; empty when none did);
    - ``largest_failed_d``: the largest d known to fail for every seed below
      it: tested here, or, under a warm start, known for the n before (a
      larger n fails wherever a smaller one does: its qrels hold the
      smaller's). The smallest d lies in (largest_failed_d, smallest_d];
    - ``bracketed``: that interval holds one d (or smallest_d is 1): what was
      run determines it, assuming success is monotone in d (and, warm, in n);
      otherwise smallest_d is an upper bound;
    - ``capped``: no tested d solved: the smallest d is above
      largest_failed_d; ``capped_by`` says what stopped the search: its
      ``window`` (widen it), ``max_d``, or ``memory``;
    - ``per_seed_smallest_d``: each seed's, from its own bracket (the
      search's per-seed stage): ``seed:d`` determined, ``seed:<=d`` bounded
      (solved at the window's start, nothing below known to fail),
      ``seed:>f`` no d solved up to the cap;
    - ``median_smallest_d``: the median over every seed of its own smallest
      d (a bounded one as its bound; a seed that solved none counts as above
      all, and the median is empty when it falls on such a seed).
    """
    rows, known = [], {}  # (protocol, k, n) -> its failures, for the next n
    for protocol, k, n, summary, docs in sorted(
        ((*_d_of_n_subject(summary), summary, docs) for summary, docs in searches),
        key=lambda found: found[:3],
    ):
        after = (summary.get("after") or {}).get("n")
        row, known[protocol, k, n] = _d_of_n_row(
            summary, docs, known.get((protocol, k, after), (None, {}))
        )
        queries = (
            docs[0]["metrics"]["seeds"][0]["num_queries"] if docs else math.comb(n, k)
        )  # the protocol's own (MED's: 1..k)
        rows.append({"protocol": protocol, "k": k, "n": n,
                     "queries": queries, **row, "after_n": after})  # fmt: skip
    integers = ["smallest_d", "largest_failed_d", "after_n"]
    return pd.DataFrame(rows, columns=D_OF_N_COLUMNS).astype(
        dict.fromkeys(integers, "Int64")
    )


def _d_of_n_subject(summary: dict) -> tuple[str, int, int]:
    subject = paths.parse(paths.SUBJECT_D_OF_N, summary["subject"])
    return summary["protocol"], int(subject["k"]), int(subject["n"])


def _d_of_n_row(summary: dict, docs: list[dict], before: tuple) -> tuple[dict, tuple]:
    """One n's row, and the failures it hands on to the next n: (any seed's
    largest failed d, each seed's). ``before``: those of the n before it."""
    before_any, before_seed = before
    by_d = {doc["parameters"]["d"]: doc["metrics"]["seeds"] for doc in docs}
    any_seed = {d: any(s["solved"] for s in seeds) for d, seeds in by_d.items()}
    smallest, failed, determined = _smallest_d(any_seed, before_any)
    failures, entries, median = _seeds_d(summary, docs, before_seed)
    low, high = summary["window"]
    row = {
        "smallest_d": smallest, "capped": smallest is None, "bracketed": determined,
        "largest_failed_d": failed,
        "capped_by": None if smallest is not None else _capped_by(summary),
        "median_smallest_d": median,
        "per_seed_smallest_d": entries, "window": f"{low}-{high}",
        "tested_d": " ".join(map(str, sorted(by_d))),
        "seconds": round(sum(doc["timing"]["total_seconds"] for doc in docs), 1),
    }  # fmt: skip
    return row, (failed, failures)


D_OF_N_COLUMNS = [
    "protocol", "k", "n", "queries", "smallest_d", "capped", "bracketed",
    "largest_failed_d", "capped_by", "median_smallest_d", "per_seed_smallest_d",
    "window", "after_n", "tested_d", "seconds",
]  # fmt: skip


def dimension_runs_table(searches: list[tuple[dict, list[dict]]]) -> pd.DataFrame:
    """One row per (protocol, dataset, d, seed): what accuracy-vs-d plots."""
    rows = [
        {
            "protocol": summary["protocol"],
            "dataset": summary["spec"]["name"],
            "d": doc["parameters"]["d"],
            "seed": seed["seed"],
            "solved": seed["solved"],
            "max_accuracy": seed["max_accuracy"],
        }
        for summary, docs in searches
        for doc in docs
        for seed in doc["metrics"]["seeds"]
    ]
    return pd.DataFrame(rows).sort_values(
        ["protocol", "dataset", "d", "seed"], ignore_index=True
    )


def witness_tables(results: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the best placement per (construction, k, d, precision), every placement).

    ``max_n`` is strict (every n up to it holds); ``search_n`` the boundary
    the search found; ``capped``: still holding at the cap (so "at least");
    ``capped_by_memory``: that cap was the largest n that fit in memory.
    """
    every = []
    for result in results:
        for i, row in enumerate(result["placements"]):
            violation = row["violation"]
            every.append({
                "construction": result["construction"], "k": result["k"],
                "d": result["d"], "precision": result["precision"],
                "accumulation": result["accumulation"], "placement": row["placement"],
                "max_n": row["max_n"], "capped": row["capped"],
                "capped_by_memory": row.get("capped_by_memory", False),
                "search_n": row["search_n"], "first_failing_n": row["first_failing_n"],
                "gap_at_max_n": row["gap_at_max_n"],
                "gap_at_first_failing_n": row["gap_at_first_failing_n"],
                "violation": None if violation is None else
                f"query {violation['subset']} ranks document {violation['intruder']} "
                "in its top k",
                "best": i == result["best"], "cap": result["max_n_cap"],
            })  # fmt: skip
    every = pd.DataFrame(every).astype({"max_n": "Int64", "search_n": "Int64",
                                        "first_failing_n": "Int64"})  # fmt: skip
    best = every[every["best"]].drop(columns="best").reset_index(drop=True)
    return best, every.drop(columns="best")
