"""Our loops against the published script's own numbers, bit for bit.

tests/data/published_reference.json holds what the published script's
optimize_embeddings produced on a CPU (made by workflow/scripts/
compare_published.py from google-deepmind/limit's free_embedding_experiment.py):
every evaluated loss and accuracy, the best monitored loss, the final loss and
accuracy. With the same jax, jaxlib, optax and numpy, the published protocol
must reproduce them to the last bit, early-stopped and solved runs alike.
"""

import importlib.metadata
import json
import os

import jax
import pytest

from compare_published import as_published
from conftest import ROOT
from free_embedding.engine import Engine
from free_embedding.job import seed_relevance
from free_embedding.settings import RunSettings
from free_embedding.stepwise import run_stepwise

REFERENCE = json.load(
    open(os.path.join(ROOT, "tests", "data", "published_reference.json"))
)
CASES = REFERENCE["cases"]


@pytest.fixture(scope="module", autouse=True)
def same_versions():
    here = {p: importlib.metadata.version(p) for p in REFERENCE["versions"]}
    if here != REFERENCE["versions"]:
        pytest.skip(f"the reference was made with {REFERENCE['versions']}, this is "
                    f"{here}: bits compare only between the same versions")  # fmt: skip


@pytest.mark.parametrize(
    "case", CASES, ids=[f"d{c['d']}-n{c['n']}-seed{c['seed']}" for c in CASES]
)
def test_the_published_trajectory_to_the_last_bit(case):
    published = {k: v for k, v in case.items() if k not in ("d", "n", "seed")}
    settings = RunSettings(
        d=case["d"], n=case["n"], seeds=(case["seed"],), device="cpu"
    )
    relevance = seed_relevance(settings)
    (fused,), _ = Engine(settings, relevance, jax.devices("cpu")[0]).run()
    assert as_published(fused) == published
    assert as_published(run_stepwise(settings, case["seed"], relevance)) == published
