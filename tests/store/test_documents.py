"""A result file is checked against itself when it is read: metrics edited to
stay valid JSON, but no longer what the run found, are refused by name."""

import json
import subprocess
import sys

import pytest

from conftest import SCRIPTS
from embedding_limits.store.documents import ResultError, load_run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two real results: (d=4, n=6) solved by seeds 0 and 1; (d=3, n=7) run
    out of steps unsolved."""
    folder = tmp_path_factory.mktemp("runs")
    jobs = {
        "solved": ["--d", "4", "--n", "6", "--seeds", "0", "1"],
        "unsolved": ["--d", "3", "--n", "7", "--seeds", "0",
                     "--protocol", "max_steps=300"],
    }  # fmt: skip
    for name, args in jobs.items():
        subprocess.run(
            [sys.executable, f"{SCRIPTS}/optimize.py", *args, "--device", "cpu",
             "--out", str(folder / f"{name}.json")], check=True, capture_output=True,
        )  # fmt: skip
    return {name: json.loads((folder / f"{name}.json").read_text()) for name in jobs}


def test_the_real_results_are_what_they_say(runs):
    solved, unsolved = (runs[k]["metrics"] for k in ("solved", "unsolved"))
    assert solved["seeds_solved"] == [0, 1]
    assert [s["stop_reason"] for s in solved["seeds"]] == ["solved", "solved"]
    assert not unsolved["any_solved"]
    assert unsolved["seeds"][0]["stop_reason"] == "max_steps"
    assert unsolved["seeds"][0]["final_accuracy"] < 1


def solve(doc):
    """The other way round: an unsolved run made to look solved."""
    doc["metrics"]["seeds"][0].update(solved=True, solved_at_step=299)
    doc["metrics"].update(any_solved=True, seeds_solved=[0])


EDITS = [
    ("solved", lambda doc: doc["metrics"]["seeds"][0].update(solved=False),
     "seed 0: solved is false, but its stop_reason is 'solved'"),
    ("solved", lambda doc: doc["metrics"].update(any_solved=False),
     "any_solved is False, but seeds [0, 1] solved"),
    ("solved", lambda doc: doc["metrics"].update(seeds_solved=[1]),
     "seeds_solved is [1], but [0, 1] solved"),
    ("solved", lambda doc: doc["parameters"].update(seeds=[0, 2]),
     "metrics.seeds hold [0, 1], parameters.seeds [0, 2]"),
    ("solved", lambda doc: doc["metrics"]["seeds"][1].update(max_accuracy=0.5),
     "seed 1: max_accuracy is 0.5, but the highest of max_accuracy_observed and "
     "final_accuracy is 1.0"),
    ("solved", lambda doc: doc["metrics"]["seeds"][0].update(stop_reason="finished"),
     "seed 0: stop_reason is 'finished', not one of solved, early_stopped"),
    ("unsolved", solve,
     "seed 0: solved is true, but its stop_reason is 'max_steps' and its final "
     "evaluation (final_accuracy 0."),
    ("unsolved", lambda doc: doc["metrics"]["seeds"][0].update(steps_run=301),
     "seed 0: steps_run is 301, outside 1..300 (max_steps)"),
    ("unsolved", lambda doc: doc["metrics"]["seeds"][0].update(steps_run=299),
     "seed 0: stop_reason is 'max_steps', but steps_run is 299"),
    ("unsolved", lambda doc: doc["metrics"]["seeds"][0].update(stop_reason="solved"),
     "seed 0: solved is false, but its stop_reason is 'solved'"),
    ("unsolved", lambda doc: doc["parameters"]["protocol"].update(success="margin"),
     None),  # still consistent: the final margin is negative
]  # fmt: skip


@pytest.mark.parametrize("run,edit,message", EDITS, ids=[e[2] or "ok" for e in EDITS])
def test_metrics_that_contradict_each_other_are_refused(runs, tmp_path, run, edit,
                                                        message):  # fmt: skip
    doc = json.loads(json.dumps(runs[run]))
    edit(doc)
    path = tmp_path / "n~6.json"
    path.write_text(json.dumps(doc))
    if message is None:
        load_run(str(path))
        return
    with pytest.raises(ResultError) as error:
        load_run(str(path))
    text = str(error.value)
    assert text.startswith(f"{path}: its metrics contradict each other: {message}")
    assert "delete it and run snakemake again" in text
    if run == "unsolved" and message.startswith("seed 0: solved is true"):
        assert "misses the protocol's success rule (100% top-k accuracy" in text
