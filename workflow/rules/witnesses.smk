# Stage 8 (its own target: snakemake witnesses): exact witnesses at d = 2k and
# the largest n each float precision still represents; figures.smk sets them
# beside the critical n that the optimisers reach (limits_vs_d).

from embedding_limits.memory import budget
from embedding_limits.store import paths, targets


rule witness:
    output:
        result=paths.WITNESS,
    log:
        "logs/witnesses/{construction}/k~{k}/{precision}.log",
    conda:
        f"{ENVS}/jax-cpu.yaml"
    container:
        CPU_IMAGE
    resources:
        mem_mb=lambda w: budget.witness_mem_mb(
            CAP_MB, int(w.k), config["witnesses"]["max_n"]
        ),
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/witness.py",
        placements=config["witnesses"]["placements"],
        max_n=config["witnesses"]["max_n"],
        scan_limit=config["witnesses"]["scan_limit"],
    shell:
        """
        {params.python:q} {params.script:q} \
            --construction {wildcards.construction} \
            --k {wildcards.k} \
            --precision {wildcards.precision} \
            --placements {params.placements} \
            --max-n {params.max_n} \
            --scan-limit {params.scan_limit} \
            --memory-mb {resources.mem_mb} \
            --out {output.result:q} \
            >{log:q} 2>&1
        """


rule witness_table:
    input:
        witnesses=WITNESSES,
    output:
        table=report(
            paths.WITNESS_TABLE,
            caption="../report/witness.rst",
            category="Witnesses",
        ),
        placements=paths.WITNESS_PLACEMENTS_TABLE,
    log:
        "logs/witness_table.log",
    localrule: True
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    script:
        "../scripts/aggregate_witnesses.py"


rule witnesses:
    input:
        targets.WITNESS_TARGETS,
    localrule: True


# An exact witness for each dataset's qrels (those with one k), every precision.
rule dataset_witness:
    input:
        qrels=paths.DATASET_QRELS,
    output:
        result=paths.DATASET_WITNESS,
    log:
        "logs/witnesses/dataset~{dataset}.log",
    conda:
        f"{ENVS}/jax-cpu.yaml"
    container:
        CPU_IMAGE
    resources:
        mem_mb=lambda w: budget.dataset_witness_mem_mb(DATASETS[w.dataset]),
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/dataset_witness.py",
    shell:
        """
        {params.python:q} {params.script:q} \
            --qrels {input.qrels:q} \
            --dataset {wildcards.dataset} \
            --out {output.result:q} \
            >{log:q} 2>&1
        """


rule dataset_witness_table:
    input:
        witnesses=targets.per_dataset(paths.DATASET_WITNESS, DATASET_K),
    output:
        table=report(
            paths.DATASET_WITNESS_TABLE,
            caption="../report/dataset_witness.rst",
            category="Datasets",
        ),
    log:
        "logs/dataset_witness_table.log",
    localrule: True
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    script:
        "../scripts/aggregate_dataset_witnesses.py"
