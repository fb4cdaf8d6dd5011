"""A config's jobs against the memory one job may have, before any job runs;
and the ``mem_mb`` each rule declares (``*_mem_mb``, from the estimates of
sizes.py).

The workflow learns one number, ``cap_mb``: the ``mem_mb`` resource, which is
the machine's memory on a local run and the largest partition's on a cluster
(docs/running.md, "Memory"). Against it, :func:`config_errors` lists every job that can
never fit, by the config key that asks for it and the size it needs, and the
``largest_*`` functions tell each search where to stop. The sizes are
sizes.py's (no JAX here).
"""

from __future__ import annotations

import itertools
import math

from ..config.protocol import Protocol
from ..config.sections import d_of_n_ns, searched
from ..data.folder import FolderSpec
from ..data.limit_text import DatasetSpec
from ..data.qrels import protocol_queries
from ..store.documents import ResultError, load_summary, load_witness
from .sizes import (
    MB,
    dataset_job_mb,
    dataset_witness_job_mb,
    embed_job_mb,
    folder_job_mb,
    largest_fitting,
    optimize_job_mb,
    qrels_job_mb,
    score_job_mb,
    size,
    witness_job_mb,
)


def probe_mb(k: int, d: int, n: int, protocol: Protocol) -> int:
    """The larger of a probe's two jobs: its qrels (every k-subset) and its
    optimisation (of the protocol's queries: with query_sizes 1..k, the
    smaller subsets too)."""
    return max(qrels_job_mb(n, k), optimize_mem_mb(protocol, n, d, k))


def largest_n(
    cap_mb: int, k: int, d: int, protocol: Protocol, max_n: int
) -> int | None:
    """The largest n <= max_n whose probe fits; None when not even k + 1 does."""
    return largest_fitting(
        lambda n: probe_mb(k, d, n, protocol) <= cap_mb, k + 1, max_n
    )


def largest_d(cap_mb, queries, documents, k, loss, max_d) -> int | None:
    """The largest d <= max_d whose optimisation of a dataset's qrels fits."""
    return largest_fitting(
        lambda d: optimize_job_mb(queries, documents, d, k, loss) <= cap_mb, 1, max_d
    )


def largest_d_of_n(
    cap_mb: int, k: int, n: int, protocol: Protocol, max_d: int
) -> int | None:
    """The largest d <= max_d whose probe of n documents (its qrels and its
    optimisation) fits; None when not even d = 1 does."""
    return largest_fitting(lambda d: probe_mb(k, d, n, protocol) <= cap_mb, 1, max_d)


def witness_start(k: int, max_n: int) -> int:
    """The first n a witness search checks: 2k + 1, one more document than
    dimensions (at most max_n)."""
    return min(2 * k + 1, max_n)


def witness_limit(cap_mb: int, k: int, max_n: int) -> int | None:
    """The largest n <= max_n that a witness job of top-k can check; None
    when not even its first n fits."""
    return largest_fitting(
        lambda n: witness_job_mb(k, n) <= cap_mb, witness_start(k, max_n), max_n
    )


def _search_errors(config, protocols, cap_mb) -> list[str]:
    errors = []
    grid = {int(d): ns for d, ns in config["search"]["grid"].items()}
    searched_protocols = [
        (name, protocols[name]) for name in searched({**config, "protocols": protocols})
    ]
    for (i, d), k, (name, protocol) in itertools.product(
        enumerate(config["dims"]), config["ks"], searched_protocols
    ):
        job = f"(k = {k}, protocol {name})"
        if d not in grid:  # a search: its smallest n must fit
            if largest_n(cap_mb, k, d, protocol, k + 1) is None:
                need = size(probe_mb(k, d, k + 1, protocol) * MB)
                errors.append(f"dims[{i}]: d = {d} {job}: not even n = {k + 1} "
                              f"fits ({need})")  # fmt: skip
            continue
        fit = largest_n(cap_mb, k, d, protocol, max(grid[d]))
        fits = f"at d = {d}, n <= {fit} fits" if fit else f"no n > {k} fits"
        for n in sorted(n for n in grid[d] if n > (fit or 0)):
            need = size(probe_mb(k, d, n, protocol) * MB)
            errors.append(f"search.grid.{d}: n = {n} {job} needs {need}; {fits}")
    return errors


def _dataset_errors(config, protocols, datasets, cap_mb) -> list[str]:
    errors = []
    for name, spec in datasets.items():
        q, n, k = spec.queries, spec.documents, spec.k
        need = dataset_mem_mb(spec)
        if need > cap_mb and isinstance(spec, FolderSpec):
            errors.append(f"datasets.{name}: reading its {n} documents and {q} "
                          f"queries needs {size(need * MB)}")  # fmt: skip
        elif need > cap_mb:
            errors.append(f"datasets.{name}: making it ({n} documents x "
                          f"{spec.attributes_per_doc} attributes_per_doc) needs "
                          f"{size(need * MB)}; lower them")  # fmt: skip
        if not config["critical_d"]["enabled"] or k is None:
            continue
        for protocol, p in protocols.items():
            if largest_d(cap_mb, q, n, k, p.loss, 1) is None:
                need = optimize_job_mb(q, n, 1, k, p.loss)
                errors.append(f"datasets.{name}: optimising its {q} queries x {n} "
                              f"documents (protocol {protocol}) needs "
                              f"{size(need * MB)} even at d = 1")  # fmt: skip
    return errors


def _d_of_n_errors(config, protocols, cap_mb) -> list[str]:
    """A smallest-d search whose first d cannot fit: its start, at each n."""
    c = config["critical_d_of_n"]
    if not c["enabled"]:
        return []
    errors, k, d = [], c["k"], c["start"]
    lists = d_of_n_ns({**config, "protocols": protocols})
    for name, ns in lists.items():
        for i, n in enumerate(ns):
            need = probe_mb(k, d, n, protocols[name])
            if need <= cap_mb:
                continue
            fit = largest_d_of_n(cap_mb, k, n, protocols[name], d)
            fits = f"d <= {fit} fits" if fit else f"no d fits at n = {n}"
            errors.append(f"critical_d_of_n.ns[{i}]: n = {n} (k = {k}, protocol "
                          f"{name}) needs {size(need * MB)} at d = {d} "
                          f"(critical_d_of_n.start); {fits}")  # fmt: skip
    return errors


def witness_too_big(k: int, max_n: int, cap_mb: int) -> str | None:
    """Why a witness job of top-k cannot fit in ``cap_mb``, or None if it can."""
    if witness_limit(cap_mb, k, max_n) is not None:
        return None
    n = witness_start(k, max_n)
    fitting = [j for j in range(1, k) if witness_limit(cap_mb, j, max_n)]
    fix = f"k <= {max(fitting)} fits" if fitting else "no k fits"
    return (f"k = {k}: its first check, n = {n} ({math.comb(n, k):,} queries), "
            f"needs {size(witness_job_mb(k, n) * MB)}; {fix}")  # fmt: skip


def _witness_errors(config, cap_mb) -> list[str]:
    w = config["witnesses"]
    found = [(i, witness_too_big(k, w["max_n"], cap_mb)) for i, k in enumerate(w["ks"])]
    return [f"witnesses.ks[{i}]: {why}" for i, why in found if why]


def sweep_errors(config: dict, sweeps: dict, protocols: dict, cap_mb: int) -> list[str]:
    """Each sweep combination whose search cannot fit even its smallest n in
    ``cap_mb``, named by its sweep's key (``protocols``: every protocol, the
    combinations' too)."""
    errors = []
    for sweep in sweeps.values():
        for point, k, d in itertools.product(sweep.points, config["ks"], sweep.dims):
            if largest_n(cap_mb, k, d, protocols[point.protocol], k + 1) is None:
                need = size(probe_mb(k, d, k + 1, protocols[point.protocol]) * MB)
                at = ", ".join(f"{key} = {v}" for key, v in point.settings.items())
                errors.append(f"sweeps.{sweep.name}: d = {d}, k = {k} ({at}): not "
                              f"even n = {k + 1} fits ({need})")  # fmt: skip
    return errors


def config_errors(
    config: dict, protocols: dict[str, Protocol], datasets: dict, cap_mb: int
) -> list[str]:
    """Every job of a checked config that cannot fit in ``cap_mb``, each named
    by its key with the size it needs (``protocols`` and ``datasets``: the
    config's, by name, as config.load builds them)."""
    return (
        _search_errors(config, protocols, cap_mb)
        + _dataset_errors(config, protocols, datasets, cap_mb)
        + _d_of_n_errors(config, protocols, cap_mb)
        + _witness_errors(config, cap_mb)
    )


def stopped_by_memory(
    reaches: dict[str, tuple[str, int]], witnesses: list[str], cap_mb: int | None
):
    """(file, where memory stopped it, how far this run may go) for each
    search summary (``reaches``: its path -> its axis and the largest value
    it may run here) or witness result that memory stopped short of what fits
    here. Their paths do not name the limit, so they are not redone on their
    own."""
    found = []
    for path in [*reaches, *witnesses]:
        try:
            record = (load_summary if path in reaches else load_witness)(path)
        except ResultError:
            continue  # missing; or stops the run elsewhere, with the reason
        if path in reaches:
            axis, now = reaches[path]
            was, capped = record.get("memory_limit"), record.get("capped_by_memory")
        else:
            k, max_n = record["k"], record["max_n_cap"]
            was, axis = record.get("memory_limit_n"), "n"
            now = cap_mb and witness_limit(cap_mb, k, max_n) or max_n
            capped = any(row.get("capped_by_memory") for row in record["placements"])
        if capped and was < now:
            found.append((path, f"{axis} = {was}", f"{axis} = {now}"))
    return found


def refusal(errors: list[str], cap_mb: int, source: str) -> str:
    """The message that stops a run whose jobs cannot fit."""
    return (
        f"nothing was run: one job may have {size(cap_mb * MB)} here ({source}), "
        "and these need more:\n  " + "\n  ".join(errors) + "\nLower them, or run "
        "where jobs may have more memory (docs/running.md, Memory: --resources "
        "mem_mb=N, or a cluster partition)."
    )


# -- the mem_mb each rule declares (the estimates: sizes.py) ------------------
def qrels_mem_mb(n: int, k: int) -> int:
    """The mem_mb of making the qrels of every k-subset of n documents."""
    return qrels_job_mb(n, k)


def dataset_mem_mb(spec: DatasetSpec | FolderSpec) -> int:
    """The mem_mb of making a LIMIT-style dataset, or of reading a folder's
    (its relevance for the optimiser, and its witness, take less)."""
    if isinstance(spec, FolderSpec):
        return folder_job_mb(spec.documents, spec.all_queries)
    return dataset_job_mb(spec.documents, spec.queries, spec.k, spec.attributes_per_doc)


def dataset_witness_mem_mb(spec: DatasetSpec | FolderSpec) -> int:
    """The mem_mb of a dataset's exact witness, every precision."""
    return dataset_witness_job_mb(spec.documents, spec.queries, spec.k)


def optimize_mem_mb(
    protocol: Protocol, n: int, d: int, k: int, queries: int | None = None
) -> int:
    """The mem_mb of one optimisation job: of ``queries`` (a dataset's), or
    without them of the protocol's own queries of n documents."""
    if queries is None:
        queries = protocol_queries(n, k, protocol.query_sizes)
    return optimize_job_mb(queries, n, d, k, protocol.loss)


def embed_mem_mb(spec: DatasetSpec) -> int:
    """The mem_mb of embedding a dataset (a profile may give a large model more)."""
    return embed_job_mb(spec.documents, spec.queries)


def score_mem_mb(spec: DatasetSpec) -> int:
    """The mem_mb of scoring a dataset's embeddings at one dim and precision."""
    return score_job_mb(spec.documents)


def witness_mem_mb(cap_mb: int | None, k: int, max_n: int) -> int:
    """A witness job's memory at the largest n it may check: max_n, or less
    where memory stops it (witness.py --memory-mb finds the same n)."""
    largest = cap_mb and witness_limit(cap_mb, k, max_n)
    return witness_job_mb(k, largest or max_n)
