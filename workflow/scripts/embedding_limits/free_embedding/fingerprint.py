"""What decides a CPU run's last bits, so that floats are compared only
between runs that share it.

XLA:CPU compiles for the CPU it runs on: its instruction set (AVX2, AVX-512,
AMX, NEON, SVE, ...) picks the kernels, so the same code and versions give
different last bits on another CPU. ``XLA_FLAGS`` (e.g.
``--xla_cpu_max_isa=AVX2``) changes that choice too. A fingerprint holds the
versions, the platform, the CPU model and its instruction-set features, and
the flags; two runs with equal fingerprints may be compared bit for bit.
Imports no JAX.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re

PACKAGES = ("jax", "jaxlib", "optax", "numpy")
# x86 flags that name instruction-set extensions (vector widths, FMA, AMX,
# bit manipulation): what an LLVM backend may use. Other /proc/cpuinfo flags
# (hypervisor, microcode bugs, power states) do not change a float.
X86_ISA = re.compile(
    r"^(sse.*|ssse3|avx.*|fma.*|f16c|amx.*|bmi.*|popcnt|lzcnt|abm|movbe|adx|"
    r"sha.*|aes|vaes|pclmulqdq|vpclmulqdq|gfni|xop|tbm|cx16|rdrand|rdseed)$"
)


def _cpuinfo() -> tuple[str, list[str]]:
    """The CPU's model and instruction-set features, as Linux reports them."""
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return platform.processor() or "unknown", []
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    model = fields.get("model name") or fields.get("CPU part") or "unknown"
    if "flags" in fields:  # x86
        features = [f for f in fields["flags"].split() if X86_ISA.match(f)]
    else:  # arm64 lists only instruction-set features
        features = fields.get("Features", "").split()
    return model, sorted(set(features))


def versions() -> dict[str, str | None]:
    found = {}
    for package in PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    return found


def fingerprint() -> dict:
    """What decides the bits of a CPU run on this machine, now."""
    model, features = _cpuinfo()
    return {
        "versions": versions(),
        "machine": platform.machine(),
        "system": platform.system(),
        "cpu_model": model,
        "cpu_features": features,
        "xla_flags": os.environ.get("XLA_FLAGS") or None,
    }


def differences(stored: dict, here: dict) -> list[str]:
    """Each field on which two fingerprints differ, said briefly."""
    said = []
    for key in sorted(set(stored) | set(here)):
        a, b = stored.get(key), here.get(key)
        if a == b:
            continue
        if key == "cpu_features" and isinstance(a, list) and isinstance(b, list):
            only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
            said.append(f"cpu_features (only there: {' '.join(only_a) or '-'}; "
                        f"only here: {' '.join(only_b) or '-'})")  # fmt: skip
        else:
            said.append(f"{key} ({a!r} there, {b!r} here)")
    return said
