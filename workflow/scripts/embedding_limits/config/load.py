"""The workflow's configuration: read, checked and completed before any job.

Without ``--configfile``, ``config.yaml`` in the working directory is the base
and Snakemake's ``--config`` overrides go on top. With ``--configfile`` that
file replaces ``config.yaml``. Either way every key left out takes the
schema's default, and the schema's defaults are the shipped ``config.yaml``.
The schema's checks and defaults, and the reading of ``--config`` values, are
schema.py's; here are the checks the schema cannot express (``experiment_errors``:
each names the key and the fix), ``load``, which runs them all and builds the
protocols and datasets once. What its sections mean is sections.py's;
search/plan.py turns it into searches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..data import folder
from ..data.folder import FolderSpec
from ..data.limit_text import DatasetSpec, Vocabulary, load_vocabulary, spec_errors
from ..embedders import checks as embedder_checks
from .protocol import Protocol, protocols_of
from .schema import ConfigError, complete, from_command_line, merge, read_yaml
from .sections import grid_of, start_n
from .sweeps import Sweep, sweeps_of


def experiment_errors(
    config: dict,
    vocab: Vocabulary,
    protocols: dict[str, Protocol],
    datasets: dict[str, DatasetSpec | FolderSpec],
) -> list[str]:
    """What the schema cannot express, with the config's protocols and
    datasets as built; each error names the key and the fix."""
    errors = []
    for d, ns in config["search"]["grid"].items():
        if not str(d).isdigit() or int(d) < 1:
            errors.append(
                f"search.grid: key {d!r} is not a dimension; use an integer d >= 1"
            )
            continue
        if int(d) not in config["dims"]:
            errors.append(
                f"search.grid.{d}: d={d} is not in dims {config['dims']}, so this "
                f"grid would never run; add {d} to dims, or remove search.grid.{d}"
            )
        small = sorted(n for n in ns if n <= max(config["ks"]))
        if small:
            errors.append(
                f"search.grid.{d}: every n must be greater than k "
                f"(ks: {config['ks']}), got {small}"
            )
    for name, sweep in config["sweeps"].items():
        bare = [d for d in sweep["dims"] or [] if grid_of(config["search"], d) is None]
        if config["search"]["strategy"] == "grid" and bare:
            errors.append(
                f"sweeps.{name}.dims: search.strategy grid runs only the n of "
                f"search.grid, which lists none for d = {', '.join(map(str, bare))}; "
                "give each a grid, or use strategy gallop"
            )
    if config["search"]["strategy"] == "grid":
        bare = [d for d in config["dims"] if grid_of(config["search"], d) is None]
        if bare:
            errors.append(
                f"search.strategy: grid runs only the n of search.grid, which lists "
                f"none for d = {', '.join(map(str, bare))}; give each a grid, or "
                "use strategy gallop"
            )
    w = config["witnesses"]
    small = [k for k in w["ks"] if k >= w["max_n"]]
    if small:
        errors.append(f"witnesses.max_n: {w['max_n']} must exceed every k of "
                      f"witnesses.ks, got k = {small}")  # fmt: skip
    for key in ("search", "critical_d"):
        low, high = config[key]["sweep"]
        if low > high:
            errors.append(f"{key}.sweep: [{low}, {high}] must be [low, high]")
    errors += _cap_errors(config)
    errors += _d_of_n_errors(config) + _unknown_protocols(config, "search")
    errors += embedder_checks.errors(config)
    for name, spec in datasets.items():
        if isinstance(spec, DatasetSpec):
            errors += [f"datasets.{name}.{e}" for e in spec_errors(spec, vocab)]
    searches_d = bool(datasets) and config["critical_d"]["enabled"]
    for name, protocol in protocols.items():
        if protocol.query_sizes != "k" and searches_d:
            errors.append(
                f"protocols.{name}.query_sizes: {protocol.query_sizes} makes its own "
                f"queries, so it cannot search a dataset's critical d; set "
                f"critical_d.enabled: false or leave query_sizes out"
            )
    return errors


def _cap_errors(config: dict) -> list[str]:
    """A search that starts above its cap could only report the cap: refused."""
    errors = []
    s, c = config["search"], config["critical_d"]
    start, max_n = s["start"], s["max_n"]
    for k in sorted(k for k in config["ks"] if k + 1 > max_n):
        errors.append(
            f"search.max_n: {max_n} leaves no n to search for k = {k} "
            f"(every n must exceed k); raise search.max_n above {k}"
        )
    galloped = [d for d in config["dims"] if grid_of(s, d) is None]
    over = {}  # d -> its first guess, where some k leaves room below the cap
    for d in galloped:
        for k in (k for k in config["ks"] if k + 1 <= max_n):
            if start_n(d, k, start) > max_n:
                over[d] = start_n(d, k, start)
    if over and start != "auto":
        errors.append(
            f"search.start: {start} is above search.max_n ({max_n}); lower "
            f"search.start to {max_n} or less, or raise search.max_n to "
            f"{start} or more"
        )
    elif over:
        at = ", ".join(f"{d} (n = {n})" for d, n in sorted(over.items()))
        errors.append(
            f"search.start: auto's first guess exceeds search.max_n ({max_n}) at "
            f"d = {at}; raise search.max_n to {max(over.values())} or more, set "
            f"search.start to an integer up to {max_n}, or give those d a search.grid"
        )
    if c["start"] > c["max_d"]:
        errors.append(
            f"critical_d.start: {c['start']} is above critical_d.max_d "
            f"({c['max_d']}); lower critical_d.start to {c['max_d']} or "
            f"less, or raise critical_d.max_d to {c['start']} or more"
        )
    return errors


def _d_of_n_errors(config: dict) -> list[str]:
    """The critical_d_of_n section against k, max_d and the protocols."""
    errors, c = [], config["critical_d_of_n"]
    k = c["k"]
    lists = c["ns"] if isinstance(c["ns"], dict) else {None: c["ns"]}
    for protocol, ns in lists.items():
        key = "critical_d_of_n.ns" + (f".{protocol}" if protocol else "")
        if protocol is not None and protocol not in config["protocols"]:
            errors.append(
                f"{key}: {protocol!r} is not a protocol of this config "
                f"({', '.join(config['protocols'])}); add it under protocols: or "
                "remove it here"
            )
        for i, n in enumerate(ns):
            if n <= k:
                errors.append(
                    f"{key}[{i}]: n = {n} must exceed critical_d_of_n.k "
                    f"= {k} (with n = k no document is irrelevant: nothing to rank); "
                    f"remove it, or list n = {k + 1} or more"
                )
    if isinstance(c["ns"], dict) and c["protocols"] != "all":
        errors.append(
            "critical_d_of_n.protocols: ns maps each protocol to its own n, so it "
            "names the protocols searched; leave protocols out (all)"
        )
    if c["start"] > c["max_d"]:
        errors.append(
            f"critical_d_of_n.start: {c['start']} is above critical_d_of_n.max_d "
            f"({c['max_d']}); lower critical_d_of_n.start to {c['max_d']} or "
            f"less, or raise critical_d_of_n.max_d to {c['start']} or more"
        )
    return errors + _unknown_protocols(config, "critical_d_of_n")


def _unknown_protocols(config: dict, section: str) -> list[str]:
    """A section's ``protocols`` list against the config's protocols."""
    chosen, known = config[section]["protocols"], list(config["protocols"])
    return [
        f"{section}.protocols[{i}]: {name!r} is not a protocol of this config "
        f"({', '.join(known)}); add it under protocols:, remove it here, or write all"
        for i, name in enumerate([] if chosen == "all" else chosen)
        if name not in known
    ]


def switched_off(command_line: dict, schema: dict) -> list[str]:
    """The sections keyed by name (embedders, datasets, ...) that ``--config``
    sets to an empty mapping: none of them, not the config file's merged in
    key by key (a non-empty mapping merges as any other)."""
    keyed = [
        key for key, spec in schema["properties"].items()
        if isinstance(spec.get("additionalProperties"), dict)
        and "properties" not in spec
    ]  # fmt: skip
    return [key for key in keyed if command_line.get(key) == {}]


@dataclass(frozen=True)
class Experiment:
    """A checked config, every default filled in, with its protocols and
    datasets by name: what the workflow runs. Each protocol is built here
    once; every job is handed its own as one document (``Protocol.to_json``)."""

    config: dict
    protocols: dict[str, Protocol]
    datasets: dict[str, DatasetSpec | FolderSpec]
    sweeps: dict[str, Sweep] = field(default_factory=dict)
    sweep_protocols: dict[str, Protocol] = field(default_factory=dict)

    @property
    def every_protocol(self) -> dict[str, Protocol]:
        """The config's protocols and its sweeps' combinations: every
        protocol a job may run."""
        return {**self.protocols, **self.sweep_protocols}

    @property
    def seeds(self) -> dict[str, list[int]]:
        """The seeds each protocol's jobs run: the config's ``seeds``, or a
        sweep's own for its combinations."""
        own = {point.protocol: list(sweep.seeds)
               for sweep in self.sweeps.values() for point in sweep.points
               if point.protocol in self.sweep_protocols}  # fmt: skip
        return {name: own.get(name, list(self.config["seeds"]))
                for name in self.every_protocol}  # fmt: skip


def datasets_of(config: dict, checked_dir: str | None):
    """(name -> DatasetSpec or FolderSpec, errors). A folder is read and
    checked once per content (``checked_dir`` keeps the answers); its errors
    name the key, the file and the line."""
    specs, errors = {}, []
    for name, settings in config["datasets"].items():
        if {"path", "hf"} <= set(settings):
            errors.append(f"datasets.{name}: give path or hf, not both")
        elif "path" in settings or "hf" in settings:
            key = f"datasets.{name}.{'path' if 'path' in settings else 'hf'}"
            try:
                found, origin = folder.locate(settings)
                specs[name] = folder.inspect(name, found, origin, checked_dir)
            except folder.DatasetError as error:
                errors.append(f"{key}: " + str(error).replace("\n", "\n    "))
        else:
            specs[name] = DatasetSpec(name=name, **settings)
    return specs, errors


def load(
    overrides: dict,
    schema_path: str,
    base_path: str | None,
    vocab_dir: str,
    command_line: dict | None = None,
    checked_dir: str | None = None,
    config_files: list[str] | None = None,
) -> Experiment:
    """The workflow's experiment: ``base_path`` (if it exists) under
    ``overrides``, under ``command_line`` (Snakemake's ``--config``, read as the
    schema wants: ``from_command_line``), checked and completed; raises
    ConfigError listing every problem. ``checked_dir`` keeps what reading a
    dataset folder found, by content (None: read it every time).
    ``config_files`` (Snakemake's --configfile) are read here as ``read_yaml``
    reads (0064 is 64), in place of ``overrides``, Snakemake's reading of them."""
    schema = read_yaml(schema_path)
    base = read_yaml(base_path) if base_path and os.path.exists(base_path) else {}
    if config_files:
        overrides = {}
        for path in config_files:
            overrides = merge(overrides, read_yaml(path))
    typed = from_command_line(dict(command_line or {}), schema)
    merged = merge(merge(base, overrides), typed)
    for key in switched_off(typed, schema):  # --config 'embedders={}': none
        merged[key] = {}
    config = complete(merged, schema)
    protocols, errors = protocols_of(config)
    datasets, dataset_errors = datasets_of(config, checked_dir)
    sweeps, sweep_protocols, sweep_errors = sweeps_of(config, protocols)
    vocab = load_vocabulary(vocab_dir)
    errors = experiment_errors(config, vocab, protocols, datasets) + errors
    errors += dataset_errors + sweep_errors
    if errors:
        raise ConfigError("invalid config:\n  " + "\n  ".join(errors))
    return Experiment(config, protocols, datasets, sweeps, sweep_protocols)
