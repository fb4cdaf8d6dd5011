# Stage 2: one optimisation job per (d, k, n), every seed inside it.
# A checkpoint, so that the critical-n search can read its outcome.


checkpoint optimize:
    input:
        qrels="results/qrels/k~{k}/n~{n}.npz",
    output:
        run="results/runs/k~{k}/d~{d}/n~{n}.json",
    log:
        "logs/runs/k~{k}/d~{d}/n~{n}.log",
    benchmark:
        "benchmarks/runs/k~{k}/d~{d}/n~{n}.tsv"
    conda:
        "../../envs/jax-cpu.yaml"
    params:
        script=f"{SCRIPTS}/optimize.py",
        seeds=" ".join(str(s) for s in config["seeds"]),
        device=config["device"],
        optimizer=optimizer_options(config),
    shell:
        """
        python {params.script:q} \
            --d {wildcards.d} \
            --k {wildcards.k} \
            --qrels {input.qrels:q} \
            --seeds {params.seeds} \
            --device {params.device} \
            {params.optimizer} \
            --out {output.run:q} \
            >{log:q} 2>&1
        """
