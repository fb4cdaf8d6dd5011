"""Exact witnesses: the constructions proved in exact rational arithmetic, and
their float storage measured."""

import itertools
import json
import math
from fractions import Fraction

import jax
import numpy as np
import pytest

from embedding_limits.config.witness_choices import CONSTRUCTIONS, DEFAULTS, PRECISIONS
from embedding_limits.memory.sizes import witness_job_mb
from embedding_limits.witnesses import construction as witness
from embedding_limits.witnesses.construction import (
    PLACEMENTS,
    Placement,
    check,
    critical_witness_n,
    documents_at,
    queries_at,
)


@pytest.fixture(autouse=True)
def x64():
    """float64 witnesses need JAX's 64-bit mode; only for these tests."""
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", False)


# -- exact arithmetic: no floats ---------------------------------------------
def poly_mul(a, b):
    out = [Fraction(0)] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return out


def monomial_to_chebyshev(coefficients):
    """Exact: t^m = cos^m = 2^-m sum_j C(m, j) T_|m-2j| (t = cos a)."""
    out = [Fraction(0)] * len(coefficients)
    for m, c in enumerate(coefficients):
        for j in range(m + 1):
            out[abs(m - 2 * j)] += c * Fraction(math.comb(m, j), 2**m)
    return out


def chebyshev_values(t, degree):
    values = [Fraction(1), t]
    while len(values) <= degree:
        values.append(2 * t * values[-1] - values[-2])
    return values


def exact_moment(t, k, basis):
    """Documents and queries of the moment witness, in fractions."""
    if basis == "monomial":
        docs = [[x**j for j in range(1, 2 * k + 1)] for x in t]
    else:
        docs = [chebyshev_values(x, 2 * k)[1:] for x in t]
    queries = {}
    for subset in itertools.combinations(range(len(t)), k):
        p = [Fraction(1)]
        for s in subset:
            p = poly_mul(p, [-t[s], Fraction(1)])
        square = poly_mul(p, p)
        if basis == "chebyshev":
            square = monomial_to_chebyshev(square)
        queries[subset] = [-c for c in square[1:]]
    return docs, queries


def circle_points(n):
    """Distinct rational points on the unit circle: ((1-u^2), 2u) / (1+u^2)."""
    return [(Fraction(1 - u * u, 1 + u * u), Fraction(2 * u, 1 + u * u))
            for u in (Fraction(i, 3) - 2 for i in range(n))]  # fmt: skip


def complex_mul(a, b):
    return (a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0])


def exact_trig(points, k):
    """Documents (cos m a, sin m a) and query coefficients of
    f(a) = -prod (1 - cos(a - a_s)), all from rational cos/sin."""
    docs = []
    for c, s in points:
        z, powers = (Fraction(1), Fraction(0)), []
        for _ in range(k):
            z = complex_mul(z, (c, s))
            powers += [z[0], z[1]]
        docs.append(powers)
    queries = {}
    for subset in itertools.combinations(range(len(points)), k):
        laurent = {0: (Fraction(1), Fraction(0))}  # power -> complex coefficient
        for i in subset:
            c, s = points[i]
            factor = {
                0: (Fraction(1), Fraction(0)),
                1: (-c / 2, s / 2),
                -1: (-c / 2, -s / 2),
            }
            grown = {}
            for p, x in laurent.items():
                for q, y in factor.items():
                    old = grown.get(p + q, (Fraction(0), Fraction(0)))
                    prod = complex_mul(x, y)
                    grown[p + q] = (old[0] + prod[0], old[1] + prod[1])
            laurent = grown
        query = []
        for m in range(1, k + 1):  # of f = -prod: alpha = 2 Re, beta = -2 Im
            re, im = laurent[m]
            query += [-2 * re, 2 * im]
        queries[subset] = query
    return docs, queries


def assert_every_top_k_exact(docs, queries):
    for subset, q in queries.items():
        scores = [sum(a * b for a, b in zip(doc, q, strict=True)) for doc in docs]
        own = min(scores[i] for i in subset)
        rest = max(score for i, score in enumerate(scores) if i not in subset)
        assert own > rest, subset  # strictly: a tie is a failure


@pytest.mark.parametrize("k,n", [(1, 30), (2, 30), (3, 12)])
@pytest.mark.parametrize("basis", ["monomial", "chebyshev"])
def test_the_moment_witness_holds_exactly(k, n, basis):
    equispaced = [Fraction(2 * i, n - 1) - 1 for i in range(n)]
    assert_every_top_k_exact(*exact_moment(equispaced, k, basis))
    assert_every_top_k_exact(*exact_moment([Fraction(i) for i in range(n)], k, basis))


@pytest.mark.parametrize("k,n", [(1, 30), (2, 30), (3, 12)])
def test_the_trigonometric_witness_holds_exactly(k, n):
    assert_every_top_k_exact(*exact_trig(circle_points(n), k))


@pytest.mark.parametrize("basis", ["monomial", "chebyshev"])
def test_the_library_builds_the_exact_moment_witness(basis):
    t = [Fraction(2 * i, 9) - 1 for i in range(10)]
    docs, queries = exact_moment(t, 2, basis)
    values = np.array([float(x) for x in t])
    np.testing.assert_allclose(
        documents_at("moment", 2, values, basis),
        np.array(docs, float),
        rtol=1e-13,
        atol=1e-15,
    )
    subsets = np.array(list(queries))
    np.testing.assert_allclose(queries_at("moment", 2, values[subsets], basis),
                               np.array(list(queries.values()), float),
                               rtol=1e-12, atol=1e-14)  # fmt: skip


def test_the_library_builds_the_exact_trigonometric_witness():
    points = circle_points(9)
    docs, queries = exact_trig(points, 2)
    angles = np.array([np.arctan2(float(s), float(c)) for c, s in points])
    unscaled = documents_at("trig_moment", 2, angles, "trig") * np.sqrt(2)
    np.testing.assert_allclose(unscaled, np.array(docs, float), atol=1e-13)
    subsets = np.array(list(queries))
    exact = np.array(list(queries.values()), float)
    exact /= np.linalg.norm(exact, axis=1, keepdims=True)
    np.testing.assert_allclose(queries_at("trig_moment", 2, angles[subsets], "trig"),
                               exact, atol=1e-12)  # fmt: skip


# -- float storage ------------------------------------------------------------
BEST = {"moment": Placement("equispaced", "monomial", "none"),
        "trig_moment": Placement("equispaced", "trig", "none")}  # fmt: skip


@pytest.mark.parametrize("construction", ["moment", "trig_moment"])
def test_more_precision_holds_at_least_as_many_documents(construction):
    found = {p: critical_witness_n(construction, 2, p, BEST[construction], 96, 64)
             for p in ("float64", "float32", "bfloat16", "float16")}  # fmt: skip
    n = {p: limit.max_n for p, limit in found.items()}
    assert n["float64"] >= n["float32"] >= max(n["bfloat16"], n["float16"]) >= 5
    assert found["float64"].capped and found["float64"].max_n == 96  # holds at the cap
    for limit in found.values():
        assert limit.capped or not limit.at(limit.first_failing_n).holds


def test_a_coarse_precision_fails_early_and_says_where():
    """float16 storage with float16 accumulation: the failure is reported
    with the query whose top k broke and the document that got in."""
    limit = critical_witness_n("moment", 2, "float16", BEST["moment"], 64,
                               accumulation="float16")  # fmt: skip
    failure = limit.at(limit.first_failing_n)
    assert limit.max_n < 12 and not failure.holds and failure.min_gap <= 0
    subset, intruder = failure.violation
    assert len(subset) == 2 and intruder not in subset
    assert 0 <= intruder < limit.first_failing_n


def test_the_search_agrees_with_checking_every_n():
    """Holding is not monotone in n (bfloat16 trig: 14 fails, 15 and 16 hold);
    the strict value is what checking every n gives, and the search's own
    boundary is reported beside it."""
    placement = BEST["trig_moment"]
    every = {
        n: check("trig_moment", 2, n, "bfloat16", placement).holds for n in range(3, 40)
    }
    strict = next(n for n in sorted(every) if not every[n]) - 1
    limit = critical_witness_n("trig_moment", 2, "bfloat16", placement, 39)
    assert limit.max_n == strict and limit.first_failing_n == strict + 1
    assert limit.search_n >= strict and every[limit.search_n]


def test_every_placement_is_built():
    assert tuple(PLACEMENTS) == CONSTRUCTIONS
    for construction, placements in PLACEMENTS.items():
        for placement in placements:
            assert check(construction, 2, 6, "float64", placement).holds, placement
    assert witness.ACCUMULATION["bfloat16"] == "float32"
    assert tuple(witness.DTYPES) == PRECISIONS


def test_the_witness_command_defaults_to_the_configs_defaults():
    """By hand, witness.py checks what `snakemake witnesses` checks by default
    (it used to cap at 1024 and scan to 256, the config at 512 and 128)."""
    import witness as command  # workflow/scripts/witness.py (conftest: on sys.path)

    words = "--construction moment --k 2 --precision float32 --out x.json"
    args = command.parse_args(words.split())
    got = (args.placements, args.max_n, args.scan_limit)
    assert got == (DEFAULTS.placements, DEFAULTS.max_n, DEFAULTS.scan_limit)


# -- the workflow stage ---------------------------------------------------------
@pytest.mark.workflow
def test_snakemake_witnesses_writes_the_table_and_figure(tmp_path):
    import pandas as pd

    from helpers import TINY, snakemake

    config = {**TINY, "dims": [3], "seeds": [0], "search": {"grid": {3: [4, 5]}},
              "witnesses": {"constructions": ["trig_moment"], "precisions":
                            ["bfloat16", "float16"], "placements": "best",
                            "max_n": 40, "scan_limit": 40}}  # fmt: skip
    snakemake(tmp_path, "witnesses", config=config)
    table = pd.read_csv(tmp_path / "results/tables/witness.csv")
    assert sorted(table["precision"]) == ["bfloat16", "float16"]
    assert (table["accumulation"] == "float32").all() and (table["d"] == 4).all()
    assert (table["max_n"] < table["first_failing_n"]).all()
    assert table["violation"].str.contains("ranks document").all()
    assert (tmp_path / "results/figures/limits_vs_d.png").stat().st_size > 5000
    # the job knew its memory: what its rule declared, and that max_n fits in it
    result = json.loads((tmp_path / "results/witnesses/trig_moment/k~2/float16.json")
                        .read_text())  # fmt: skip
    assert result["memory_mb"] == witness_job_mb(2, 40)
    assert result["memory_limit_n"] == 40 and not table["capped_by_memory"].any()
    # The README's report commands, as typed: the witness table and the limits
    # figure are in the report only when `witnesses` is a target too.
    snakemake(tmp_path)
    from helpers import readme_report_commands

    reports = readme_report_commands()
    assert len(reports) == 2
    for words in reports:
        snakemake(tmp_path, *words)
        html = (tmp_path / "results/report.html").read_text(errors="replace")
        assert "critical_n.csv" in html
        has_witnesses = "witnesses" in words
        assert ("witness.csv" in html) == has_witnesses, words
        assert ("limits_vs_d.png" in html) == has_witnesses, words


def test_a_corrupt_or_misplaced_witness_result_names_the_file_and_the_fix(tmp_path):
    import json

    from embedding_limits.store.documents import ResultError, load_witness

    folder = tmp_path / "results/witnesses/moment/k~2"
    folder.mkdir(parents=True)
    truncated = folder / "float32.json"
    truncated.write_text('{"construction": "moment", "k": 2')
    with pytest.raises(ResultError, match="not a whole witness result.*snakemake witn"):
        load_witness(str(truncated))
    whole = {"construction": "trig_moment", "k": 2, "d": 4, "precision": "float32",
             "accumulation": "float32", "max_n_cap": 40, "best": 0,
             "placements": [{"placement": "equispaced", "max_n": 9}]}  # fmt: skip
    truncated.write_text(json.dumps(whole))
    with pytest.raises(ResultError, match="holds trig_moment, k=2, float32, not what"):
        load_witness(str(truncated))
    (tmp_path / "results/witnesses/trig_moment/k~2").mkdir(parents=True)
    right = tmp_path / "results/witnesses/trig_moment/k~2/float32.json"
    right.write_text(json.dumps(whole))
    assert load_witness(str(right))["best"] == 0


@pytest.mark.parametrize("witnesses,message", [
    ({"constructions": ["spiral"]}, "constructions[0]: 'spiral' is not one of"),
    ({"precisions": ["float8"]}, "witnesses.precisions[0]: 'float8' is not one of"),
    ({"ks": [0]}, "witnesses.ks[0]: 0 is less than the minimum of 1"),
    ({"ks": [13]}, "witnesses.ks[0]: 13 is greater than the maximum of 12"),
    ({"ks": [2, 6], "max_n": 5},
     "witnesses.max_n: 5 must exceed every k of witnesses.ks, got k = [6]"),
])  # fmt: skip
def test_bad_witness_settings_name_the_key(witnesses, message):
    from embedding_limits.config.load import ConfigError, load
    from helpers import SCHEMA_PATH, VOCAB

    with pytest.raises(ConfigError) as error:
        load({"witnesses": witnesses}, SCHEMA_PATH, None, VOCAB)
    assert message in str(error.value)


def test_the_witness_command_refuses_a_d_below_2k(tmp_path):
    import subprocess
    import sys

    from conftest import SCRIPTS

    done = subprocess.run(
        [
            sys.executable,
            f"{SCRIPTS}/witness.py",
            "--construction",
            "moment",
            "--k",
            "2",
            "--d",
            "3",
            "--precision",
            "float32",
            "--out",
            tmp_path / "w.json",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "d = 2k = 4" in done.stderr


def test_the_witness_command_refuses_a_k_that_cannot_fit_before_any_work(tmp_path):
    """k = 16 from the command line used to die allocating 69.5 GiB."""
    import subprocess
    import sys
    import time

    from conftest import SCRIPTS

    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, f"{SCRIPTS}/witness.py", "--construction", "moment",
         "--k", "16", "--precision", "float64", "--memory-mb", "20000",
         "--out", tmp_path / "w.json"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2 and time.perf_counter() - started < 30
    assert ("argument --k: k = 16: its first check, n = 33 (1,166,803,110 "
            "queries), needs 3.3 TiB; k <= 12 fits in 19.5 GiB (--memory-mb)"
            ) in done.stderr  # fmt: skip
    assert not (tmp_path / "w.json").exists()
