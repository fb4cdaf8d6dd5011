# Stage 2: one optimisation job per (d, k, n), every seed inside it.
# A checkpoint, so that the critical-n search can read its outcome. GPU jobs
# (config device / gpu_min_dim) request gpu=1 and run in the CUDA-12 image.
# {source} names the qrels: k~K (all k-subsets of n documents) or
# dataset~NAME (a LIMIT-style dataset's qrels, n its documents).


checkpoint optimize:
    input:
        qrels=qrels_of,
    output:
        run="results/runs/{source}/d~{d}/n~{n}.json",
    log:
        "logs/runs/{source}/d~{d}/n~{n}.log",
    benchmark:
        "benchmarks/runs/{source}/d~{d}/n~{n}.tsv"
    group:
        job_group
    conda:
        job_conda_env
    container:
        job_image
    resources:
        gpu=job_gpus,
        mem_mb=job_mem_mb,
    params:
        python=PYTHON,
        script=f"{SCRIPTS}/optimize.py",
        k=job_k,
        seeds=" ".join(str(s) for s in config["seeds"]),
        device=job_device,
        optimizer=optimizer_options(config),
        jax_env=JAX_ENV,
    shell:
        """
        env {params.jax_env} {params.python:q} {params.script:q} \
            --d {wildcards.d} \
            --k {params.k} \
            --qrels {input.qrels:q} \
            --seeds {params.seeds} \
            --device {params.device} \
            {params.optimizer} \
            --out {output.run:q} \
            >{log:q} 2>&1
        """
