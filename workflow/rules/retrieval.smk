# Stage 6: the lexical baseline, BM25 on every dataset, with MTEB's metrics.


rule retrieval:
    input:
        manifests=DATASET_MANIFESTS,
        corpora=expand("results/datasets/{dataset}/corpus.jsonl", dataset=DATASETS),
        queries=expand("results/datasets/{dataset}/queries.jsonl", dataset=DATASETS),
        qrels=expand("results/datasets/{dataset}/qrels.jsonl", dataset=DATASETS),
    output:
        table=report(
            "results/tables/retrieval.csv",
            caption="../report/retrieval.rst",
            category="Datasets",
        ),
    log:
        "logs/retrieval.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    script:
        "../scripts/bm25_retrieval.py"
