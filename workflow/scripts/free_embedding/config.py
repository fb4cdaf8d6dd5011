"""The workflow's configuration: read, checked and completed before any job.

Without ``--configfile``, ``config.yaml`` in the working directory is the base
and Snakemake's ``--config`` overrides go on top. With ``--configfile`` that
file replaces ``config.yaml``. Either way every key left out takes the
schema's default, and the schema's defaults are the shipped ``config.yaml``.
Snakemake reads the scalars inside a ``--config`` list or mapping as strings
(``seeds=[0]`` gives ``["0"]``); where the schema wants no string there, the
string is read as YAML (``from_command_line``).
Errors name the key (``optimizer.learning_rate``, ``dims[0]``) and the fix.
"""

from __future__ import annotations

import copy
import math
import os
import re

import jsonschema
import yaml

from . import embedder_settings, paper
from .limit_data import DatasetSpec, Vocabulary, load_vocabulary, spec_errors
from .protocol import Protocol, ProtocolError, resolve
from .strategies import Bisect, Gallop, Grid, Strategy

# YAML 1.1 (PyYAML) reads 1e-3 as a string: a float needs a dot (1.0e-3).
_EXPONENT_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


class ConfigError(ValueError):
    """The configuration cannot be used; the message says where and why."""


def read_yaml(path: str) -> dict:
    """A YAML mapping; a syntax error names the file, line and column."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror})") from err
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        problem = " ".join(filter(None, [err.context, err.problem]))
        raise ConfigError(f"{where}: YAML syntax error: {problem}") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    return data


def merge(base: dict, override: dict) -> dict:
    """``override`` on top of ``base``, mappings merged key by key."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _accepts(schema: dict | None, value) -> bool:
    return schema is None or _strict_validator(schema).is_valid(value)


def _subschema(schema: dict | None, key) -> dict | None:
    """The schema of ``key`` inside a mapping, or None where it says none."""
    if not isinstance(schema, dict):
        return None
    if key in schema.get("properties", {}):
        return schema["properties"][key]
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def _shaped(schema: dict | None, value) -> dict | None:
    """Of a list-or-mapping key's alternatives, the one of ``value``'s shape."""
    if not isinstance(schema, dict) or not isinstance(value, (dict, list)):
        return schema
    wanted = "object" if isinstance(value, dict) else "array"
    for option in schema.get("oneOf", schema.get("anyOf", [])):
        if isinstance(option, dict) and option.get("type") == wanted:
            return option
    return schema


def from_command_line(value, schema: dict | None):
    """A ``--config`` value as the schema wants it. Snakemake turns a top-level
    ``key=value`` into an int, float or string, but reads the scalars inside a
    list or mapping with YAML's BaseLoader, as strings: ``seeds=[0]`` gives
    ``["0"]``. A string that the schema does not accept where it stands (an
    integer, a number, a boolean, null) is read as YAML; a string it accepts
    (a name, a path, a choice such as ``auto``) is kept as typed."""
    schema = _shaped(schema, value)
    if isinstance(value, dict):
        return {
            key: from_command_line(item, _subschema(schema, key))
            for key, item in value.items()
        }
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema, dict) else None
        return [from_command_line(v, items) for v in value]
    if not isinstance(value, str) or schema is None or _accepts(schema, value):
        return value
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    return value if isinstance(parsed, str) else from_command_line(parsed, schema)


def _coerce_exponent_floats(value):
    """'1e-3' (a string to YAML 1.1) -> 0.001, anywhere in the config."""
    if isinstance(value, dict):
        return {k: _coerce_exponent_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_coerce_exponent_floats(v) for v in value]
    if isinstance(value, str) and _EXPONENT_FLOAT.fullmatch(value.strip()):
        return float(value)
    return value


def _strict_validator(schema: dict):
    """Draft 2020-12, but 3.0 is no integer and True no number, and defaults
    are filled in (copies, so the schema's own objects are never shared)."""
    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine_many(
        {
            "integer": lambda _, v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda _, v: (
                isinstance(v, (int, float)) and not isinstance(v, bool)
            ),
        }
    )
    validate_properties = base.VALIDATORS["properties"]

    def properties_with_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    cls = jsonschema.validators.extend(
        base, {"properties": properties_with_defaults}, type_checker=checker
    )
    return cls(schema)


def key_path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


def _describe(error: jsonschema.ValidationError, meaning: str = "") -> str:
    where = key_path(error.absolute_path)
    if error.validator == "additionalProperties":
        known = ", ".join(error.schema.get("properties", {})) or "none"
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        names = ", ".join(map(repr, unknown))
        return f"{where}: unknown key {names} (known keys: {known})"
    value = error.instance
    if error.validator == "type" and isinstance(value, float):
        if error.validator_value == "integer" and value.is_integer():
            return f"{where}: {value!r} must be written as an integer ({int(value)})"
    if error.validator == "pattern":
        return f"{where}: {value!r} must match {error.validator_value} (it names files)"
    meaning = error.schema.get("description", meaning)
    if error.validator == "minItems" and value == []:
        return f"{where}: [] lists nothing; give at least one value ({meaning})"
    if error.validator in ("oneOf", "anyOf"):
        fitting = _branch_of_its_type(error)
        if fitting is not None:  # a list where lists are allowed: what is wrong
            return _describe(fitting, meaning)
        return f"{where}: {value!r} is not valid here ({meaning})"
    return f"{where}: {error.message}"


def _branch_of_its_type(error: jsonschema.ValidationError):
    """The first complaint of the one alternative whose type the value has
    (e.g. the list form of a list-or-mapping key), if exactly one has it."""
    branches: dict = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    options = error.schema[error.validator]
    typed = [
        errors
        for i, errors in branches.items()
        if "type" in options[i]
        and not any(e.validator == "type" and not e.relative_path for e in errors)
    ]
    return typed[0][0] if len(typed) == 1 else None


def _non_finite(value, parts=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _non_finite(v, (*parts, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _non_finite(v, (*parts, i))
    elif isinstance(value, float) and not math.isfinite(value):
        yield f"{key_path(parts)}: {value} is not a finite number"


def complete(config: dict, schema: dict) -> dict:
    """The config checked against the schema, every default filled in."""
    config = _coerce_exponent_floats(copy.deepcopy(config))
    errors = [_describe(e) for e in _strict_validator(schema).iter_errors(config)]
    errors += list(_non_finite(config))
    if errors:
        raise ConfigError("invalid config:\n  " + "\n  ".join(sorted(set(errors))))
    return config


def experiment_errors(config: dict, vocab: Vocabulary) -> list[str]:
    """What the schema cannot express; each names the key and the fix."""
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
    errors += embedder_settings.errors(config)
    for name, settings in config["datasets"].items():
        spec = DatasetSpec(name=name, **settings)
        errors += [f"datasets.{name}: {e}" for e in spec_errors(spec, vocab)]
    for name, overrides in config["protocols"].items():
        try:
            protocol = resolve(name, overrides, config["optimizer"])
        except ProtocolError as err:
            errors += [f"protocols.{name}.{k}: {v}" for k, v in err.errors.items()]
            continue
        if (protocol.query_sizes != "k" and config["datasets"]
                and config["critical_d"]["enabled"]):  # fmt: skip
            errors.append(
                f"protocols.{name}.query_sizes: {protocol.query_sizes} makes its own "
                f"queries, so it cannot search a dataset's critical d; set "
                f"critical_d.enabled: false or leave query_sizes out"
            )
    return errors


def start_n(d: int, k: int, start) -> int:
    """The first n of a critical-n search: ``search.start`` itself, or for
    ``auto`` the paper's cubic at d; never below k + 1."""
    guess = round(paper.cubic(d)) if start == "auto" else int(start)
    return max(guess, k + 1)


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


def grid_of(search: dict, d: int) -> list[int] | None:
    """The n that the config's ``search`` settings list for d, if any."""
    grid = search["grid"]
    return grid.get(d, grid.get(str(d)))


def n_strategy(config: dict, k: int, d: int) -> Strategy:
    """How the critical n of (k, d) is searched: the n that search.grid lists
    for d, under either strategy; else search.strategy's way."""
    s = config["search"]
    grid = grid_of(s, d)
    if grid is not None:
        return Grid(tuple(grid))
    if s["strategy"] == "gallop":
        return Gallop(start=start_n(d, k, s["start"]), sweep=tuple(s["sweep"]))
    raise ValueError(f"search.strategy {s['strategy']}: no way to search d = {d}")


def d_strategy(config: dict) -> Strategy:
    """How the critical d of each dataset is searched: a gallop."""
    c = config["critical_d"]
    return Gallop(start=c["start"], sweep=tuple(c["sweep"]))


def d_of_n_strategy(config: dict) -> Strategy:
    """How the smallest d of each n is searched: a bisection of a window."""
    c = config["critical_d_of_n"]
    return Bisect(start=c["start"], window=c["window"], ahead=c["probe_ahead"])


def protocols(config: dict) -> dict[str, Protocol]:
    """Every protocol of a checked config, by name."""
    return {
        name: resolve(name, overrides, config["optimizer"])
        for name, overrides in config["protocols"].items()
    }


def load(
    overrides: dict,
    schema_path: str,
    base_path: str | None,
    vocab_dir: str,
    command_line: dict | None = None,
):
    """The workflow's config: ``base_path`` (if it exists) under ``overrides``,
    under ``command_line`` (Snakemake's ``--config``, read as the schema wants:
    ``from_command_line``), checked and completed; raises ConfigError listing
    every problem."""
    schema = read_yaml(schema_path)
    base = read_yaml(base_path) if base_path and os.path.exists(base_path) else {}
    typed = from_command_line(dict(command_line or {}), schema)
    config = complete(merge(merge(base, overrides), typed), schema)
    errors = experiment_errors(config, load_vocabulary(vocab_dir))
    if errors:
        raise ConfigError("invalid config:\n  " + "\n  ".join(errors))
    return config
