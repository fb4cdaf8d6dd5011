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


def test_a_sweep_of_its_own_seeds_runs_its_base_point_as_its_own():
    """A job holds its seeds: with seeds other than the config's, the base's
    point cannot be the base's jobs, so it is a protocol of its own; its
    searches bracket three seeds while the config's run one."""
    found = experiment({"s": {"grid": {"temperature": [0.05, 0.1]},
                              "seeds": [0, 1, 2]}}, seeds=[42], dims=[4])  # fmt: skip
    sweep = found.sweeps["s"]
    names = [point.protocol for point in sweep.points]
    assert names == ["s_temperature0p05", "s_temperature0p1"]
    assert [p.is_base for p in sweep.points] == [False, True]
    assert sweep.seeds == (0, 1, 2)
    assert found.seeds == {"published": [42],
                           "s_temperature0p05": [0, 1, 2],
                           "s_temperature0p1": [0, 1, 2]}  # fmt: skip
    searches = plan(found.config, found.every_protocol, {}, None, found.sweeps)
    assert {s.protocol: s.seeds for s in searches.sweeps} == {n: 3 for n in names}
    assert {s.seeds for s in searches.n} == {1}
    assert all("seeds~bracketed" in s.summary_path() for s in searches.sweeps)
    # the config's own seeds, written again, are the config's: the base reused
    same = experiment({"s": {"grid": {"temperature": [0.05, 0.1]}, "seeds": [42]}},
                      seeds=[42])  # fmt: skip
    assert [p.protocol for p in same.sweeps["s"].points][1] == "published"


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
    ({"x": {"grid": {"temperature": [0.1]}, "seeds": [1, 1]}}, "sweeps.x.seeds: "),
    ({"x": {"grid": {"temperature": [0.1]}, "seeds": [-1]}}, "sweeps.x.seeds[0]"),
    ({"x": {"grid": {"temperature": [0.1]}, "seeds": []}}, "sweeps.x.seeds: "),
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
