# Stage 4: tables over all jobs (local: cheap); figures.smk draws from them.
# Every result is checked against what its path and the config say it is
# before a table is built from it.


rule aggregate:
    input:
        summaries=N_SUMMARIES,
        paper=f"{RESOURCES}/paper_table6.csv",
    output:
        runs=report(
            "results/tables/runs.csv",
            caption="../report/runs.rst",
            category="Tables",
        ),
        critical_csv=report(
            "results/tables/critical_n.csv",
            caption="../report/critical_n.rst",
            category="Tables",
        ),
        critical_md="results/tables/critical_n.md",
        fit=report(
            "results/tables/fit.csv",
            caption="../report/fit.rst",
            category="Tables",
        ),
    log:
        "logs/aggregate.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        protocols=PROTOCOL_SETTINGS,
        seeds=config["seeds"],
        dataset_k=DATASET_K,
    script:
        "../scripts/aggregate_runs.py"


rule critical_d:
    input:
        summaries=D_SUMMARIES,
    output:
        table=report(
            "results/tables/critical_d.csv",
            caption="../report/critical_d.rst",
            category="Datasets",
        ),
        runs="results/tables/dimension_runs.csv",
    log:
        "logs/critical_d.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        protocols=PROTOCOL_SETTINGS,
        seeds=config["seeds"],
        dataset_k=DATASET_K,
        specs={name: dataset_spec(name) for name in DATASETS},
    script:
        "../scripts/aggregate_dimensions.py"


rule critical_d_of_n:
    input:
        summaries=D_OF_N_SUMMARIES,
    output:
        table=report(
            "results/tables/critical_d_of_n.csv",
            caption="../report/critical_d_of_n_table.rst",
            category="Smallest d for each n",
        ),
    log:
        "logs/critical_d_of_n.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        protocols=PROTOCOL_SETTINGS,
        seeds=config["seeds"],
        dataset_k=DATASET_K,
    script:
        "../scripts/aggregate_d_of_n.py"
