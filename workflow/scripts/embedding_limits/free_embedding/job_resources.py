"""What the workflow gives each optimisation job: its qrels, top-k, device,
GPU, memory, env, image and cluster group (optimize.smk; its protocol it gets
whole, as ``Protocol.to_json``). No JAX here: the Snakefile imports it.

A job of dimension d runs on a GPU when the config asks (``device: gpu``, or
``auto`` with ``gpu_min_dim``): it then requests one, runs ``--device gpu`` so
that a GPU JAX cannot start is an error, never a silent CPU run, and never
shares a cluster job. Every other job may share one (group ``probe``).
"""

from __future__ import annotations

from ..config.protocol import Protocol
from ..config.sections import uses_gpu
from ..data.limit_text import DatasetSpec
from ..memory.budget import optimize_mem_mb
from ..store import paths


class OptimizeJobs:
    """The optimize checkpoint's per-job values, each a function of its
    wildcards (protocol, source, d, n)."""

    def __init__(
        self,
        config: dict,
        protocols: dict[str, Protocol],
        datasets: dict[str, DatasetSpec],
        envs: str,
    ):
        self.config, self.protocols, self.datasets, self.envs = (
            config, protocols, datasets, envs
        )  # fmt: skip

    def on_gpu(self, wildcards) -> bool:
        return uses_gpu(self.config, int(wildcards.d))

    def qrels(self, wildcards) -> str:
        """The qrels file the job's {source} names."""
        kind, value = paths.split_source(wildcards.source)
        if kind == "k":
            return paths.build(paths.QRELS, k=value, n=wildcards.n)
        return paths.build(paths.DATASET_QRELS, dataset=value)

    def k(self, wildcards) -> int:
        """Top-k: k~K's, or the dataset's."""
        kind, value = paths.split_source(wildcards.source)
        return int(value) if kind == "k" else self.datasets[value].k

    def mem_mb(self, wildcards) -> int:
        """Host memory: of the protocol's queries, or of the dataset's."""
        kind, value = paths.split_source(wildcards.source)
        queries = self.datasets[value].queries if kind == "dataset" else None
        protocol = self.protocols[wildcards.protocol]
        return optimize_mem_mb(protocol, int(wildcards.n), int(wildcards.d),
                           self.k(wildcards), queries)  # fmt: skip

    def device(self, wildcards) -> str:
        return "gpu" if self.on_gpu(wildcards) else self.config["device"]

    def gpus(self, wildcards) -> int:
        return int(self.on_gpu(wildcards))

    def group(self, wildcards) -> str | None:
        return None if self.on_gpu(wildcards) else "probe"

    def conda_env(self, wildcards) -> str:
        name = "jax-cuda12" if self.on_gpu(wildcards) else "jax-cpu"
        return f"{self.envs}/{name}.yaml"

    def image(self, wildcards) -> str | None:
        return self.config["containers"]["cuda12" if self.on_gpu(wildcards) else "cpu"]
