"""Choosing the JAX device, checking the job fits, describing the environment."""

from __future__ import annotations

import importlib.metadata
import os
import platform

import jax

# float32 arrays of the logits' shape alive at once in a step, per seed
# (logits, log-softmax, its gradient, softmax, scores for top-k, a spare).
LOGIT_COPIES = 6


class DeviceError(RuntimeError):
    """The requested device cannot run the job."""


def _devices(platform_name: str) -> list[jax.Device]:
    try:
        return jax.devices(platform_name)
    except RuntimeError:
        return []


def resolve_device(choice: str) -> jax.Device:
    """``cpu``, ``gpu`` (an error without one) or ``auto`` (GPU when present)."""
    if choice == "cpu":
        return jax.devices("cpu")[0]
    gpus = _devices("gpu")
    if gpus:
        return gpus[0]
    if choice == "gpu":
        raise DeviceError(
            "--device gpu: JAX sees no GPU (backend: "
            f"{jax.default_backend()}). Install the CUDA-12 JAX wheels "
            "(pip install 'jax[cuda12]') on a machine with an NVIDIA driver, "
            "or use --device cpu or --device auto."
        )
    return jax.devices("cpu")[0]


def free_bytes(device: jax.Device) -> int | None:
    """Bytes the device can still allocate; None when unknown."""
    stats = device.memory_stats() if device.platform != "cpu" else None
    if stats and "bytes_limit" in stats:
        return int(stats["bytes_limit"] - stats.get("bytes_in_use", 0))
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def required_bytes(num_seeds: int, num_queries: int, num_docs: int) -> int:
    """A working-set estimate: logit-sized float32 arrays for every seed."""
    return LOGIT_COPIES * 4 * num_seeds * num_queries * num_docs


def check_fits(device: jax.Device, num_seeds: int, num_queries: int, num_docs: int):
    """Raise DeviceError, saying how much is needed, when the job cannot fit."""
    need = required_bytes(num_seeds, num_queries, num_docs)
    have = free_bytes(device)
    if have is not None and need > have:
        raise DeviceError(
            f"{num_queries:,} queries x {num_docs:,} documents x {num_seeds} "
            f"seed(s) needs about {need / 2**30:.1f} GiB for the logits and their "
            f"gradients, but the {device.platform} device has "
            f"{have / 2**30:.1f} GiB free. Lower --n, cap the queries with "
            "--max-queries, or run fewer seeds per job."
        )


def environment(device: jax.Device, precision: str, seed_batching: str) -> dict:
    """Versions, hardware and numeric settings that produced a result."""
    versions = {}
    for package in ("jax", "jaxlib", "optax", "numpy"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        **versions,
        "python": platform.python_version(),
        "backend": device.platform,
        "device_kind": device.device_kind,
        "precision": precision,
        "seed_batching": seed_batching,
        "hostname": platform.node(),
        # where a scheduler placed the job (None when run by hand)
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "slurm_partition": os.environ.get("SLURM_JOB_PARTITION"),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
    }
