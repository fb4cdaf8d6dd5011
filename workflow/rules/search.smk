# Stage 3: the adaptive searches: the critical n of each (protocol, k, d), or
# its explicit grid, and the critical d of each (protocol, dataset), with each
# seed's own. Their jobs are the optimize checkpoints'; this rule records what
# was run and found.


rule search:
    input:
        runs=search_runs,
        meanwhile=search_meanwhile,
    output:
        summary=paths.SUMMARY,
    log:
        "logs/search/protocol~{protocol}/{subject}/{settings}.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        found=search_found,
    script:
        "../scripts/write_search_summary.py"
