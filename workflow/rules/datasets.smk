# Stage 1: the qrels of every (n, k): all k-subsets of n documents.


rule qrels:
    output:
        qrels="results/qrels/k~{k}/n~{n}.npz",
        manifest="results/qrels/k~{k}/n~{n}.json",
    log:
        "logs/qrels/k~{k}/n~{n}.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        script=f"{SCRIPTS}/make_qrels.py",
    shell:
        """
        python {params.script:q} \
            --n {wildcards.n} \
            --k {wildcards.k} \
            --out {output.qrels:q} \
            --manifest {output.manifest:q} \
            >{log:q} 2>&1
        """
