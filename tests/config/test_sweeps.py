"""Sweeps expand into one protocol per combination of their grid, named from
its settings, the base's own combination being the base; a bad sweep is
refused before any job, naming the key."""

import os
import re

import pytest

from conftest import ROOT
from embedding_limits.config.load import ConfigError, load
from embedding_limits.search.plan import plan
from helpers import SCHEMA_PATH, VOCAB

SHIPPED = os.path.join(ROOT, "config.yaml")
GRID = {"temperature": [0.05, 0.1], "learning_rate": [0.003, 0.01]}


def experiment(sweeps, **config):
    return load({"sweeps": sweeps, "datasets": {}, "embedders": {}, **config},
                SCHEMA_PATH, SHIPPED, VOCAB)  # fmt: skip


def test_a_grid_expands_into_named_protocols_and_the_base_is_its_own():
    found = experiment({"tau-lr": {"grid": GRID, "dims": [4, 9]}})
    sweep = found.sweeps["tau-lr"]
    names = [point.protocol for point in sweep.points]
    assert names == [
        "tau-lr_temperature0p05_learning_rate0p003",
        "tau-lr_temperature0p05_learning_rate0p01",
        "tau-lr_temperature0p1_learning_rate0p003",
        "published",  # 0.1 and 0.01: the published protocol itself
    ]
    assert [p.is_base for p in sweep.points] == [False, False, False, True]
    assert sweep.dims == (4, 9) and set(found.sweep_protocols) == set(names[:3])
    made = found.sweep_protocols["tau-lr_temperature0p05_learning_rate0p003"]
    base = found.protocols["published"]
    assert (made.temperature, made.learning_rate) == (0.05, 0.003)
    assert {**made.to_dict(), "temperature": 0.1, "learning_rate": 0.01,
            "name": "published"} == base.to_dict()  # fmt: skip


def test_a_sweeps_searches_add_only_what_the_config_does_not_run():
    found = experiment({"tau-lr": {"grid": GRID, "dims": [4, 9]}}, dims=[4, 5])
    searches = plan(found.config, found.every_protocol, {}, None, found.sweeps)
    own = {(s.protocol, s.d) for s in searches.n}
    added = {(s.protocol, s.d) for s in searches.sweeps}
    assert ("published", 4) in own and ("published", 4) not in added
    assert ("published", 9) in added  # the base's point at a d of the sweep's own
    assert len(added) == 3 * 2 + 1
    points = searches.sweep_points(found.sweeps, [2])
    base = [p for p in points if p["is_base"] and p["d"] == 4]
    assert base[0]["summary"] in {s.summary_path() for s in searches.n}


def test_any_base_protocol_may_be_swept():
    med = {"queries": "centroid", "query_sizes": "1..k", "loss": "hinge",
           "margin": 1.0e-6, "success": "separation", "init": "gaussian",
           "normalize": False}  # fmt: skip
    found = experiment({"m": {"base": "med", "grid": {"margin": [1.0e-6, 0.1]}}},
                       protocols={"published": {}, "med": med},
                       critical_d={"enabled": False})  # fmt: skip
    assert [p.protocol for p in found.sweeps["m"].points] == ["med", "m_margin0p1"]


BAD = [
    ({"x": {"grid": {"lr": [0.1]}}}, "sweeps.x.grid.lr: is not a protocol setting"),
    ({"x": {"grid": {"temperature": []}}}, "sweeps.x.grid.temperature: [] lists "),
    ({"x": {"grid": {}}}, "sweeps.x.grid: {} should be non-empty"),
    ({"x": {"grid": {"temperature": ["hot"]}}},
     "sweeps.x.grid.temperature: must be a positive finite number, got 'hot'"),
    ({"x": {"grid": {"max_steps": [1.5]}}}, "sweeps.x.grid.max_steps: "),
    ({"x": {"grid": {"margin": [0.1]}}},
     "sweeps.x.grid.margin: only means something with loss: hinge"),
    ({"x": {"base": "nope", "grid": {"temperature": [0.1]}}},
     "sweeps.x.base: 'nope' is not a protocol of this config"),
    ({"x": {"grid": {"temperature": [0.1]}, "dims": [0]}}, "sweeps.x.dims[0]"),
    ({"-x": {"grid": {"temperature": [0.1]}}}, "sweeps: '-x' must be letters"),
    ({"x": {"grid": {"temperature": [0.1]}, "seed": 3}}, "unknown key 'seed'"),
]  # fmt: skip


@pytest.mark.parametrize("sweeps,message", BAD, ids=[m for _, m in BAD])
def test_a_bad_sweep_is_refused_naming_the_key(sweeps, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        experiment(sweeps)


def test_a_command_line_grid_is_typed_as_a_config_files():
    typed = {"sweeps": {"t": {"grid": {"temperature": ["0.05"]}}}}  # as Snakemake
    found = load({"datasets": {}, "embedders": {}}, SCHEMA_PATH, SHIPPED, VOCAB,
                 command_line=typed)  # fmt: skip
    assert found.sweep_protocols["t_temperature0p05"].temperature == 0.05
