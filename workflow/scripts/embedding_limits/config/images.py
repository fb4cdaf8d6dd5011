"""The container images a config's jobs run in (``--sdm apptainer``)."""

from __future__ import annotations

from ..embedders.backends import BACKENDS


def images_needed(config: dict) -> set[str]:
    """The JAX images (``cpu``, ``cuda12``), and those of the configured
    embedders' backends (the optional backends' only when one is configured)."""
    backends = {e["backend"] for e in config["embedders"].values()}
    return {"cpu", "cuda12"} | {BACKENDS[b].image for b in backends}


def missing_images(config: dict) -> str | None:
    """Why ``--sdm apptainer`` cannot run this config, or None: an image it
    needs is not set under ``containers:``."""
    missing = [kind for kind in sorted(images_needed(config))
               if not config["containers"][kind]]  # fmt: skip
    if not missing:
        return None
    keys = " and ".join(f"containers.{kind}" for kind in missing)
    names = " ".join(kind.replace("_", "-") for kind in missing)
    return (
        f"--sdm apptainer needs images, but config {keys} is not set. Build "
        f"them with `make images IMAGES='{names}'`, then push them to a "
        f"registry or turn them into .sif files, and set {keys} to their "
        "docker:// URIs or paths (containers/README.md says how)."
    )
