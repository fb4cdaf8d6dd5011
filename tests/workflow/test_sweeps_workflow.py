"""A tiny sweep through the real Snakemake: its table and figure, the base
protocol's point run once (its jobs are the base's files), and a grid grown
by one value reruns that value's combinations only."""

import json

import pandas as pd
import pytest
import yaml

from embedding_limits.reports.seeds import parse_seeds
from helpers import TINY, finished_run, planned_jobs, snakemake

pytestmark = pytest.mark.workflow

CONFIG = {
    **TINY, "dims": [3], "seeds": [0], "search": {"grid": {3: [4, 5]}},
    "embedders": {},
    "sweeps": {"t": {"grid": {"temperature": [0.05, 0.1]}}},
}  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return finished_run(tmp_path_factory, "sweeps", CONFIG)


def test_the_table_and_figure_set_critical_n_over_the_grid(run):
    table = pd.read_csv(run / "results/tables/sweeps.csv")
    assert list(table["temperature"]) == [0.05, 0.1]
    assert list(table["is_base"]) == [False, True]
    assert list(table["protocol"]) == ["t_temperature0p05", "published"]
    assert table["critical_n"].between(3, 5).all() and set(table["d"]) == {3}
    # the base's point is the published protocol's own search
    critical = pd.read_csv(run / "results/tables/critical_n.csv")
    assert table["critical_n"].iloc[1] == critical["critical_n"].iloc[0]
    assert set(critical["protocol"]) == {"published"}  # sweeps have their own table
    assert (run / "results/figures/sweep~t.png").stat().st_size > 5000


def test_the_base_point_runs_no_job_of_its_own(run):
    runs = sorted(p.parent.parent.parent.name for p in
                  (run / "results/runs").glob("*/k~2/d~3/n~*.json"))  # fmt: skip
    assert set(runs) == {"protocol~published", "protocol~t_temperature0p05"}
    assert runs.count("protocol~published") == runs.count("protocol~t_temperature0p05")


def test_a_grown_grid_runs_only_the_new_combination(run):
    grown = {"sweeps": {"t": {"grid": {"temperature": [0.05, 0.1, 0.2]}}}}
    jobs = planned_jobs(run, grown)
    assert jobs == {"optimize": 2, "search": 1, "sweeps": 1, "figure_sweep~t": 1,
                    "all": 1}  # fmt: skip


def test_a_sweep_of_its_own_seeds_runs_them_and_its_base_point_apart(run):
    """seeds of the sweep's own: every combination's jobs run them, the base
    point's under its own name (the published protocol's jobs hold seed 0
    alone); the config's own searches and tables are left as they are."""
    seeded = {"sweeps": {"t": {"grid": {"temperature": [0.05, 0.1]}, "seeds": [0, 1]}}}
    (run / "seeded.yaml").write_text(yaml.safe_dump(seeded))
    snakemake(run, "--configfile", str(run / "config.yaml"), str(run / "seeded.yaml"))
    table = pd.read_csv(run / "results/tables/sweeps.csv")
    assert list(table["protocol"]) == ["t_temperature0p05", "t_temperature0p1"]
    assert list(table["is_base"]) == [False, True]
    assert all(set(parse_seeds(s)) == {0, 1} for s in table["per_seed_critical_n"])
    for path in (run / "results/runs/protocol~t_temperature0p1").rglob("n~*.json"):
        assert json.loads(path.read_text())["parameters"]["seeds"] == [0, 1]
    for path in (run / "results/runs/protocol~published").rglob("n~*.json"):
        assert json.loads(path.read_text())["parameters"]["seeds"] == [0]
