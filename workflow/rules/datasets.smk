# Stage 1: the qrels of every (n, k): all k-subsets of n documents; and the
# config's retrieval datasets in the workflow's own form (the MTEB/BEIR
# layout): LIMIT-style ones generated, the others read from their folder;
# then each dataset's relevance as the optimiser reads it.

from embedding_limits.data import beir
from embedding_limits.memory import budget
from embedding_limits.store import paths, targets


rule qrels:
    output:
        qrels=paths.QRELS,
        manifest=paths.QRELS_MANIFEST,
    log:
        "logs/qrels/k~{k}/n~{n}.log",
    group:
        "probe"
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    resources:
        mem_mb=lambda w: budget.qrels_mem_mb(int(w.n), int(w.k)),
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
        corpus=paths.DATASET_CORPUS,
        queries=paths.DATASET_QUERIES,
        qrels_jsonl=paths.DATASET_QRELS_JSONL,
        qrels_tsv=paths.DATASET_QRELS_TSV,
        manifest=paths.DATASET_MANIFEST,
    log:
        "logs/datasets/{dataset}.log",
    wildcard_constraints:
        dataset=paths.any_of(DATASETS.keys() - FOLDER_DATASETS),
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    resources:
        mem_mb=lambda w: budget.dataset_mem_mb(DATASETS[w.dataset]),
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/make_dataset.py",
        layout=beir.LAYOUT,  # a folder of another layout is made again
        vocab=f"{RESOURCES}/vocab",
        options=lambda w: DATASETS[w.dataset].options(),
        folder=lambda w: paths.build(paths.DATASET, dataset=w.dataset),
    shell:
        """
        {params.python:q} {params.script:q} \
            --name {wildcards.dataset} \
            {params.options} \
            --vocab {params.vocab:q} \
            --out-dir {params.folder:q} \
            >{log:q} 2>&1
        """


# The folder is no input: its content's digest is a param, so a changed file
# reruns this job (and what uses the dataset), a touched one nothing.
rule import_dataset:
    output:
        corpus=paths.DATASET_CORPUS,
        queries=paths.DATASET_QUERIES,
        qrels_jsonl=paths.DATASET_QRELS_JSONL,
        qrels_tsv=paths.DATASET_QRELS_TSV,
        manifest=paths.DATASET_MANIFEST,
    log:
        "logs/datasets/{dataset}.log",
    wildcard_constraints:
        dataset=paths.any_of(FOLDER_DATASETS),
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    resources:
        mem_mb=lambda w: budget.dataset_mem_mb(DATASETS[w.dataset]),
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/import_dataset.py",
        layout=beir.LAYOUT,
        options=lambda w: DATASETS[w.dataset].options(),
        folder=lambda w: paths.build(paths.DATASET, dataset=w.dataset),
    shell:
        """
        {params.python:q} {params.script:q} \
            --name {wildcards.dataset} \
            {params.options} \
            --out-dir {params.folder:q} \
            >{log:q} 2>&1
        """


rule relevance:
    input:
        corpus=paths.DATASET_CORPUS,
        qrels=paths.DATASET_QRELS_JSONL,
    output:
        qrels=paths.DATASET_QRELS,
    log:
        "logs/datasets/{dataset}.relevance.log",
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    resources:
        mem_mb=lambda w: budget.dataset_mem_mb(DATASETS[w.dataset]),
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/make_relevance.py",
        folder=lambda w: paths.build(paths.DATASET, dataset=w.dataset),
    shell:
        """
        {params.python:q} {params.script:q} \
            --dataset-dir {params.folder:q} \
            --name {wildcards.dataset} \
            --out {output.qrels:q} \
            >{log:q} 2>&1
        """


rule datasets:
    input:
        targets.per_dataset(paths.DATASET_MANIFEST, DATASETS),
    localrule: True
