# Stage 1: the qrels of every (n, k): all k-subsets of n documents.


rule qrels:
    output:
        qrels=paths.QRELS,
        manifest=paths.QRELS_MANIFEST,
    log:
        "logs/qrels/k~{k}/n~{n}.log",
    group:
        "probe"
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    resources:
        mem_mb=qrels_mem_mb,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/make_qrels.py",
    shell:
        """
        {params.python:q} {params.script:q} \
            --n {wildcards.n} \
            --k {wildcards.k} \
            --out {output.qrels:q} \
            --manifest {output.manifest:q} \
            >{log:q} 2>&1
        """


rule limit_dataset:
    output:
        corpus="results/datasets/{dataset}/corpus.jsonl",
        queries="results/datasets/{dataset}/queries.jsonl",
        qrels_jsonl="results/datasets/{dataset}/qrels.jsonl",
        qrels_tsv="results/datasets/{dataset}/qrels/test.tsv",
        qrels=paths.DATASET_QRELS,
        manifest="results/datasets/{dataset}/manifest.json",
    log:
        "logs/datasets/{dataset}.log",
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    resources:
        mem_mb=dataset_mem_mb,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/make_dataset.py",
        vocab=f"{RESOURCES}/vocab",
        options=dataset_options,
        folder=lambda wildcards: f"results/datasets/{wildcards.dataset}",
    shell:
        """
        {params.python:q} {params.script:q} \
            --name {wildcards.dataset} \
            {params.options} \
            --vocab {params.vocab:q} \
            --out-dir {params.folder:q} \
            >{log:q} 2>&1
        """


rule datasets:
    input:
        DATASET_MANIFESTS,
    localrule: True
