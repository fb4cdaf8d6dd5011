"""What a witness job may be asked, without JAX: the constructions, the
storage precisions (with the format each accumulates scores in), the
placement modes, and the defaults of the config's ``witnesses:`` section.

This is the one table of each: witnesses/construction.py (the checks) and
the witness command take their choices and defaults from here, the Snakefile
builds its wildcard constraints from it (store/paths.py), and
tests/config/test_config.py checks the schema's enums and defaults against it.
"""

from __future__ import annotations

from dataclasses import dataclass

CONSTRUCTIONS = ("moment", "trig_moment")
# Storage format -> the format its scores accumulate in: as an index computes
# them, 16-bit vectors accumulate in float32.
ACCUMULATION = {"float64": "float64", "float32": "float32",
                "bfloat16": "float32", "float16": "float32"}  # fmt: skip
PRECISIONS = tuple(ACCUMULATION)
# all: every node placement and basis of a construction; best: the best known
PLACEMENT_MODES = ("all", "best")


@dataclass(frozen=True)
class WitnessSettings:
    """The config's ``witnesses:`` section, with its defaults."""

    constructions: tuple[str, ...] = CONSTRUCTIONS
    ks: tuple[int, ...] = (2,)
    precisions: tuple[str, ...] = PRECISIONS
    placements: str = "all"
    max_n: int = 512  # the cap: still holding there is reported as ">= max_n"
    scan_limit: int = 128  # every n up to this is checked


DEFAULTS = WitnessSettings()
