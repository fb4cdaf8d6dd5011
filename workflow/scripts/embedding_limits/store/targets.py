"""What a run makes: the files of the default target, and the lists of
results that one rule gathers (the witnesses, the embedders' scores).

Every path is built from paths.py's templates; ``default`` is what
``snakemake`` with no target makes under a config (the Snakefile's ``all``,
with the runs its searches list), ``WITNESS_TARGETS`` what ``snakemake
witnesses`` makes.
"""

from __future__ import annotations

from ..embedders.checks import datasets_of, dims_of
from . import paths

# the default run's tables and figures, whatever the config
ALWAYS = [
    paths.RUNS_TABLE, paths.CRITICAL_N_TABLE, paths.CRITICAL_N_MARKDOWN,
    paths.FIT_TABLE, *map(paths.figure, ("accuracy_vs_n", "critical_n_vs_d",
                                         "extrapolation", "protocols_vs_d")),
]  # fmt: skip
WITNESS_TARGETS = [paths.WITNESS_TABLE, paths.figure("limits_vs_d")]


def per_dataset(template: str, datasets) -> list[str]:
    """``template`` (a dataset's file) for every dataset."""
    return [paths.build(template, dataset=name) for name in datasets]


def witnesses(section: dict) -> list[str]:
    """The witness results of the config's ``witnesses:`` section."""
    return [
        paths.build(paths.WITNESS, construction=construction, k=k, precision=p)
        for construction in section["constructions"]
        for k in section["ks"]
        for p in section["precisions"]
    ]


def embedder_scores(embedders: dict, config: dict) -> list[str]:
    """One score per (dataset, runnable embedder, dim, precision)."""
    return [
        paths.build(paths.EMBEDDER_SCORE, dataset=dataset, embedder=name, dim=dim,
                    embedding_precision=precision)
        for name, settings in embedders.items()
        for dataset in datasets_of(settings, config)
        for dim in dims_of(settings)
        for precision in settings["precisions"]
    ]  # fmt: skip


def default(summaries: list[str], smallest_d: bool, critical_d: bool, datasets,
            scores: list[str], witnessed: bool = False,
            sweeps: list[str] = ()) -> list[str]:  # fmt: skip
    """The default target's files: the critical-n tables and figures; every
    search's summary (``summaries``); the smallest-d table and figure where
    those searches run (``smallest_d``); each dataset, BM25's table, the
    embedders' (their ``scores`` too, so that a deleted one is redone) and,
    where its searches run (``critical_d``), the critical-d table and figure;
    the datasets' exact witnesses where some dataset has one k (``witnessed``);
    the sweeps' table and each sweep's figure (``sweeps``: their names)."""
    made = [*ALWAYS, *summaries]
    if smallest_d:
        made += [paths.CRITICAL_D_OF_N_TABLE, paths.figure("critical_d_of_n")]
    made += per_dataset(paths.DATASET_MANIFEST, datasets)
    if datasets:
        made.append(paths.RETRIEVAL_TABLE)
        if scores:
            made += [paths.EMBEDDERS_TABLE, paths.figure("embedders"), *scores]
        if critical_d:
            made += [paths.CRITICAL_D_TABLE, paths.figure("accuracy_vs_d")]
        if witnessed:
            made.append(paths.DATASET_WITNESS_TABLE)
    if sweeps:
        made.append(paths.SWEEPS_TABLE)
        made += [paths.figure("sweep", of=name) for name in sweeps]
    return made
