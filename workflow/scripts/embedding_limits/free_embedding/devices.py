"""Choosing the JAX device, checking the job fits, describing the environment."""

from __future__ import annotations

import importlib.metadata
import os
import pkgutil
import platform

import jax

from ..memory.limits import cpu_job_limit
from ..memory.sizes import bytes_per_query, required_bytes
from .fingerprint import fingerprint
from .precision import describe


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


def device_limit(device: jax.Device) -> tuple[int | None, str]:
    """The bytes a job may use on ``device``, and what sets that limit.

    A GPU's own allocator statistics, when it reports any; without them the
    GPU cannot be checked (host memory says nothing about it). A CPU job's
    limit is its cgroup's, SLURM's or the host's, whichever is smallest.
    """
    if device.platform == "cpu":
        return cpu_job_limit()
    stats = device.memory_stats() or {}
    if "bytes_limit" not in stats:
        return None, f"the {device.platform} device reports no memory statistics"
    free = int(stats["bytes_limit"] - stats.get("bytes_in_use", 0))
    return free, f"the free memory of {device.device_kind}"


def check_fits(
    device: jax.Device,
    seeds_in_flight: int,
    num_queries: int,
    num_docs: int,
    d: int,
    per_query: int,
    total_queries: int,
    loss: str = "infonce",
) -> str | None:
    """Raise DeviceError, with advice that works, when the job cannot fit.

    Returns a note when the device's memory cannot be checked.
    """  # fmt: skip
    have, source = device_limit(device)
    if have is None:
        return f"memory not checked: {source}"
    shape = dict(d=d, per_query=per_query, loss=loss)
    need = required_bytes(seeds_in_flight, num_queries, num_docs, **shape)
    if need <= have:
        return None
    gib = 2**30
    fixed = required_bytes(seeds_in_flight, 0, num_docs, **shape)
    fits = (have - fixed) // max(bytes_per_query(seeds_in_flight, num_docs, **shape), 1)
    if fits >= 1:
        advice = (
            f"at most {fits:,} queries fit: add --max-queries {fits} (a "
            f"sample of the {total_queries:,}), or run fewer seeds at once"
        )
    else:
        advice = f"not even one query of {num_docs:,} documents fits: lower --n"
    raise DeviceError(
        f"{num_queries:,} queries x {num_docs:,} documents x {seeds_in_flight} "
        f"seed(s) at once need about {need / gib:.1f} GiB, but {source} is "
        f"{have / gib:.1f} GiB; {advice}."
    )


def environment(
    device: jax.Device, precision: str, seed_batching: str, deterministic: bool
) -> dict:
    """Versions, hardware and numeric settings that produced a result."""
    bits = fingerprint()
    return {
        **bits["versions"],
        "python": platform.python_version(),
        "backend": device.platform,
        "device_kind": device.device_kind,
        "precision": precision,
        "matmul": describe(precision, device.platform),
        "seed_batching": seed_batching,
        "deterministic_gpu_ops": deterministic,
        "xla_flags": bits["xla_flags"],
        # what picks XLA:CPU's kernels, hence the last bits of a CPU run
        "cpu_model": bits["cpu_model"],
        "cpu_features": " ".join(bits["cpu_features"]),
        "hostname": platform.node(),
        # where a scheduler placed the job (None when run by hand)
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "slurm_partition": os.environ.get("SLURM_JOB_PARTITION"),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
    }
