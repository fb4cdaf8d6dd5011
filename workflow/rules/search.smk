# Stage 3: the adaptive critical-n search for each (k, d), or its explicit grid,
# and the critical-d search for each dataset. Their jobs are the optimize
# checkpoints'; these rules record what was run and found.


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
    container:
        config["containers"]["cpu"]
    params:
        found=search_summary,
        settings=search_settings,
    script:
        "../scripts/write_search_summary.py"


rule search_dimension:
    input:
        runs=dimension_runs,
    output:
        summary="results/search/dataset~{dataset}/{settings}.json",
    log:
        "logs/search/dataset~{dataset}/{settings}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        found=dimension_summary,
        settings=dimension_settings,
    script:
        "../scripts/write_search_summary.py"
