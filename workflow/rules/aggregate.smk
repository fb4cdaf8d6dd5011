# Stage 4: tables over all jobs (local: cheap); figures.smk draws from them.
# Every result is checked against what its path and the config say it is
# before a table is built from it.

from embedding_limits.store import paths


rule aggregate:
    input:
        summaries=N_SUMMARIES,
        paper=f"{RESOURCES}/paper_table6.csv",
    output:
        runs=report(paths.RUNS_TABLE, caption="../report/runs.rst", category="Tables"),
        critical_csv=report(
            paths.CRITICAL_N_TABLE,
            caption="../report/critical_n.rst",
            category="Tables",
        ),
        critical_md=paths.CRITICAL_N_MARKDOWN,
        fit=report(paths.FIT_TABLE, caption="../report/fit.rst", category="Tables"),
    log:
        "logs/aggregate.log",
    localrule: True
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    params:
        protocols=CONFIG_PROTOCOL_SETTINGS,
        seeds=CONFIG_SEEDS,
        dataset_k=DATASET_K,
    script:
        "../scripts/aggregate_runs.py"


rule critical_d:
    input:
        summaries=D_SUMMARIES,
    output:
        table=report(
            paths.CRITICAL_D_TABLE,
            caption="../report/critical_d.rst",
            category="Datasets",
        ),
        runs=paths.DIMENSION_RUNS_TABLE,
    log:
        "logs/critical_d.log",
    localrule: True
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    params:
        protocols=CONFIG_PROTOCOL_SETTINGS,
        seeds=CONFIG_SEEDS,
        dataset_k=DATASET_K,
        specs={name: spec.describe() for name, spec in DATASETS.items()},
    script:
        "../scripts/aggregate_dimensions.py"


rule critical_d_of_n:
    input:
        summaries=D_OF_N_SUMMARIES,
    output:
        table=report(
            paths.CRITICAL_D_OF_N_TABLE,
            caption="../report/critical_d_of_n_table.rst",
            category="Smallest d for each n",
        ),
    log:
        "logs/critical_d_of_n.log",
    localrule: True
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    params:
        protocols=CONFIG_PROTOCOL_SETTINGS,
        seeds=CONFIG_SEEDS,
        dataset_k=DATASET_K,
    script:
        "../scripts/aggregate_d_of_n.py"


rule sweeps:
    input:
        summaries=sorted({point["summary"] for point in SWEEP_POINTS}),
    output:
        table=report(
            paths.SWEEPS_TABLE,
            caption="../report/sweeps.rst",
            category="Sweeps",
        ),
    log:
        "logs/sweeps.log",
    localrule: True
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    params:
        protocols=PROTOCOL_SETTINGS,
        seeds=SEEDS,
        dataset_k=DATASET_K,
        points=SWEEP_POINTS,
    script:
        "../scripts/aggregate_sweeps.py"
