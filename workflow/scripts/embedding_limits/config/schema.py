"""The config's schema machinery, for any YAML config and its JSON schema.

Read a YAML file (``read_yaml``), lay one config over another (``merge``),
read Snakemake's ``--config`` values as the schema wants them
(``from_command_line``: Snakemake reads the scalars inside a list or mapping
as strings, so ``seeds=[0]`` gives ``["0"]``; where the schema wants no string
there, the string is read as YAML), and check a config strictly, filling in
every default (``complete``). Errors name the key (``optimizer.learning_rate``,
``dims[0]``) and the fix. What the schema cannot say about this experiment
is load.py's.
"""

from __future__ import annotations

import copy
import math
import re

import jsonschema
import yaml

# YAML 1.1 (PyYAML) reads 1e-3 as a string: a float needs a dot (1.0e-3).
_EXPONENT_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


# A name that becomes a path segment and a command-line word (the schema's
# propertyNames; store/paths.py's NAME, tested equal)
NAME_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_-]*$"


class ConfigError(ValueError):
    """The configuration cannot be used; the message says where and why."""


class DecimalLoader(yaml.SafeLoader):
    """PyYAML's safe loader, but an integer written with a leading 0 is
    decimal: YAML 1.1 reads 0064 as octal (52), which no one writing a
    dimension means."""


def _decimal_int(loader, node):
    text = loader.construct_scalar(node).replace("_", "")
    if re.fullmatch(r"[-+]?0[0-7]+", text):  # YAML 1.1's octal
        return int(text, 10)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


DecimalLoader.add_constructor("tag:yaml.org,2002:int", _decimal_int)


def load_yaml(text):
    """YAML text (or a stream) as :class:`DecimalLoader` reads it."""
    return yaml.load(text, Loader=DecimalLoader)


def read_yaml(path: str) -> dict:
    """A YAML mapping; a syntax error names the file, line and column."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = load_yaml(handle)
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
    for branch in (schema, schema.get("then"), schema.get("else")):  # if/then/else
        if isinstance(branch, dict) and key in branch.get("properties", {}):
            return branch["properties"][key]
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
        parsed = load_yaml(value)
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
    if error.validator == "pattern" and error.validator_value == NAME_PATTERN:
        return (f"{where}: {value!r} must be letters, digits, - and _, not starting "
                "with - (it names files and is a word on command lines)")  # fmt: skip
    if error.validator == "pattern":
        return f"{where}: {value!r} must match {error.validator_value}"
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
