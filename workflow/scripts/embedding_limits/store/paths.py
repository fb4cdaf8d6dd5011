"""Where the workflow's results live: each path template once, built and parsed here.

A template is Snakemake's pattern (``{name}`` for a wildcard), so the rules
name these constants as their outputs (``output: run=paths.RUN``); the search
builds its jobs' paths with :func:`build`, the result readers take a path
apart with :func:`parse`, and common.smk's wildcard constraints are
``WILDCARDS``. No JAX here: the Snakefile imports it.
"""

from __future__ import annotations

import functools
import re

from ..config.witness_choices import CONSTRUCTIONS, PRECISIONS
from ..data import beir
from ..embedders.backends import PRECISIONS as EMBEDDING_PRECISIONS

# A protocol's or a dataset's name: one path segment (the schema's
# propertyNames and protocol.NAME are checked against it by tests).
NAME = r"[A-Za-z0-9_][A-Za-z0-9_-]*"

# The parts of a path that name a job's qrels (its source), and a search's
# subject: its source and what it holds fixed.
SOURCE_K = "k~{k}"  # every k-subset of n documents
SOURCE_DATASET = "dataset~{dataset}"  # a dataset's qrels (n: its documents)
SUBJECT_N = "k~{k}/d~{d}"  # a critical-n search: the n of one (k, d)
SUBJECT_D = SOURCE_DATASET  # a critical-d search: the d of a dataset
SUBJECT_D_OF_N = "k~{k}/n~{n}"  # a smallest-d search: the d of n documents' k-subsets
SUBJECTS = (SUBJECT_N, SUBJECT_D, SUBJECT_D_OF_N)

QRELS = "results/qrels/k~{k}/n~{n}.npz"
QRELS_MANIFEST = "results/qrels/k~{k}/n~{n}.json"
RUN = "results/runs/protocol~{protocol}/{source}/d~{d}/n~{n}.json"
SUMMARY = "results/search/protocol~{protocol}/{subject}/{settings}.json"
WITNESS = "results/witnesses/{construction}/k~{k}/{precision}.json"
DATASET_WITNESS = "results/witnesses/dataset~{dataset}.json"  # every precision
EMBEDDINGS = "results/embeddings/{dataset}/embedder~{embedder}.npz"
EMBEDDER_SCORE = (
    "results/embedders/{dataset}/embedder~{embedder}"
    "/dim~{dim}/precision~{embedding_precision}.json"
)

# A dataset's folder in the workflow's own form: the MTEB/BEIR layout of
# data/beir.py, generated or read from the config's folder; what reading a
# folder found, kept by its content's digest (data/folder.py)
DATASET = "results/datasets/{dataset}"
DATASET_CHECKED = "results/datasets/.checked"
DATASET_CORPUS = f"{DATASET}/{beir.CORPUS}"
DATASET_QUERIES = f"{DATASET}/{beir.QUERIES}"
DATASET_QRELS_JSONL = f"{DATASET}/{beir.QRELS}"
DATASET_QRELS_TSV = f"{DATASET}/{beir.QRELS_TSV}"
DATASET_QRELS = f"{DATASET}/{beir.QRELS_NPZ}"  # the optimiser's
DATASET_MANIFEST = f"{DATASET}/{beir.MANIFEST}"

# The tables (CSV) and figures (PNG, with a PDF beside each) made from them
RUNS_TABLE = "results/tables/runs.csv"
CRITICAL_N_TABLE = "results/tables/critical_n.csv"
CRITICAL_N_MARKDOWN = "results/tables/critical_n.md"
FIT_TABLE = "results/tables/fit.csv"
CRITICAL_D_TABLE = "results/tables/critical_d.csv"
DIMENSION_RUNS_TABLE = "results/tables/dimension_runs.csv"
CRITICAL_D_OF_N_TABLE = "results/tables/critical_d_of_n.csv"
RETRIEVAL_TABLE = "results/tables/retrieval.csv"
EMBEDDERS_TABLE = "results/tables/embedders.csv"
WITNESS_TABLE = "results/tables/witness.csv"
WITNESS_PLACEMENTS_TABLE = "results/tables/witness_placements.csv"
DATASET_WITNESS_TABLE = "results/tables/dataset_witness.csv"
SWEEPS_TABLE = "results/tables/sweeps.csv"
FIGURE = "results/figures/{figure}.png"
FIGURE_PDF = "results/figures/{figure}.pdf"

_FIELD = re.compile(r"\{(\w+)\}")


def _one_of(choices) -> str:
    return "|".join(re.escape(choice) for choice in choices)


def any_of(names) -> str:
    """A wildcard constraint matching exactly ``names`` (none: nothing)."""
    return _one_of(names) if names else "(?!)"


def _pattern(template: str, wildcards: dict, named: bool = False) -> str:
    """The regular expression of ``template``: each wildcard by its
    constraint, as a named group where ``named``."""
    out, end = [], 0
    for field in _FIELD.finditer(template):
        out.append(re.escape(template[end : field.start()]))
        name = field[1]
        out.append(f"(?P<{name}>{wildcards[name]})" if named else
                   f"(?:{wildcards[name]})")  # fmt: skip
        end = field.end()
    return "".join(out) + re.escape(template[end:])


_PARTS = {"protocol": NAME, "dataset": NAME, "k": r"\d+", "d": r"\d+", "n": r"\d+"}
# Every wildcard of every rule, constrained: common.smk's wildcard_constraints.
WILDCARDS = {
    **_PARTS,
    "settings": r"[^/]+",
    "source": "|".join(_pattern(t, _PARTS) for t in (SOURCE_K, SOURCE_DATASET)),
    "subject": "|".join(_pattern(t, _PARTS) for t in SUBJECTS),
    "construction": _one_of(CONSTRUCTIONS),
    "precision": _one_of(PRECISIONS),
    "embedder": NAME,
    "dim": r"\d+",
    "embedding_precision": _one_of(EMBEDDING_PRECISIONS),
    "figure": rf"[a-z0-9_]+(?:~{NAME})?",  # sweep~NAME: a figure per sweep
}


@functools.cache
def _regex(template: str) -> re.Pattern:
    pattern = _pattern(template, WILDCARDS, named=True)
    # a result may stand under a folder of its own (a test's, a benchmark's)
    return re.compile(("(?:.*/)?" if template.startswith("results/") else "") + pattern)


def parse(template: str, path: str) -> dict[str, str] | None:
    """The wildcards of ``path``, a path of ``template`` (possibly under a
    folder); None when it is not one."""
    found = _regex(template).fullmatch(str(path))
    return found.groupdict() if found else None


def build(template: str, **wildcards) -> str:
    """``template`` with its wildcards filled in; a value that its wildcard's
    constraint refuses raises ValueError (the rule could never make it)."""
    path = template.format(**wildcards)
    wanted = {name: str(wildcards[name]) for name in _FIELD.findall(template)}
    if parse(template, path) != wanted:
        raise ValueError(f"{path}: not a path of {template} ({wildcards})")
    return path


def figure(name: str, of: str | None = None) -> str:
    """The PNG of figure ``name`` (its PDF: ``FIGURE_PDF``); ``of``: the
    thing a figure drawn for each thing is of (a sweep's name)."""
    return build(FIGURE, figure=f"{name}~{of}" if of else name)


def source(k: int | None = None, dataset: str | None = None) -> str:
    """The qrels an optimisation job reads, as its path names them."""
    if (k is None) == (dataset is None):
        raise ValueError("a source is either k or a dataset")
    if dataset is None:
        return build(SOURCE_K, k=k)
    return build(SOURCE_DATASET, dataset=dataset)


def split_source(name: str) -> tuple[str, str]:
    """("k", K) or ("dataset", NAME) of a source such as ``k~2``."""
    kind, _, value = name.partition("~")
    if kind not in ("k", "dataset") or not re.fullmatch(WILDCARDS["source"], name):
        raise ValueError(f"{name!r} names no qrels (k~K or dataset~NAME)")
    return kind, value


def of_subject(subject: str, run: dict) -> bool:
    """Whether a run (the wildcards of its RUN path) can be a job of a search
    of ``subject``: the same qrels, and the same value of what it holds fixed."""
    for template in SUBJECTS:
        fixed = parse(template, subject)
        if fixed is not None:
            qrels = source(k=fixed.get("k"), dataset=fixed.get("dataset"))
            held = [name for name in ("d", "n") if name in fixed]
            return qrels == run["source"] and all(run[x] == fixed[x] for x in held)
    return False
