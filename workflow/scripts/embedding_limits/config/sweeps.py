"""Sweeps of protocol settings: a base protocol and a grid of values for some
of its keys, expanded into one protocol per combination.

Each combination is a protocol of its own, named from its settings (a path
segment: ``tau-lr_temperature0p02_learning_rate0p003``, where ``p`` stands for
the point and ``m`` for a minus sign), built as a protocol entry is (the base's
entry under the combination, over ``optimizer:``) and checked as one: a key the
base refuses fails before any job, naming ``sweeps.NAME.grid.KEY``. The
combination equal to the base protocol is the base itself: its jobs are the
base's, never run twice. A sweep may run its own ``dims`` and ``seeds``; with
seeds other than the config's, its base point runs jobs of its own (a job
holds its seeds), under the point's name.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from .protocol import FIELDS, NAME, Protocol, ProtocolError, resolve
from .schema import load_yaml


@dataclass(frozen=True)
class Point:
    """One combination of a sweep: its protocol's name and its settings."""

    sweep: str
    protocol: str  # the base's own name where it reuses the base's jobs
    settings: dict  # swept key -> value
    is_base: bool  # equal to the base protocol in every setting


@dataclass(frozen=True)
class Sweep:
    name: str
    base: str
    keys: tuple[str, ...]
    dims: tuple[int, ...]
    points: tuple[Point, ...]
    seeds: tuple[int, ...]  # the seeds each of its jobs runs


def _word(value) -> str:
    """A value as part of a name: 0.003 -> 0p003, -1 -> m1, True -> true."""
    if isinstance(value, bool):
        return str(value).lower()
    text = repr(value) if isinstance(value, float) else str(value)
    return text.replace("-", "m").replace("+", "").replace(".", "p")


def point_name(sweep: str, settings: dict) -> str:
    return "_".join([sweep, *(f"{key}{_word(v)}" for key, v in settings.items())])


def sweeps_of(config: dict, protocols: dict[str, Protocol]):
    """(the config's sweeps by name, their protocols by name, errors naming
    the key): every combination of each sweep's grid, built and checked."""
    sweeps, built, errors = {}, {}, []
    for name, entry in config["sweeps"].items():
        key = f"sweeps.{name}"
        base = entry["base"]
        if base not in protocols:
            known = ", ".join(config["protocols"])
            errors.append(f"{key}.base: {base!r} is not a protocol of this config "
                          f"({known}); name one of them, or add it under "
                          "protocols:")  # fmt: skip
            continue
        grid = {k: [_typed(v) for v in values] for k, values in entry["grid"].items()}
        unknown = [k for k in grid if k not in FIELDS or k == "name"]
        errors += [f"{key}.grid.{k}: is not a protocol setting" for k in unknown]
        if unknown:
            continue
        seeds = tuple(entry["seeds"] or config["seeds"])
        # the base's jobs serve its point only where they ran the same seeds
        reuse = list(seeds) == list(config["seeds"])
        points, failed = [], False
        for values in itertools.product(*grid.values()):
            settings = dict(zip(grid, values, strict=True))
            overrides = {**config["protocols"][base], **settings}
            try:
                protocol = resolve(point_name(name, settings), overrides,
                                   config["optimizer"])  # fmt: skip
            except ProtocolError as error:
                at = ", ".join(f"{k} = {v!r}" for k, v in settings.items())
                errors += [f"{key}.grid.{k}: {message} (at {at})"
                           for k, message in error.errors.items()]  # fmt: skip
                failed = True
                continue
            is_base = _same(protocol, protocols[base])
            aliased = is_base and reuse
            if not aliased and not NAME.fullmatch(protocol.name):
                errors.append(f"{key}.grid: {protocol.name!r} is no name for a path; "
                              "use numbers, booleans or names as values")  # fmt: skip
                failed = True
                continue
            points.append(Point(name, base if aliased else protocol.name,
                                settings, is_base))  # fmt: skip
            if not aliased:
                built[protocol.name] = protocol
        if not failed:
            dims = tuple(entry["dims"] or config["dims"])
            sweeps[name] = Sweep(name, base, tuple(grid), dims, tuple(points), seeds)
    clash = sorted(set(built) & set(protocols))
    errors += [
        f"sweeps: {c!r} is also a protocol of protocols:; rename one" for c in clash
    ]
    return sweeps, built, errors


def _same(a: Protocol, b: Protocol) -> bool:
    """Equal in every setting but the name."""
    return {**a.to_dict(), "name": None} == {**b.to_dict(), "name": None}


def _typed(value):
    """A value as a config file would type it: --config hands list items over
    as strings ("0.1"), read here as YAML where that gives a number or bool."""
    if isinstance(value, str):
        parsed = load_yaml(value)
        if isinstance(parsed, (int, float, bool)):
            return parsed
    return value
