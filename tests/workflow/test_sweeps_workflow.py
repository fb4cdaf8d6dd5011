"""A tiny sweep through the real Snakemake: its table and figure, the base
protocol's point run once (its jobs are the base's files), and a grid grown
by one value reruns that value's combinations only."""

import pandas as pd
import pytest

from helpers import TINY, finished_run, planned_jobs

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
    assert (run / "results/figures/sweeps.png").stat().st_size > 5000


def test_the_base_point_runs_no_job_of_its_own(run):
    runs = sorted(p.parent.parent.parent.name for p in
                  (run / "results/runs").glob("*/k~2/d~3/n~*.json"))  # fmt: skip
    assert set(runs) == {"protocol~published", "protocol~t_temperature0p05"}
    assert runs.count("protocol~published") == runs.count("protocol~t_temperature0p05")


def test_a_grown_grid_runs_only_the_new_combination(run):
    grown = {"sweeps": {"t": {"grid": {"temperature": [0.05, 0.1, 0.2]}}}}
    jobs = planned_jobs(run, grown)
    assert jobs == {"optimize": 2, "search": 1, "sweeps": 1, "figure_sweeps": 1,
                    "all": 1}  # fmt: skip
