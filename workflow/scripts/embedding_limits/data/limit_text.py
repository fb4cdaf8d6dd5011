"""LIMIT-style text datasets: people who like things, and who-likes-X queries.

Documents read "Geneva Durben likes Quokkas, River Otters, ... and Elm Trees."
and each query "Who likes Quokkas?" has exactly the documents that like
Quokkas as its relevant documents. Which documents those are follows a qrels
pattern (``dense`` by default: the first k-subsets of as few documents as
possible, as in the paper). Every document also likes attributes that no query
asks about, so the documents look alike.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .qrels import combinations_qrels

PATTERNS = ("dense", "random", "cycle", "disjoint")


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    queries: int = 1000
    k: int = 2
    documents: int = 46
    pattern: str = "dense"
    attributes_per_doc: int = 50
    seed: int = 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def source(self) -> str:
        """Where its files come from, as the tables say it."""
        return f"generated: {self.pattern}"

    def describe(self) -> dict:
        """What the tables say of it."""
        return {"name": self.name, "source": self.source, "documents":
                self.documents, "queries": self.queries, "k": self.k}  # fmt: skip

    def options(self) -> str:
        """Its settings as make_dataset.py options: ``--queries 1000 --k 2 ...``."""
        settings = {k: v for k, v in self.to_dict().items() if k != "name"}
        return " ".join(f"--{k.replace('_', '-')} {v}" for k, v in settings.items())


@dataclass(frozen=True)
class Vocabulary:
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    likes: tuple[str, ...]


@dataclass(frozen=True)
class Dataset:
    spec: DatasetSpec
    names: list[str]  # one per document
    likes: list[list[str]]  # what each document likes, in text order
    query_attributes: list[str]  # one per query
    relevant: np.ndarray  # (Q, k) document indices


def _lines(path: Path) -> list[str]:
    return [line.rstrip("\n") for line in open(path, encoding="utf-8")
            if line.strip() and not line.startswith("#")]  # fmt: skip


def load_vocabulary(folder: str | Path) -> Vocabulary:
    """Names and the likeable things (``likes_*.txt``: category TAB item)."""
    folder = Path(folder)
    likes = []
    for path in sorted(folder.glob("likes_*.txt")):
        likes += [line.split("\t")[1] for line in _lines(path)]
    return Vocabulary(
        tuple(_lines(folder / "first_names.txt")),
        tuple(_lines(folder / "last_names.txt")),
        tuple(likes),
    )


def dense_size(queries: int, k: int) -> int:
    """The smallest m with C(m, k) >= queries."""
    m = k
    while math.comb(m, k) < queries:
        m += 1
    return m


def relevance_pattern(spec: DatasetSpec, rng: np.random.Generator) -> np.ndarray:
    """(Q, k) relevant document indices of each query."""
    q, k, n = spec.queries, spec.k, spec.documents
    if spec.pattern == "dense":
        return combinations_qrels(dense_size(q, k), k).relevant[:q]
    if spec.pattern == "random":
        return np.stack([rng.choice(n, k, replace=False) for _ in range(q)]).astype(
            np.int32
        )
    if spec.pattern == "cycle":
        return ((np.arange(q)[:, None] + np.arange(k)[None, :]) % n).astype(np.int32)
    if spec.pattern == "disjoint":
        return np.arange(q * k, dtype=np.int32).reshape(q, k)
    raise ValueError(
        f"dataset {spec.name}: pattern must be one of {', '.join(PATTERNS)}"
    )


def spec_errors(spec: DatasetSpec, vocab: Vocabulary) -> list[str]:
    """Every reason ``spec`` cannot be generated, each naming the fix and
    starting with the setting it is about (``documents: ...``)."""
    q, k, n = spec.queries, spec.k, spec.documents
    if k < 1 or k >= n:
        return [f"documents: {n} leaves no document outside a query's k = {k} "
                f"relevant ones, so nothing to rank; raise documents above {k} "
                "or lower k"]  # fmt: skip
    errors = []
    if spec.pattern == "dense" and dense_size(q, k) > n:
        errors.append(
            f"documents: pattern dense needs {dense_size(q, k)} documents for "
            f"{q} queries with k={k}, got documents={n}; raise documents or "
            "lower queries"
        )
    if spec.pattern == "disjoint" and q * k > n:
        errors.append(
            f"documents: pattern disjoint needs queries x k = {q * k} "
            f"documents, got documents={n}; raise documents or lower queries"
        )
    names = len(vocab.first_names) * len(vocab.last_names)
    if n > names:
        errors.append(
            f"documents: {n} documents need unique names, but the "
            f"vocabulary makes only {names}; add names to resources/vocab"
        )
    if q + spec.attributes_per_doc > len(vocab.likes):
        errors.append(
            f"attributes_per_doc: {q} query attributes plus "
            f"{spec.attributes_per_doc} attributes per document need "
            f"{q + spec.attributes_per_doc} likeable things, the vocabulary has "
            f"{len(vocab.likes)}; lower queries or attributes_per_doc, or add to "
            "resources/vocab"
        )
    return errors


def generate(spec: DatasetSpec, vocab: Vocabulary) -> Dataset:
    """The dataset of ``spec``; the same seed always gives the same dataset."""
    errors = spec_errors(spec, vocab)
    if errors:
        raise ValueError(f"dataset {spec.name}: " + "; ".join(errors))
    rng = np.random.default_rng(spec.seed)
    relevant = relevance_pattern(spec, rng)
    n_last = len(vocab.last_names)
    picks = rng.choice(len(vocab.first_names) * n_last, spec.documents, replace=False)
    names = [
        f"{vocab.first_names[i // n_last]} {vocab.last_names[i % n_last]}"
        for i in picks
    ]
    order = rng.permutation(len(vocab.likes))
    query_attributes = [vocab.likes[i] for i in order[: spec.queries]]
    fillers = [vocab.likes[i] for i in order[spec.queries :]]
    liked = [[] for _ in range(spec.documents)]
    for query, docs in enumerate(relevant):
        for doc in docs:
            liked[doc].append(query_attributes[query])
    likes = []
    for doc_likes in liked:
        extra = max(spec.attributes_per_doc - len(doc_likes), 0)
        chosen = doc_likes + [
            fillers[i] for i in rng.choice(len(fillers), extra, replace=False)
        ]
        likes.append([chosen[i] for i in rng.permutation(len(chosen))])
    return Dataset(spec, names, likes, query_attributes, relevant)


def document_text(name: str, likes: list[str]) -> str:
    if len(likes) == 1:
        return f"{name} likes {likes[0]}."
    return f"{name} likes {', '.join(likes[:-1])}, and {likes[-1]}."


def query_text(attribute: str) -> str:
    return f"Who likes {attribute}?"
