# Stage 3: the adaptive searches (common.smk's SEARCHES, search/plan.py): the
# critical n of each (protocol, k, d), the critical d of each (protocol,
# dataset) and the smallest d of each (protocol, n). Their jobs are the
# optimize checkpoints'; a search is replayed over the finished ones after
# each (search/checkpoints.py), and this rule records what it ran and found.

from snakemake.exceptions import IncompleteCheckpointException

from embedding_limits.search.checkpoints import SearchJobs
from embedding_limits.store import paths

SEARCH_JOBS = SearchJobs(
    BY_SUMMARY,
    PROTOCOL_SETTINGS,
    SEEDS,
    DATASET_K,
    run_of=lambda probe: checkpoints.optimize.get(**probe).output.run,
    pending=IncompleteCheckpointException,
    fail=WorkflowError,
)


rule search:
    input:
        runs=SEARCH_JOBS.runs,
        meanwhile=SEARCH_JOBS.meanwhile,
    output:
        summary=paths.SUMMARY,
    log:
        "logs/search/protocol~{protocol}/{subject}/{settings}.log",
    localrule: True
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    params:
        found=SEARCH_JOBS.found,
    script:
        "../scripts/write_search_summary.py"
