"""The tables of the searches over d (pandas): the critical d of each
dataset (``critical_d_table``, with ``dimension_runs_table``'s runs) and the
smallest d of each n (``critical_d_of_n_table``), each with every seed's own."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..store import paths


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
            "source": spec["source"], "documents": spec["documents"],
            "queries": spec["queries"], "k": spec["k"],
            "critical_d": summary["critical_d"],
            "capped": summary["critical_d"] is None,
            "median_critical_d": median, "per_seed_critical_d": entries,
            "tested_d": " ".join(str(doc["parameters"]["d"]) for doc in docs),
        })  # fmt: skip
    return pd.DataFrame(rows).astype({"critical_d": "Int64"})


def _seed_d(entry: dict, failed_before: int | None):
    """(smallest d, largest d known to fail below it, determined) of one seed
    from its summary entry (its bracket, search/brackets.py): as :func:`_smallest_d`,
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
