"""What the workflow gives each embedding job: the model's options, its
device, memory, env, image and cluster group (embedders.smk). No model
library here: the Snakefile imports it.
"""

from __future__ import annotations

import shlex

from .backends import BACKENDS


class EmbedJobs:
    """The embed rule's per-job values, each a function of its wildcards
    (dataset, embedder); ``embedders``: the runnable ones (checks.runnable)."""

    def __init__(self, config: dict, embedders: dict[str, dict], envs: str):
        self.config, self.embedders, self.envs = config, embedders, envs

    def options(self, wildcards) -> str:
        """The model and prompts as embed.py options, quoted for the shell."""
        settings = self.embedders[wildcards.embedder]
        options = [f"--backend {settings['backend']}",
                   f"--device {settings['device']}"]  # fmt: skip
        if settings["model"]:
            options.append(f"--model {shlex.quote(settings['model'])}")
        for key in ("query_prompt", "document_prompt"):
            if settings[key]:
                option = key.replace("_", "-")
                options.append(f"--{option} {shlex.quote(settings[key])}")
        return " ".join(options)

    def gpus(self, wildcards) -> int:
        """A GPU for an embedder on device gpu; like an optimisation job, it
        then never shares a cluster job (``group``)."""
        return 1 if self.embedders[wildcards.embedder]["device"] == "gpu" else 0

    def group(self, wildcards) -> str | None:
        return None if self.gpus(wildcards) else "embed"

    def conda_env(self, wildcards) -> str:
        backend = self.embedders[wildcards.embedder]["backend"]
        return f"{self.envs}/{BACKENDS[backend].conda_env}.yaml"

    def image(self, wildcards) -> str | None:
        backend = self.embedders[wildcards.embedder]["backend"]
        return self.config["containers"][BACKENDS[backend].image]
