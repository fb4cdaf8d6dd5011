# Stage 7 (its own target: snakemake witnesses): exact witnesses at d = 2k and
# the largest n each float precision still represents; figures.smk sets them
# beside the critical n that the optimisers reach (limits_vs_d).


rule witness:
    output:
        result=paths.WITNESS,
    log:
        "logs/witnesses/{construction}/k~{k}/{precision}.log",
    conda:
        "../../envs/jax-cpu.yaml"
    container:
        config["containers"]["cpu"]
    resources:
        mem_mb=witness_mem_mb,
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
            "results/tables/witness.csv",
            caption="../report/witness.rst",
            category="Witnesses",
        ),
        placements="results/tables/witness_placements.csv",
    log:
        "logs/witness_table.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    script:
        "../scripts/aggregate_witnesses.py"


rule witnesses:
    input:
        "results/tables/witness.csv",
        "results/figures/limits_vs_d.png",
    localrule: True
