# Stage 6: the lexical baseline, BM25 on every dataset, with MTEB's metrics.

from embedding_limits.store import paths, targets


rule retrieval:
    input:
        manifests=targets.per_dataset(paths.DATASET_MANIFEST, DATASETS),
        corpora=targets.per_dataset(paths.DATASET_CORPUS, DATASETS),
        queries=targets.per_dataset(paths.DATASET_QUERIES, DATASETS),
        qrels=targets.per_dataset(paths.DATASET_QRELS_JSONL, DATASETS),
    output:
        table=report(
            paths.RETRIEVAL_TABLE,
            caption="../report/retrieval.rst",
            category="Datasets",
        ),
    log:
        "logs/retrieval.log",
    localrule: True
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    script:
        "../scripts/bm25_retrieval.py"
