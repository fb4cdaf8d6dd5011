# Stage 2: one optimisation job per (protocol, source, d, n), every seed inside
# it. A checkpoint, so that the searches can read its outcome. {source} names
# the qrels: k~K (all k-subsets of n documents) or dataset~NAME (a LIMIT-style
# dataset's qrels, n its documents). The job is handed its protocol whole, as
# one JSON document. GPU jobs (config device / gpu_min_dim) request gpu=1, run
# with --device gpu, and never share a cluster job.

from embedding_limits.free_embedding.job_resources import OptimizeJobs
from embedding_limits.store import paths

OPTIMIZE_JOBS = OptimizeJobs(config, PROTOCOLS, DATASETS, ENVS)
# JAX on a shared GPU node: allocate on demand; every job keeps its compiled
# programs in one cache, so repeated shapes load instead of compiling.
JAX_ENV = (
    "XLA_PYTHON_CLIENT_PREALLOCATE=false "
    "JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-$PWD/.jax-cache}"
)


checkpoint optimize:
    input:
        qrels=OPTIMIZE_JOBS.qrels,
    output:
        run=paths.RUN,
    log:
        "logs/runs/protocol~{protocol}/{source}/d~{d}/n~{n}.log",
    benchmark:
        "benchmarks/runs/protocol~{protocol}/{source}/d~{d}/n~{n}.tsv"
    group:
        OPTIMIZE_JOBS.group
    conda:
        OPTIMIZE_JOBS.conda_env
    container:
        OPTIMIZE_JOBS.image
    resources:
        gpu=OPTIMIZE_JOBS.gpus,
        mem_mb=OPTIMIZE_JOBS.mem_mb,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/optimize.py",
        k=OPTIMIZE_JOBS.k,
        seeds=lambda w: " ".join(str(s) for s in SEEDS[w.protocol]),
        device=OPTIMIZE_JOBS.device,
        deterministic="--deterministic" if config["deterministic"] else "",
        # the whole protocol, as one JSON document (read back by Protocol.from_json)
        protocol=lambda w: PROTOCOLS[w.protocol].to_json(),
        jax_env=JAX_ENV,
    shell:
        """
        env {params.jax_env} {params.python:q} {params.script:q} \
            --d {wildcards.d} \
            --k {params.k} \
            --qrels {input.qrels:q} \
            --seeds {params.seeds} \
            --device {params.device} {params.deterministic} \
            --protocol-json {params.protocol:q} \
            --out {output.run:q} \
            >{log:q} 2>&1
        """
