# Stage 7: real embedding models on the datasets. Each embedder embeds a
# dataset once (documents and queries, at the model's full dimension); one
# job per (dataset, embedder, dim, precision) scores it with MTEB's metrics;
# the table joins them with BM25's (its figure is figures.smk's). An embedder
# on device gpu requests a GPU and never shares a cluster job, like an
# optimisation job.

from embedding_limits.embedders.job_resources import EmbedJobs
from embedding_limits.memory import budget
from embedding_limits.store import paths, targets

EMBED_JOBS = EmbedJobs(config, EMBEDDERS, ENVS)


rule embed:
    input:
        corpus=paths.DATASET_CORPUS,
        queries=paths.DATASET_QUERIES,
    output:
        embeddings=paths.EMBEDDINGS,
    log:
        "logs/embeddings/{dataset}/embedder~{embedder}.log",
    benchmark:
        "benchmarks/embeddings/{dataset}/embedder~{embedder}.tsv"
    group:
        EMBED_JOBS.group
    conda:
        EMBED_JOBS.conda_env
    container:
        EMBED_JOBS.image
    resources:
        gpu=EMBED_JOBS.gpus,
        mem_mb=lambda w: budget.embed_mem_mb(DATASETS[w.dataset]),
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/embed.py",
        options=EMBED_JOBS.options,
        folder=lambda w: paths.build(paths.DATASET, dataset=w.dataset),
    shell:
        """
        {params.python:q} {params.script:q} \
            --dataset-dir {params.folder:q} \
            --embedder {wildcards.embedder} \
            {params.options} \
            --out {output.embeddings:q} \
            >{log:q} 2>&1
        """


rule score_embedder:
    input:
        embeddings=paths.EMBEDDINGS,
        qrels=paths.DATASET_QRELS_JSONL,
    output:
        score=paths.EMBEDDER_SCORE,
    log:
        "logs/embedders/{dataset}/embedder~{embedder}/dim~{dim}/precision~{embedding_precision}.log",
    group:
        "embed"
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    resources:
        mem_mb=lambda w: budget.score_mem_mb(DATASETS[w.dataset]),
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/score_embeddings.py",
    shell:
        """
        {params.python:q} {params.script:q} \
            --embeddings {input.embeddings:q} \
            --qrels {input.qrels:q} \
            --dim {wildcards.dim} \
            --precision {wildcards.embedding_precision} \
            --out {output.score:q} \
            >{log:q} 2>&1
        """


rule embedders_table:
    input:
        scores=EMBEDDER_SCORES,
        manifests=targets.per_dataset(paths.DATASET_MANIFEST, DATASETS),
        bm25=paths.RETRIEVAL_TABLE,
    output:
        table=report(
            paths.EMBEDDERS_TABLE,
            caption="../report/embedders_table.rst",
            category="Datasets",
        ),
    log:
        "logs/embedders.log",
    localrule: True
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    script:
        "../scripts/aggregate_embedders.py"
