# Stage 2: one optimisation job per (protocol, source, d, n), every seed inside
# it. A checkpoint, so that the searches can read its outcome. {source} names
# the qrels: k~K (all k-subsets of n documents) or dataset~NAME (a LIMIT-style
# dataset's qrels, n its documents). GPU jobs (config device / gpu_min_dim)
# request gpu=1, run with --device gpu, and never share a cluster job.


checkpoint optimize:
    input:
        qrels=qrels_of,
    output:
        run=paths.RUN,
    log:
        "logs/runs/protocol~{protocol}/{source}/d~{d}/n~{n}.log",
    benchmark:
        "benchmarks/runs/protocol~{protocol}/{source}/d~{d}/n~{n}.tsv"
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
        deterministic="--deterministic" if config["deterministic"] else "",
        protocol=job_protocol,
        jax_env=JAX_ENV,
    shell:
        """
        env {params.jax_env} {params.python:q} {params.script:q} \
            --d {wildcards.d} \
            --k {params.k} \
            --qrels {input.qrels:q} \
            --seeds {params.seeds} \
            --device {params.device} {params.deterministic} \
            --protocol {params.protocol} \
            --out {output.run:q} \
            >{log:q} 2>&1
        """
