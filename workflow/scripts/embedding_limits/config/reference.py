"""The config reference, docs/config.md, written from the schema and Protocol.

Every key's type, bounds, default and meaning come from the schema
(``workflow/schemas/config.schema.yaml``: its descriptions and defaults); a
protocol setting's default, which the schema does not hold, from ``Protocol``
and each loss's facts. ``tools/config_reference.py`` writes the page, and a
test checks that the committed page is what this renders.
"""

from __future__ import annotations

import yaml

from .loss_facts import LOSS_FACTS
from .protocol import Protocol

HEADER = """\
# Configuration reference

Every key of `config.yaml`, with its type, default and meaning. This page is
generated from `workflow/schemas/config.schema.yaml` and, for a protocol's
settings, from the `Protocol` dataclass
(`workflow/scripts/embedding_limits/config/protocol.py`), their one home: do
not edit it by hand; `.venv/bin/python tools/config_reference.py` writes it
again, and a test checks that it is current.

A config of your own (`snakemake --configfile my.yaml`) replaces `config.yaml`;
every key it leaves out takes the default below. `--config` goes on top, key
by key. A key that is not listed here, or a value of the wrong type, stops the
run before any job with a message naming the key
([running](running.md#changing-the-grid)).
"""


def inline(value) -> str:
    """A value as the page writes it: YAML's flow style (``[4, 5]``, ``""``)."""
    if value == "":
        return '""'
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6)
    return text.strip().removesuffix("\n...").strip()


def _bounds(spec: dict) -> str:
    low, high = spec.get("minimum"), spec.get("maximum")
    if "exclusiveMinimum" in spec:
        return f" > {spec['exclusiveMinimum']}" + (
            f", < {spec['exclusiveMaximum']}" if "exclusiveMaximum" in spec else ""
        )
    if low is not None and high is not None:
        return f" in {low}..{high:,}"
    if low is not None:
        return f" >= {low}" + (
            f", < {spec['exclusiveMaximum']}" if "exclusiveMaximum" in spec else ""
        )
    return ""


def kind(spec: dict) -> str:
    """A schema's type for people: ``integer in 1..64``, ``one of a, b``."""
    if "const" in spec:
        return f"`{spec['const']}`"
    if "enum" in spec:
        return "one of " + ", ".join(f"`{choice}`" for choice in spec["enum"])
    if "oneOf" in spec:
        return " or ".join(kind(option) for option in spec["oneOf"])
    types = spec.get("type", "any")
    if isinstance(types, list):
        return " or ".join(kind({**spec, "type": t}) for t in types)
    if types == "array":
        items = kind(spec.get("items", {}))
        if spec.get("minItems") == spec.get("maxItems") and "minItems" in spec:
            return f"list of {spec['minItems']}: {items}"
        return f"list of {items}"
    if types == "object" and "additionalProperties" in spec:
        values = spec["additionalProperties"]
        if isinstance(values, dict) and not values.get("properties"):
            return f"mapping of names to {kind(values)}"
    if types in ("integer", "number"):
        return types + _bounds(spec)
    return {"null": "`null`", "boolean": "`true` or `false`"}.get(types, types)


def _row(key: str, spec: dict, default: str) -> str:
    description = " ".join(spec.get("description", "").split()).replace("|", "\\|")
    return f"| `{key}` | {kind(spec)} | {default} | {description} |"


def _table(properties: dict, defaults) -> list[str]:
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key, spec in properties.items():
        rows.append(_row(key, spec, defaults(key, spec)))
    return rows


def _schema_default(key: str, spec: dict) -> str:
    return f"`{inline(spec['default'])}`" if "default" in spec else "(required)"


def _protocol_default(key: str, spec: dict) -> str:
    """Protocol's default: the published protocol's setting."""
    if key == "temperature":
        starts = [f"{name} `{facts.start_temperature}`"
                  for name, facts in LOSS_FACTS.items()
                  if facts.start_temperature is not None]  # fmt: skip
        return "the loss's own start: " + ", ".join(starts)
    return f"`{inline(getattr(Protocol(), key))}`"


def render(schema: dict) -> str:
    """docs/config.md: a section per top-level key, a table of its keys."""
    properties = schema["properties"]
    scalars = {k: s for k, s in properties.items()
               if s.get("type") != "object" or "properties" not in s
               and "additionalProperties" not in s}  # fmt: skip
    lines = [HEADER, "## Top-level settings", ""]
    lines += _table(scalars, _schema_default)
    for name, spec in properties.items():
        if name in scalars:
            continue
        lines += ["", f"## `{name}`", "", " ".join(spec["description"].split()), ""]
        if "properties" in spec:
            defaults = _protocol_default if name == "optimizer" else _schema_default
            lines += _table(spec["properties"], defaults)
            continue
        entry = spec["additionalProperties"]
        lines += [
            f"Default: `{inline(spec['default'])}`. Each entry "
            f"(`{name}.<name>`) takes these keys:",
            "",
        ]
        defaults = _protocol_default if name == "protocols" else _schema_default
        if "if" in entry:  # two kinds of entry (datasets: generated, or a folder)
            lines += _table(entry["else"]["properties"], defaults)
            lines += ["", "Or, read from a folder instead (then no key above):", ""]
            lines += _table(entry["then"]["properties"], defaults)
            continue
        lines += _table(entry["properties"], defaults)
        if name == "protocols":
            lines += ["", "A protocol's `name` is its key; whatever it leaves out "
                      "is `optimizer`'s, and then the published protocol's "
                      "(the defaults above)."]  # fmt: skip
    return "\n".join(lines) + "\n"
