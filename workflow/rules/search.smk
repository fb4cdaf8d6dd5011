# Stage 3: the adaptive critical-n search for each (k, d), or its explicit grid.
# Its jobs are the optimize checkpoint's; this rule records what was run.


rule search:
    input:
        runs=search_runs,
    output:
        summary="results/search/k~{k}/d~{d}/{settings}.json",
    log:
        "logs/search/k~{k}/d~{d}/{settings}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        found=search_summary,
        start=config["search"]["start"],
        sweep=config["search"]["sweep"],
    script:
        "../scripts/write_search_summary.py"
