"""The config: one source of defaults, strict types, and errors that name the key."""

import dataclasses
import os
import re

import pytest

from conftest import ROOT
from embedding_limits.config.load import ConfigError, load
from embedding_limits.config.loss_facts import LOSS_FACTS
from embedding_limits.config.protocol import CHOICES, FIELDS, Protocol
from embedding_limits.config.reference import inline as reference_inline
from embedding_limits.config.reference import render
from embedding_limits.config.schema import complete, from_command_line, merge, read_yaml
from embedding_limits.config.sections import d_of_n_ns, searched
from embedding_limits.config.witness_choices import (
    CONSTRUCTIONS,
    PLACEMENT_MODES,
    PRECISIONS,
    WitnessSettings,
)
from embedding_limits.data.limit_text import PATTERNS, DatasetSpec
from embedding_limits.free_embedding.losses import LOSSES
from embedding_limits.search.plan import d_of_n_strategy, d_strategy, n_strategy
from embedding_limits.search.strategies import STRATEGIES, Bisect, Gallop, Grid
from helpers import SCHEMA, SCHEMA_PATH, VOCAB

SHIPPED = os.path.join(ROOT, "config.yaml")


def defaults(*keys):
    properties = SCHEMA
    for key in keys:
        properties = properties["properties"][key]
    if "additionalProperties" in properties and "properties" not in properties:
        properties = properties["additionalProperties"]
    properties = properties.get("else", properties)  # datasets: the generated kind
    return {k: v["default"] for k, v in properties["properties"].items()}


def test_schema_defaults_are_the_shipped_config():
    shipped = read_yaml(SHIPPED)
    assert complete({}, SCHEMA) == shipped  # every key written out, same values
    assert complete(shipped, SCHEMA) == shipped


def test_library_defaults_agree_with_the_schema():
    spec = {
        f.name: f.default for f in dataclasses.fields(DatasetSpec) if f.name != "name"
    }
    assert spec == defaults("datasets")
    witnesses = {
        f.name: list(f.default) if isinstance(f.default, tuple) else f.default
        for f in dataclasses.fields(WitnessSettings)
    }
    assert witnesses == defaults("witnesses")


def test_the_schema_offers_the_librarys_choices():
    """Each list of choices lives in one table of the library; the schema's
    enums are these tables (the wildcard constraints are built from them)."""
    properties = SCHEMA["properties"]
    witnesses = properties["witnesses"]["properties"]
    assert tuple(witnesses["constructions"]["items"]["enum"]) == CONSTRUCTIONS
    assert tuple(witnesses["precisions"]["items"]["enum"]) == PRECISIONS
    assert tuple(witnesses["placements"]["enum"]) == PLACEMENT_MODES
    dataset = properties["datasets"]["additionalProperties"]["else"]["properties"]
    assert tuple(dataset["pattern"]["enum"]) == PATTERNS
    assert tuple(properties["search"]["properties"]["strategy"]["enum"]) == tuple(
        STRATEGIES
    )


def test_the_config_chooses_each_searchs_strategy():
    """search.strategy names the strategy; a d with a grid runs its grid
    under either; the critical-d search gallops."""
    config = load({"dims": [4, 5], "search": {"grid": {5: [9, 7]}, "sweep": [-1, 1]}},
                  SCHEMA_PATH, None, VOCAB).config  # fmt: skip
    assert n_strategy(config, 2, 4) == Gallop(start=7, sweep=(-1, 1))  # auto: cubic
    assert n_strategy(config, 2, 5) == Grid((7, 9))
    assert d_strategy(config) == Gallop(start=8, sweep=(-2, 3))
    config = load({"dims": [5], "search": {"strategy": "grid", "grid": {5: [6]}}},
                  SCHEMA_PATH, None, VOCAB).config  # fmt: skip
    assert n_strategy(config, 2, 5) == Grid((6,))
    assert d_of_n_strategy(config) == Bisect(
        start=1, window=40, ahead=True
    )  # MED's window
    config = load({"critical_d_of_n": {"start": 4, "window": 8}}, SCHEMA_PATH, None,
                  VOCAB).config  # fmt: skip
    assert d_of_n_strategy(config) == Bisect(start=4, window=8, ahead=True)


def test_the_smallest_d_search_is_off_by_default_and_covers_every_protocol():
    c = complete({}, SCHEMA)["critical_d_of_n"]
    assert c["enabled"] is False and c["protocols"] == "all" and c["warm_start"]
    assert c["ns"] == [10, 20, 40, 80, 160, 320, 640]  # MED's m, their table's


def test_the_critical_n_search_covers_all_protocols_or_those_it_lists():
    protocols = {"published": {}, "slow": {"learning_rate": 0.1}, "med": {}}
    every = load({"protocols": protocols}, SCHEMA_PATH, None, VOCAB).config
    assert searched(every) == ["published", "slow", "med"]
    some = load({"protocols": protocols, "search": {"protocols": ["med", "published"]}},
                SCHEMA_PATH, None, VOCAB).config  # fmt: skip
    assert searched(some) == ["published", "med"]  # in the config's order


def test_the_smallest_d_search_runs_one_list_or_each_protocols_own():
    protocols = {"published": {}, "slow": {"learning_rate": 0.1}, "med": {}}
    one = load(
        {
            "protocols": protocols,
            "critical_d_of_n": {"ns": [20, 10], "protocols": ["med", "published"]},
        },
        SCHEMA_PATH,
        None,
        VOCAB,
    ).config
    assert d_of_n_ns(one) == {"published": [20, 10], "med": [20, 10]}  # config order
    own = load(
        {
            "protocols": protocols,
            "critical_d_of_n": {"ns": {"med": [10, 20], "published": [30]}},
        },
        SCHEMA_PATH,
        None,
        VOCAB,
    ).config
    assert d_of_n_ns(own) == {"published": [30], "med": [10, 20]}


def test_the_schema_knows_every_protocol_setting_and_choice():
    """Adding a loss touches losses.py (its function), loss_facts.py (its facts),
    the schema's enum and a test of it; this one checks that all three name the
    same losses, in the same order."""
    properties = SCHEMA["properties"]["protocols"]["additionalProperties"]
    properties = properties["properties"]
    assert set(properties) == set(FIELDS) - {"name"}
    for name, allowed in CHOICES.items():
        assert tuple(properties[name]["enum"]) == allowed, name
    assert tuple(properties["loss"]["enum"]) == tuple(LOSS_FACTS) == tuple(LOSSES)
    assert complete({}, SCHEMA)["protocols"] == {"published": {}}


PROSE_DEFAULT = re.compile(r"\(default\b|\bdefault (?:[-+.\d]|true|false|null)")


def test_protocol_defaults_live_in_the_dataclass_alone():
    """A protocol setting's default is Protocol's alone. The schema gives none
    under protocols (it would be filled into every protocol, which would then
    give it) or optimizer, nor writes one into a description (docs/config.md
    shows Protocol's)."""
    properties = SCHEMA["properties"]["protocols"]["additionalProperties"]
    optimizer = SCHEMA["properties"]["optimizer"]["properties"]
    for key, spec in [*properties["properties"].items(), *optimizer.items()]:
        assert "default" not in spec, key
        description = spec["description"]
        assert not PROSE_DEFAULT.search(description), (key, description)
        assert "(published)" not in description, (key, description)
    assert SCHEMA["properties"]["optimizer"]["default"] == {}


def test_the_config_reference_is_generated_from_the_schema_and_protocol():
    """docs/config.md is tools/config_reference.py's rendering of the schema,
    with each protocol setting's default read from Protocol: not edited by
    hand, and current."""
    page = open(os.path.join(ROOT, "docs", "config.md"), encoding="utf-8").read()
    assert page == render(SCHEMA), (
        "stale: run .venv/bin/python tools/config_reference.py"
    )
    published = Protocol()
    for key in ("learning_rate", "max_steps", "min_delta", "schedule", "margin"):
        value = reference_inline(getattr(published, key))
        assert re.search(
            rf"^\| `{key}` \| [^|]+ \| `{re.escape(value)}` \|", page, re.M
        )
    for loss, facts in LOSS_FACTS.items():
        if facts.start_temperature is not None:
            assert f"{loss} `{facts.start_temperature}`" in page


def test_a_config_of_ones_own_replaces_the_shipped_one(tmp_path):
    (tmp_path / "config.yaml").write_text("seeds: [0, 1]\ndatasets: {}\n")
    mine = load({"dims": [3]}, SCHEMA_PATH, str(tmp_path / "config.yaml"), VOCAB).config
    assert mine["dims"] == [3] and mine["seeds"] == [0, 1] and mine["datasets"] == {}
    assert mine["optimizer"] == {}  # Protocol's defaults apply
    nowhere = load(
        {"dims": [3]}, SCHEMA_PATH, str(tmp_path / "absent.yaml"), VOCAB
    ).config
    assert nowhere["datasets"] == complete({}, SCHEMA)["datasets"]


def test_merge_goes_key_by_key_and_copies():
    base = {"a": {"x": 1, "y": [1]}, "b": 2}
    merged = merge(base, {"a": {"y": [2]}})
    assert merged == {"a": {"x": 1, "y": [2]}, "b": 2} and base["a"]["y"] == [1]


def test_exponent_floats_that_yaml_reads_as_strings_work(tmp_path):
    (tmp_path / "c.yaml").write_text("optimizer:\n  learning_rate: 1e-3\n")
    config = complete(read_yaml(tmp_path / "c.yaml"), SCHEMA)
    assert config["optimizer"]["learning_rate"] == 0.001


def test_command_line_strings_are_read_as_the_schema_wants():
    """Snakemake's --config reads the scalars inside a list or mapping as
    strings; where the schema wants no string they are read as YAML, and a
    string the schema does accept (a name, a choice, a path) stays as typed."""
    from snakemake.cli import parse_config  # what `snakemake --config` does

    typed = parse_config([
        "seeds=[0]", "optimizer={max_steps: 500, learning_rate: 1e-3}",
        "search={start: auto, grid: {5: [6, 7]}}", "deterministic=true",
        "gpu_min_dim=null", "protocols={sig: {loss: sigmoid, max_steps: 9}}",
        "datasets={x: {pattern: dense, seed: 3}}", "containers={cpu: 1.0}",
    ])  # fmt: skip
    assert typed["seeds"] == ["0"]  # what the schema saw before
    config = load({}, SCHEMA_PATH, None, VOCAB, command_line=typed).config
    assert config["seeds"] == [0] and config["deterministic"] is True
    assert config["optimizer"]["max_steps"] == 500
    assert config["optimizer"]["learning_rate"] == 0.001
    assert config["search"]["start"] == "auto"
    assert config["search"]["grid"] == {"5": [6, 7]}
    assert config["gpu_min_dim"] is None
    assert config["protocols"] == {"sig": {"loss": "sigmoid", "max_steps": 9}}
    assert config["datasets"]["x"]["pattern"] == "dense"
    assert config["datasets"]["x"]["seed"] == 3
    assert config["containers"]["cpu"] == "1.0"  # a path: a string, kept
    with pytest.raises(ConfigError, match="optimizer.learning_rate: 'fast' is not"):
        load({}, SCHEMA_PATH, None, VOCAB, {"optimizer": {"learning_rate": "fast"}})
    with pytest.raises(ConfigError, match=r"seeds\[0\]: 0.5 is not of type"):
        load({}, SCHEMA_PATH, None, VOCAB, {"seeds": ["0.5"]})
    # a key that is a list or a mapping: each form read as its own schema says
    for form in ("critical_d_of_n={ns: [10, 20]}",
                 "critical_d_of_n={ns: {published: [10, 20]}}"):  # fmt: skip
        ns = load(
            {}, SCHEMA_PATH, None, VOCAB, command_line=parse_config([form])
        ).config["critical_d_of_n"]["ns"]
        assert ns in ([10, 20], {"published": [10, 20]}), form


def test_only_command_line_values_are_read_again():
    """A string in a config file was quoted on purpose: it stays a string."""
    assert from_command_line({"seeds": ["0"]}, SCHEMA) == {"seeds": [0]}
    with pytest.raises(ConfigError, match=r"seeds\[0\]: '0' is not of type"):
        load({"seeds": ["0"]}, SCHEMA_PATH, None, VOCAB)


BAD = [
    ({"dims": [3.0]}, "dims[0]: 3.0 must be written as an integer (3)"),
    ({"seeds": [0.0]}, "seeds[0]: 0.0 must be written as an integer (0)"),
    ({"seeds": [4294967296]}, "seeds[0]: 4294967296 is greater than the maximum"),
    ({"optimizer": {"max_steps": 10**12}}, "optimizer.max_steps: 1000000000000 is"),
    ({"optimizer": {"learning_rate": float("inf")}}, "learning_rate: inf is not a"),
    ({"optimizer": {"temperature": float("nan")}}, "temperature: nan is not a finite"),
    ({"optimizer": {"patiense": 3}}, "unknown key 'patiense' (known keys: learning"),
    ({"colour": "red"}, "(top level): unknown key 'colour'"),
    ({"ks": [True]}, "ks[0]: True is not of type 'integer'"),
    ({"device": "tpu"}, "device: 'tpu' is not one of"),
    ({"critical_d_of_n": {"ns": []}},
     "critical_d_of_n.ns: [] lists nothing; give at least one value (the document"),
    ({"critical_d_of_n": {"ns": [10, 10]}}, "critical_d_of_n.ns: [10, 10] has non-"),
    ({"critical_d_of_n": {"window": 0}}, "critical_d_of_n.window: 0 is less than"),
    ({"critical_d_of_n": {"protocols": "some"}},
     "critical_d_of_n.protocols: 'some' is not valid here (the protocols searched"),
    ({"critical_d_of_n": {"warm": True}}, "unknown key 'warm' (known keys: enabled"),
]  # fmt: skip


@pytest.mark.parametrize("config,message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_values_name_the_key(config, message):
    with pytest.raises(ConfigError) as error:
        complete(config, SCHEMA)
    assert message in str(error.value)


def test_every_problem_is_listed_at_once():
    with pytest.raises(ConfigError) as error:
        complete({"dims": [0], "seeds": [-1], "figures": {"dpi": 10}}, SCHEMA)
    assert {"dims[0]", "seeds[0]", "figures.dpi"} <= {
        line.strip().split(":")[0] for line in str(error.value).splitlines()[1:]
    }


def test_yaml_syntax_errors_give_file_line_and_column(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("dims: [4, 5\nks: [2]\n")
    with pytest.raises(ConfigError, match=r"config\.yaml:2:3: YAML syntax error"):
        read_yaml(path)
    path.write_text("- a list\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        read_yaml(path)


EXPERIMENT = [
    ({"search": {"grid": {4: [2, 8]}}}, "search.grid.4: every n must be greater"),
    ({"dims": [3], "search": {"grid": {5: [6, 7]}}},
     "search.grid.5: d=5 is not in dims [3], so this grid would never run; add 5 "
     "to dims, or remove search.grid.5"),
    ({"critical_d": {"sweep": [3, -2]}}, "critical_d.sweep: [3, -2] must be [low,"),
    ({"datasets": {"x": {"queries": 5000, "documents": 20}}},
     "datasets.x.documents: pattern dense needs 101 documents"),
    ({"datasets": {"x": {"queries": 10, "documents": 15, "pattern": "disjoint"}}},
     "datasets.x.documents: pattern disjoint needs queries x k = 20 documents"),
    # as many documents as k: nothing to rank (issue 31)
    ({"datasets": {"t": {"pattern": "random", "documents": 2, "k": 2, "queries": 10,
                         "attributes_per_doc": 10}}},
     "datasets.t.documents: 2 leaves no document outside a query's k = 2 relevant "
     "ones, so nothing to rank; raise documents above 2 or lower k"),
    ({"datasets": {"-h": {}}}, "datasets: '-h' must be letters, digits, - and _"),
    ({"embedders": {"-h": {"backend": "wordllama"}}}, "embedders: '-h' must be"),
    # a search that starts above its cap can only report its cap (issue 20)
    ({"dims": [8], "search": {"start": 12, "max_n": 10}},
     "search.start: 12 is above search.max_n (10); lower search.start to 10 or "
     "less, or raise search.max_n to 12 or more"),
    ({"dims": [4, 300, 400]},
     "search.start: auto's first guess exceeds search.max_n (100000) at d = 300 "
     "(n = 105779), 400 (n = 246722); raise search.max_n to 246722 or more, set "
     "search.start to an integer up to 100000, or give those d a search.grid"),
    ({"dims": [4], "ks": [2, 9], "search": {"start": 3, "max_n": 9}},
     "search.max_n: 9 leaves no n to search for k = 9 (every n must exceed k); "
     "raise search.max_n above 9"),
    ({"critical_d": {"start": 50, "max_d": 4}},
     "critical_d.start: 50 is above critical_d.max_d (4); lower critical_d.start "
     "to 4 or less, or raise critical_d.max_d to 50 or more"),
    ({"dims": [4, 5, 6], "search": {"strategy": "grid", "grid": {5: [6, 7]}}},
     "search.strategy: grid runs only the n of search.grid, which lists none for "
     "d = 4, 6; give each a grid, or use strategy gallop"),
    ({"critical_d_of_n": {"k": 3, "ns": [10, 3]}},
     "critical_d_of_n.ns[1]: n = 3 must exceed critical_d_of_n.k = 3 (with n = k "
     "no document is irrelevant: nothing to rank); remove it, or list n = 4 or more"),
    ({"critical_d_of_n": {"start": 50, "max_d": 40}},
     "critical_d_of_n.start: 50 is above critical_d_of_n.max_d (40); lower "
     "critical_d_of_n.start to 40 or less, or raise critical_d_of_n.max_d to 50 or "
     "more"),
    ({"critical_d_of_n": {"protocols": ["published", "sigmoid"]}},
     "critical_d_of_n.protocols[1]: 'sigmoid' is not a protocol of this config "
     "(published); add it under protocols:, remove it here, or write all"),
    ({"critical_d_of_n": {"ns": {"published": [10], "med": [10]}}},
     "critical_d_of_n.ns.med: 'med' is not a protocol of this config (published); "
     "add it under protocols: or remove it here"),
    ({"critical_d_of_n": {"ns": {"published": [10, 2]}}},
     "critical_d_of_n.ns.published[1]: n = 2 must exceed critical_d_of_n.k = 2"),
    ({"search": {"protocols": ["nope"]}},
     "search.protocols[0]: 'nope' is not a protocol of this config (published); "
     "add it under protocols:, remove it here, or write all"),
    ({"critical_d_of_n": {"ns": {"published": [10]}, "protocols": ["published"]}},
     "critical_d_of_n.protocols: ns maps each protocol to its own n, so it names "
     "the protocols searched; leave protocols out (all)"),
]  # fmt: skip


@pytest.mark.parametrize(
    "config,message", EXPERIMENT, ids=[m.split(":")[0] for _, m in EXPERIMENT]
)
def test_what_the_schema_cannot_say_is_checked_too(tmp_path, config, message):
    with pytest.raises(ConfigError) as error:
        load(config, SCHEMA_PATH, None, VOCAB)
    assert message in str(error.value)


def test_a_search_within_its_cap_is_accepted():
    """The refusals above are exact: a start at the cap, an auto guess at the
    cap, or a d above the cap that has an explicit grid all pass."""
    load({"dims": [8], "search": {"start": 10, "max_n": 10}}, SCHEMA_PATH, None, VOCAB)
    load({"dims": [295], "search": {"max_n": 100692}}, SCHEMA_PATH, None, VOCAB)
    grid = {"dims": [4, 300], "search": {"grid": {300: [10, 20]}}}
    assert load(grid, SCHEMA_PATH, None, VOCAB).config["dims"] == [4, 300]
    load({"critical_d": {"start": 4, "max_d": 4}}, SCHEMA_PATH, None, VOCAB)
    load({"critical_d_of_n": {"start": 4, "max_d": 4, "k": 3, "ns": [4]}},
         SCHEMA_PATH, None, VOCAB)  # fmt: skip


def test_an_empty_mapping_on_the_command_line_switches_a_section_off():
    """Snakemake merges --config key by key: {} would change nothing. For a
    section keyed by name it means none; a non-empty one still merges."""
    shipped = os.path.join(ROOT, "config.yaml")

    def loaded(**command_line):
        return load({}, SCHEMA_PATH, shipped, VOCAB, command_line=command_line).config

    assert loaded(embedders={})["embedders"] == {}
    assert loaded(datasets={}, embedders={})["datasets"] == {}
    kept = loaded(embedders={"wordllama": {"dims": "[64]"}})["embedders"]
    assert set(kept) == {"wordllama", "static-model"}
    assert kept["wordllama"]["dims"] == [64]
    assert loaded(search={"max_n": 50})["search"]["sweep"] == [-4, 5]  # still merges


def test_integers_with_a_leading_zero_are_decimal(tmp_path):
    """YAML 1.1 reads 0064 as octal 52: no one writing a dimension means it."""
    path = tmp_path / "c.yaml"
    path.write_text("dims: [0064, 8]\nseeds: [010]\n")
    assert read_yaml(str(path)) == {"dims": [64, 8], "seeds": [10]}
    typed = from_command_line({"dims": ["0064"]}, SCHEMA)
    assert typed == {"dims": [64]}
    shipped = os.path.join(ROOT, "config.yaml")
    octal = {"embedders": {"wordllama": {"dims": "[0064]"}}}
    config = load({}, SCHEMA_PATH, shipped, VOCAB, command_line=octal).config
    assert config["embedders"]["wordllama"]["dims"] == [64]
    files = load({}, SCHEMA_PATH, None, VOCAB, config_files=[str(path)]).config
    assert files["dims"] == [64, 8]
