"""An optimisation protocol: one value that the engine, the reference loop and
the command line receive. Its defaults are the published protocol.

The variants come from the 2026 follow-ups of the LIMIT paper: a sigmoid loss
with a learned temperature, a warmup + cosine schedule and success by a
positive global margin (arXiv 2605.23556), and centroid queries trained with a
pairwise hinge loss under a one-cycle schedule (arXiv 2601.20844). A loss
plugs in through ``free_embedding/losses.py`` and its facts in
``loss_facts.py``; this module only says which settings exist and which
combinations make sense, and imports no JAX: the Snakefile builds the config's
protocols with it (``protocols_of``), once, and hands each job its own as one
JSON document (``to_json``, read back by ``from_json``). A protocol's
defaults live in ``Protocol`` alone: the schema holds none of them, and
docs/config.md shows them.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass

from .loss_facts import LOSS_FACTS

SCHEDULES = ("constant", "warmup_cosine", "onecycle")
QUERIES = ("free", "centroid")
# which subsets of the documents are queries: of exactly k, or of every size 1..k
QUERY_SIZES = ("k", "1..k")
INITS = ("unit", "gaussian")
SUCCESS = ("top_k", "margin", "separation")
REDUCTIONS = ("sum", "query_mean")
PATIENCE_METRICS = ("loss", "violations")
# the precision of the loss's matrix products (what each means: precision.py)
PRECISIONS = ("default", "float32", "tf32", "bf16")
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Protocol:
    """How free embeddings are optimised; the defaults are the published ones."""

    name: str = "published"
    loss: str = "infonce"
    learning_rate: float = 0.01
    temperature: float | None = None  # None: the loss's own start (loss_facts)
    learn_temperature: bool = False
    bias: float = 0.0  # these two: only with a loss that lists them (loss_facts)
    margin: float = 0.1
    schedule: str = "constant"
    warmup_fraction: float = 0.05  # warmup_cosine only
    start_factor: float = 0.1
    final_ratio: float = 0.01
    # onecycle only: MED's, PyTorch OneCycleLR's defaults and names (schedules.py)
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    cycle_momentum: bool = True
    base_momentum: float = 0.85
    max_momentum: float = 0.95
    queries: str = "free"
    query_sizes: str = "k"  # "1..k": centroid queries only (MED's)
    reduction: str = "sum"  # hinge only: of its terms, or their sum / queries
    init: str = "unit"  # unit rows, or the raw Gaussian draws
    normalize: bool = True
    early_stopping: bool = True
    patience_metric: str = "loss"  # what must improve within patience steps
    patience: int = 1000
    min_delta: float = 1e-5
    max_steps: int = 100_000
    eval_every: int = 50
    success: str = "top_k"
    stop_at_success: bool = True  # false: success is judged at the end alone
    precision: str = "default"

    def __post_init__(self) -> None:
        if self.temperature is None and self.loss in LOSS_FACTS:
            start = LOSS_FACTS[self.loss].start_temperature
            object.__setattr__(self, "temperature", start)
        errors = protocol_errors(self)
        if errors:
            raise ProtocolError(errors)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """The protocol as one JSON document, every setting in field order:
        what the workflow hands a job (``optimize.py --protocol-json``)."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, settings: dict) -> Protocol:
        """The protocol that ``settings`` (a mapping of its fields) describes;
        a key that is no setting is an error, not ignored."""
        if not isinstance(settings, dict):
            raise ProtocolError({"protocol": f"must be a mapping, got {settings!r}"})
        unknown = sorted(set(settings) - set(FIELDS))
        if unknown:
            raise ProtocolError({k: "is not a protocol setting" for k in unknown})
        return cls(**settings)

    @classmethod
    def from_json(cls, document: str) -> Protocol:
        """The protocol of :meth:`to_json`'s document, checked as any other."""
        try:
            settings = json.loads(document)
        except json.JSONDecodeError as err:
            raise ProtocolError({"protocol": f"is not JSON: {err}"}) from None
        return cls.from_dict(settings)

    def options(self) -> list[str]:
        """As ``key=value`` words, the command line's form for people."""
        return [f"{k}={_word(v)}" for k, v in self.to_dict().items()]


class ProtocolError(ValueError):
    """Invalid settings; ``errors`` maps each setting to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


FIELDS = {f.name: f for f in dataclasses.fields(Protocol)}
CHOICES = {"loss": tuple(LOSS_FACTS), "schedule": SCHEDULES, "queries": QUERIES,
           "query_sizes": QUERY_SIZES, "reduction": REDUCTIONS, "init": INITS,
           "patience_metric": PATIENCE_METRICS, "success": SUCCESS,
           "precision": PRECISIONS}  # fmt: skip

# the settings of some losses only (loss_facts), and the losses that use each
LOSS_SETTINGS = {
    key: tuple(name for name, facts in LOSS_FACTS.items() if key in facts.only_with)
    for key in dict.fromkeys(k for f in LOSS_FACTS.values() for k in f.only_with)
}
ONECYCLE_SETTINGS = ("pct_start", "div_factor", "final_div_factor",
                     "cycle_momentum", "base_momentum", "max_momentum")  # fmt: skip
# settings that mean something only with some choices of another: each maps
# to (key, values) pairs, any one of which gives the setting its meaning
ONLY_WITH = {
    **{key: [("loss", losses)] for key, losses in LOSS_SETTINGS.items()},
    "warmup_fraction": [("schedule", ("warmup_cosine",))],
    "start_factor": [("schedule", ("warmup_cosine",))],
    "final_ratio": [("schedule", ("warmup_cosine",))],
    **{key: [("schedule", ("onecycle",))] for key in ONECYCLE_SETTINGS},
    "query_sizes": [("queries", ("centroid",))],
    "patience_metric": [("early_stopping", (True,))],
    "patience": [("early_stopping", (True,))],
    "min_delta": [("early_stopping", (True,))],
}
# the separation that success "separation" asks of every triple is the margin
ONLY_WITH["margin"] = ONLY_WITH["margin"] + [("success", ("separation",))]
# which values of a setting need another's: (setting, value) -> (key, values)
NEEDS = {
    ("query_sizes", "1..k"): ("queries", ("centroid",)),
}
LIMITS = {"max_steps": 10**9, "patience": 10**9, "eval_every": 10**9}


def _word(value) -> str:
    return (
        "null"
        if value is None
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def protocol_errors(p: Protocol) -> dict[str, str]:
    """Every problem with ``p``, keyed by setting."""
    errors: dict[str, str] = {}
    if not isinstance(p.name, str) or not NAME.fullmatch(p.name):
        errors["name"] = (
            f"must be letters, digits, - or _, not starting with - (a path "
            f"segment, and a word on command lines), got {p.name!r}"
        )
    for name, allowed in CHOICES.items():
        if getattr(p, name) not in allowed:
            errors[name] = (
                f"must be one of {', '.join(allowed)}, got {getattr(p, name)!r}"
            )
    for name in ("learn_temperature", "normalize", "early_stopping", "cycle_momentum",
                 "stop_at_success"):  # fmt: skip
        if not isinstance(getattr(p, name), bool):
            errors[name] = f"must be true or false, got {getattr(p, name)!r}"
    for name, limit in LIMITS.items():
        value = getattr(p, name)
        if not _is_int(value) or not 1 <= value <= limit:
            errors[name] = f"must be an integer in 1..{limit:,}, got {value!r}"
    positive = ["learning_rate", "margin", "start_factor", "div_factor",
                "final_div_factor"]  # fmt: skip
    facts = LOSS_FACTS.get(p.loss)
    if facts is not None and facts.start_temperature is not None:
        positive.append("temperature")
    for name in positive:
        value = getattr(p, name)
        if not _is_number(value) or not 0 < value < float("inf"):
            errors[name] = f"must be a positive finite number, got {value!r}"
    for name in ("bias",):
        if not _is_number(p.bias) or abs(p.bias) == float("inf") or p.bias != p.bias:
            errors[name] = f"must be a finite number, got {p.bias!r}"
    for name in ("min_delta", "final_ratio"):
        value = getattr(p, name)
        if not _is_number(value) or not 0 <= value < float("inf"):
            errors[name] = f"must be a finite number >= 0, got {value!r}"
    if not _is_number(p.warmup_fraction) or not 0 <= p.warmup_fraction < 1:
        errors["warmup_fraction"] = f"must be in [0, 1), got {p.warmup_fraction!r}"
    for name in ("base_momentum", "max_momentum"):
        value = getattr(p, name)
        if not _is_number(value) or not 0 <= value < 1:
            errors[name] = f"must be in [0, 1) (Adam's b1), got {value!r}"
    if not _is_number(p.pct_start) or not 0 < p.pct_start < 1:
        errors["pct_start"] = f"must be in (0, 1), got {p.pct_start!r}"
    elif p.schedule == "onecycle" and "max_steps" not in errors:
        if not p.pct_start * p.max_steps > 1:  # PyTorch's peak step must be > 0
            errors["pct_start"] = (
                f"pct_start x max_steps must exceed 1 (the rise ends at step "
                f"pct_start x max_steps - 1), got {p.pct_start} x {p.max_steps}"
            )
    for (name, value), (key, values) in NEEDS.items():
        if getattr(p, name) == value and getattr(p, key) not in values:
            errors.setdefault(name, (
                f"{value} needs {key}: {' or '.join(values)}, not {getattr(p, key)}"
            ))  # fmt: skip
    if facts is not None and facts.start_temperature is None:
        if p.learn_temperature:
            errors["learn_temperature"] = f"loss {p.loss} has no temperature to learn"
        if p.temperature is not None:
            errors["temperature"] = f"loss {p.loss} has no temperature"
    return errors


def unused_settings(given: dict, p: Protocol) -> dict[str, str]:
    """Settings written for a protocol that its other choices ignore."""
    errors = {}
    for name, conditions in ONLY_WITH.items():
        if name in given and not any(getattr(p, k) in v for k, v in conditions):
            errors[name] = "only means something with " + "; or with ".join(
                f"{key}: {' or '.join(map(_word, values))}, "
                f"not {_word(getattr(p, key))}"
                for key, values in conditions
            )
    return errors


def resolve(name: str, overrides: dict, optimizer: dict) -> Protocol:
    """A protocol of the config: ``optimizer`` settings under ``overrides``.

    A protocol whose loss differs from InfoNCE starts from that loss's own
    temperature unless it sets one (``optimizer.temperature`` is InfoNCE's).
    """
    unknown = sorted(set(overrides) - set(FIELDS) | ({"name"} & set(overrides)))
    if unknown:
        raise ProtocolError({k: "is not a protocol setting" for k in unknown})
    settings = {**optimizer, **overrides, "name": name}
    loss = settings.get("loss", FIELDS["loss"].default)
    if loss != "infonce" and "temperature" not in overrides:
        settings["temperature"] = None
    protocol = Protocol(**settings)
    errors = unused_settings(overrides, protocol)
    if errors:
        raise ProtocolError(errors)
    return protocol


def protocols_of(config: dict) -> tuple[dict[str, Protocol], list[str]]:
    """Every protocol of a config (its ``protocols:``, each over ``optimizer:``),
    by name, built once; and what is wrong with them, each error naming its
    key (``protocols.NAME.KEY: ...``)."""
    built, errors = {}, []
    for name, overrides in config["protocols"].items():
        try:
            built[name] = resolve(name, overrides, config["optimizer"])
        except ProtocolError as err:
            errors += [f"protocols.{name}.{k}: {v}" for k, v in err.errors.items()]
    return built, errors


# The name of a protocol given on the command line without name=: it is the
# published protocol only when none of its settings differs from the published.
CUSTOM = "custom"


def parse_options(words: list[str]) -> dict:
    """``["loss=sigmoid", "learn_temperature=true"]`` -> typed settings; a key
    given twice is an error, not the last one silently kept."""
    import yaml  # here alone: the analysis env, which reads protocols, has no PyYAML

    settings, given = {}, {}
    for word in words:
        key, sep, text = word.partition("=")
        if not sep or key not in FIELDS:
            known = ", ".join(FIELDS)
            raise ProtocolError(
                {key or word: f"expected KEY=VALUE with a key of: {known}"}
            )
        if key in given:
            raise ProtocolError(
                {key: f"given twice ({given[key]}, {word}); give each key once"}
            )
        given[key] = word
        value = yaml.safe_load(text) if text else None  # as YAML reads a config
        if isinstance(value, str) and re.fullmatch(r"[-+]?[\d.]+[eE][-+]?\d+", value):
            value = float(value)
        settings[key] = value
    return settings


def from_options(words: list[str]) -> Protocol:
    """The protocol that ``optimize.py --protocol KEY=VALUE ...`` describes.

    Without ``name=`` it is named ``published`` only when every setting is the
    published one, and ``custom`` otherwise, so that no result of other settings
    carries the published protocol's name.
    """
    settings = parse_options(words)
    protocol = Protocol(**settings)
    if "name" not in settings and protocol != Protocol():
        protocol = dataclasses.replace(protocol, name=CUSTOM)
    return protocol
