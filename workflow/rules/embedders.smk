# Stage 7: real embedding models on the datasets. Each embedder embeds a
# dataset once (documents and queries, at the model's full dimension); one
# job per (dataset, embedder, dim, precision) scores it with MTEB's metrics;
# the table joins them with BM25's (its figure is in figures.smk). An
# embedder on device gpu requests a GPU and never shares a cluster job, like
# an optimisation job.


rule embed:
    input:
        corpus="results/datasets/{dataset}/corpus.jsonl",
        queries="results/datasets/{dataset}/queries.jsonl",
    output:
        embeddings=paths.EMBEDDINGS,
    log:
        "logs/embeddings/{dataset}/embedder~{embedder}.log",
    benchmark:
        "benchmarks/embeddings/{dataset}/embedder~{embedder}.tsv"
    group:
        embed_group
    conda:
        embed_conda_env
    container:
        embed_image
    resources:
        gpu=embed_gpus,
        mem_mb=embed_mem_mb,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/embed.py",
        options=embed_options,
        folder=lambda wildcards: f"results/datasets/{wildcards.dataset}",
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
        qrels="results/datasets/{dataset}/qrels.jsonl",
    output:
        score=paths.EMBEDDER_SCORE,
    log:
        "logs/embedders/{dataset}/embedder~{embedder}/dim~{dim}/precision~{embedding_precision}.log",
    group:
        "embed"
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    resources:
        mem_mb=score_mem_mb,
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
        manifests=DATASET_MANIFESTS,
        bm25="results/tables/retrieval.csv",
    output:
        table=report(
            "results/tables/embedders.csv",
            caption="../report/embedders_table.rst",
            category="Datasets",
        ),
    log:
        "logs/embedders.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    script:
        "../scripts/aggregate_embedders.py"
