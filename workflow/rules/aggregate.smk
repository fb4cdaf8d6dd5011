# Stage 4: tables over all jobs (local: cheap).


rule aggregate:
    input:
        summaries=SUMMARIES,
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
    script:
        "../scripts/aggregate_runs.py"
