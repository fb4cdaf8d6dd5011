"""Our loops against each other and against the published script, bit for bit.

Bits compare only between runs on the same machine with the same versions:
XLA:CPU picks its kernels from the CPU it runs on (and from XLA_FLAGS), so
another CPU gives other last bits. Hence two kinds of test:

- everywhere, live: the fused engine equals the per-step reference loop
  (``stepwise``, the published code float for float) to the last bit, for
  early-stopped and solved cases alike;
- where it can be made honestly: the reference loop equals the published
  script's own numbers. Those are made live from a copy of the script when
  ``LIMIT_PUBLISHED_SCRIPT`` names one, or read from
  tests/fixtures/published_reference.json when its fingerprint (versions,
  platform, CPU model and features, XLA_FLAGS) equals this machine's; else
  that comparison is skipped with the one command that runs it here.
"""

import json
import os

import jax
import pytest

from compare_published import as_published, load_published, run_published
from conftest import ROOT
from embedding_limits.config.run_settings import RunSettings
from embedding_limits.free_embedding import model, stepwise
from embedding_limits.free_embedding.engine import Engine
from embedding_limits.free_embedding.fingerprint import differences, fingerprint
from embedding_limits.free_embedding.job import seed_relevance
from helpers import require_locked_versions

REFERENCE_PATH = os.path.join(ROOT, "tests", "fixtures", "published_reference.json")
REFERENCE = json.load(open(REFERENCE_PATH))
CASES = [(c["d"], c["n"], c["seed"]) for c in REFERENCE["cases"]]
IDS = [f"d{d}-n{n}-seed{seed}" for d, n, seed in CASES]
SCRIPT = os.environ.get("LIMIT_PUBLISHED_SCRIPT")
HOW = (
    "To compare here, run the published script live: LIMIT_PUBLISHED_SCRIPT="
    "path/to/free_embedding_experiment.py .venv/bin/python -m pytest "
    "tests/free_embedding/test_published.py (google-deepmind/limit, code/)"
)

pytestmark = pytest.mark.usefixtures("locked_versions")


@pytest.fixture(scope="module")
def locked_versions():
    """The bit-exact claim is made for the lock's versions only."""
    require_locked_versions("jax", "jaxlib", "optax", "numpy")


def fused_and_stepwise(d: int, n: int, seed: int) -> tuple[dict, dict]:
    settings = RunSettings(d=d, n=n, seeds=(seed,), device="cpu")
    relevance = seed_relevance(settings)
    (fused,), _ = Engine(settings, relevance, jax.devices("cpu")[0]).run()
    loop = stepwise.run_stepwise(settings, seed, relevance)
    return as_published(fused), as_published(loop)


@pytest.fixture(scope="module")
def published_script():
    if not SCRIPT:
        return None
    if not os.path.isfile(SCRIPT):
        pytest.fail(
            f"LIMIT_PUBLISHED_SCRIPT={SCRIPT} is not a file; point it at "
            "google-deepmind/limit's code/free_embedding_experiment.py"
        )
    return load_published(SCRIPT)


def published_numbers(module, d: int, n: int, seed: int) -> dict:
    """The published script's numbers for this machine, or a skip saying how."""
    if module is not None:
        return run_published(module, d, n, seed)
    stored = REFERENCE["fingerprint"]
    differ = differences(stored, fingerprint())
    if differ:
        pytest.skip(
            "tests/fixtures/published_reference.json was made on another machine "
            f"or setup; it differs in {'; '.join(differ)}. {HOW}"
        )
    case = REFERENCE["cases"][CASES.index((d, n, seed))]
    return {key: value for key, value in case.items() if key not in ("d", "n", "seed")}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_engine_is_the_reference_loop_to_the_last_bit(case):
    fused, loop = fused_and_stepwise(*case)
    assert fused == loop


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_published_trajectory_to_the_last_bit(case, published_script):
    published = published_numbers(published_script, *case)
    _, loop = fused_and_stepwise(*case)
    assert loop == published


def test_the_stored_reference_names_what_decided_its_bits():
    stored = REFERENCE["fingerprint"]
    assert set(stored) == set(fingerprint())
    assert stored["versions"]["jax"] and stored["cpu_features"]


def test_a_reordered_sum_in_the_step_breaks_the_equality(monkeypatch):
    """The live equality catches a drift of one rounding: the same InfoNCE,
    its sum taken over the queries in reverse order, in the reference loop
    only, makes the two trajectories differ (at (3, 8, 0): early-stopped)."""
    infonce = model.LOSSES["infonce"]

    def reordered(scores_QxN, relevance, temperature, protocol):
        flipped = type(relevance)(*(a[::-1] for a in relevance))
        return infonce(scores_QxN[::-1], flipped, temperature, protocol)

    stepwise.jitted_step.cache_clear()
    monkeypatch.setitem(model.LOSSES, "infonce", reordered)
    try:
        settings = RunSettings(d=3, n=8, seeds=(0,), device="cpu")
        relevance = seed_relevance(settings)
        loop = as_published(stepwise.run_stepwise(settings, 0, relevance))
    finally:
        stepwise.jitted_step.cache_clear()
    monkeypatch.undo()
    fused, unperturbed = fused_and_stepwise(3, 8, 0)
    assert fused == unperturbed  # the same check, without the perturbation
    assert loop != fused
    assert loop["losses"][0] == pytest.approx(fused["losses"][0], rel=1e-5)
