"""Choosing the JAX device, checking the job fits, describing the environment."""

from __future__ import annotations

import importlib.metadata
import os
import pkgutil
import platform

import jax

from .memory import required_bytes


class DeviceError(RuntimeError):
    """The requested device cannot run the job."""


def _devices(platform_name: str) -> list[jax.Device]:
    try:
        return jax.devices(platform_name)
    except RuntimeError:
        return []


def cuda_plugins() -> list[str]:
    """The installed JAX plugins that provide CUDA."""
    names = {ep.name for ep in importlib.metadata.entry_points(group="jax_plugins")}
    try:
        import jax_plugins

        names |= {m.name for m in pkgutil.iter_modules(jax_plugins.__path__)}
    except ImportError:
        pass
    return sorted(name for name in names if "cuda" in name)


def resolve_device(choice: str) -> jax.Device:
    """``cpu``, ``gpu`` (an error without one) or ``auto`` (GPU when present)."""
    if choice == "cpu":
        return jax.devices("cpu")[0]
    if choice == "gpu":
        try:
            return jax.devices("gpu")[0]
        except Exception as err:  # RuntimeError, or AssertionError without plugin
            plugins = cuda_plugins()
            if plugins:
                reason = (
                    f"JAX's CUDA backend ({', '.join(plugins)}) did not start: "
                    f"{str(err).strip() or type(err).__name__}"
                )
            else:
                reason = (
                    "no CUDA plugin for JAX is installed (jax-cuda12-plugin); "
                    "make the GPU environment with `make venv GPU=1`, or "
                    "pip install 'jax[cuda12]' beside this jax"
                )
            raise DeviceError(
                f"--device gpu: {reason}. A job that asked for a GPU does not "
                "fall back to the CPU; use --device cpu or auto for that."
            ) from err
    gpus = _devices("gpu")
    return gpus[0] if gpus else jax.devices("cpu")[0]


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
