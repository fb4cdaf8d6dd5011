"""What the workflow gives each optimisation and embedding job
(free_embedding/job_resources.py, embedders/job_resources.py), from a real
checked config."""

import os
import shlex
from types import SimpleNamespace

from embedding_limits.config.load import load
from embedding_limits.embedders.job_resources import EmbedJobs
from embedding_limits.free_embedding.job_resources import OptimizeJobs
from embedding_limits.memory.budget import optimize_mem_mb
from helpers import SCHEMA_PATH, VOCAB

MED = {"queries": "centroid", "query_sizes": "1..k", "loss": "hinge"}


def experiment(**config):
    return load(config, SCHEMA_PATH, None, VOCAB)


def test_an_optimisation_job_on_the_cpu_and_one_on_a_gpu():
    """With device auto and gpu_min_dim 6, a d = 5 job runs on the CPU and may
    share a cluster job; a d = 6 job requests a GPU, runs --device gpu in the
    CUDA env and image, and has its cluster job to itself."""
    protocols = {"published": {}, "med": MED}
    e = experiment(device="auto", gpu_min_dim=6, containers={"cuda12": "cuda.sif"},
                   critical_d={"enabled": False}, protocols=protocols)  # fmt: skip
    jobs = OptimizeJobs(e.config, e.protocols, e.datasets, "/envs")
    cpu = SimpleNamespace(protocol="published", source="k~2", d="5", n="20")
    gpu = SimpleNamespace(protocol="published", source="k~2", d="6", n="20")
    assert (jobs.gpus(cpu), jobs.device(cpu), jobs.group(cpu)) == (0, "auto", "probe")
    assert (jobs.gpus(gpu), jobs.device(gpu), jobs.group(gpu)) == (1, "gpu", None)
    assert jobs.conda_env(cpu) == "/envs/jax-cpu.yaml" and jobs.image(cpu) is None
    assert jobs.conda_env(gpu) == "/envs/jax-cuda12.yaml"
    assert jobs.image(gpu) == "cuda.sif"
    assert jobs.qrels(cpu) == "results/qrels/k~2/n~20.npz" and jobs.k(cpu) == 2
    assert jobs.mem_mb(cpu) == optimize_mem_mb(e.protocols["published"], 20, 5, 2)
    # MED's hinge over every subset of 1..k documents: more memory, same qrels
    big = SimpleNamespace(**{**vars(cpu), "n": "400"})
    med = SimpleNamespace(**{**vars(big), "protocol": "med"})
    assert jobs.mem_mb(med) > jobs.mem_mb(big) and jobs.qrels(med) == jobs.qrels(big)


def test_a_datasets_job_reads_its_qrels_top_k_and_queries():
    e = experiment(datasets={"t": {"k": 3, "documents": 30, "queries": 400}})
    jobs = OptimizeJobs(e.config, e.protocols, e.datasets, "/envs")
    w = SimpleNamespace(protocol="published", source="dataset~t", d="9", n="30")
    assert jobs.qrels(w) == "results/datasets/t/qrels.npz" and jobs.k(w) == 3
    assert jobs.mem_mb(w) == optimize_mem_mb(e.protocols["published"], 30, 9, 3, 400)


def test_an_embedding_job_gets_its_model_and_prompts_quoted_and_its_device():
    prompt = "q: $(rm -rf /); 'x'"
    e = experiment(embedders={
        "w": {"backend": "wordllama"},
        "st": {"backend": "sentence-transformers", "model": "/models/my e5",
               "device": "gpu", "query_prompt": prompt},
    })  # fmt: skip
    embedders = {name: e.config["embedders"][name] for name in ("w", "st")}
    jobs = EmbedJobs(e.config, embedders, "/envs")
    w, st = SimpleNamespace(embedder="w"), SimpleNamespace(embedder="st")
    assert jobs.options(w) == "--backend wordllama --device cpu"
    words = shlex.split(jobs.options(st))
    assert words[words.index("--query-prompt") + 1] == prompt  # text, not shell
    assert words[words.index("--model") + 1] == "/models/my e5"
    assert (jobs.gpus(w), jobs.group(w)) == (0, "embed")
    assert (jobs.gpus(st), jobs.group(st)) == (1, None)
    assert os.path.basename(jobs.conda_env(st)) == "sentence-transformers.yaml"
    assert jobs.image(w) is None  # containers.cpu unset
