"""Protocols: each loss, the schedule, the learned temperature, centroid
queries and the margin against hand computations; configs; reruns."""

import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from embedding_limits.config.load import ConfigError, load
from embedding_limits.config.loss_facts import LOSS_FACTS
from embedding_limits.config.protocol import (
    CUSTOM,
    FIELDS,
    LOSS_SETTINGS,
    ONECYCLE_SETTINGS,
    SCHEDULES,
    Protocol,
    ProtocolError,
    from_options,
    resolve,
)
from embedding_limits.free_embedding import schedules
from embedding_limits.free_embedding.job import relevance_of
from embedding_limits.free_embedding.losses import LOSSES
from embedding_limits.free_embedding.model import (
    Params,
    evaluate,
    make_step,
    query_vectors,
)
from embedding_limits.free_embedding.schedules import (
    adam_settings,
    learning_rate,
    make_optimizer,
)
from helpers import SCHEMA_PATH, VOCAB

# the follow-ups' protocols as configs/protocols.yaml writes them
SHIPPED_PROTOCOLS = load(
    {}, SCHEMA_PATH, os.path.join(ROOT, "configs", "protocols.yaml"), VOCAB
).protocols.values()

# three queries, four documents; query 2 has a single relevant document
SCORES = np.array([[0.9, 0.1, -0.3, 0.5], [0.2, 0.8, 0.7, -0.1], [0.0, 0.3, 0.6, 0.4]])
INDEX = np.array([[0, 3], [1, 2], [2, -1]], np.int32)
RELEVANCE = relevance_of(INDEX, 4)


def loss(name, **settings):
    p = Protocol(loss=name, **settings)
    return float(
        LOSSES[name](jnp.asarray(SCORES, jnp.float32), RELEVANCE, p.temperature, p)
    )


def relevant(q):
    return [int(j) for j in INDEX[q] if j >= 0]


def test_infonce_by_hand():
    total, pairs = 0.0, 0
    for q in range(3):
        logits = SCORES[q] / 0.1
        log_z = math.log(sum(math.exp(x) for x in logits))
        for j in relevant(q):
            total += logits[j] - log_z
            pairs += 1
    assert loss("infonce") == pytest.approx(-total / pairs, rel=1e-6)


def test_sigmoid_by_hand():
    t, b, expected = 2.0, 0.1, 0.0
    for q in range(3):
        for j in range(4):
            y = 1.0 if j in relevant(q) else -1.0
            expected += math.log1p(math.exp(-y * t * (SCORES[q, j] - b)))
    assert loss("sigmoid", temperature=t, bias=b) == pytest.approx(expected, rel=1e-6)


def test_hinge_by_hand():
    margin, expected = 0.3, 0.0
    for q in range(3):
        for r in relevant(q):
            for i in set(range(4)) - set(relevant(q)):
                expected += max(0.0, margin - (SCORES[q, r] - SCORES[q, i]))
    assert loss("hinge", margin=margin) == pytest.approx(expected, rel=1e-6)


def test_the_schedule_warms_up_then_decays():
    p = Protocol(schedule="warmup_cosine", learning_rate=0.01, max_steps=1000)
    schedule = learning_rate(p)  # defaults: 5% warmup from 0.1x, cosine to 0.01x
    assert float(schedule(0)) == pytest.approx(0.001)
    assert float(schedule(50)) == pytest.approx(0.01)
    assert float(schedule(525)) == pytest.approx((0.01 + 0.0001) / 2, rel=1e-4)
    assert float(schedule(1000)) == pytest.approx(0.0001)
    assert learning_rate(Protocol()) == 0.01  # published: the bare float


def test_every_schedule_of_the_protocol_has_its_learning_rate():
    assert tuple(schedules.SCHEDULES) == SCHEDULES


def torch_one_cycle(step, total, pct_start, start, peak, end):
    """PyTorch's OneCycleLR, two phases, cos: the value at ``step_num``."""
    peak_at, last = float(pct_start * total) - 1, total - 1
    if step <= peak_at:
        pct, a, b = step / peak_at, start, peak
    else:
        pct, a, b = (step - peak_at) / (last - peak_at), peak, end
    return b + (a - b) / 2.0 * (math.cos(math.pi * pct) + 1)


@pytest.mark.parametrize(
    "step,lr,b1",
    [
        (0, 1.0 / 25, 0.95),  # the start: peak / div_factor, max_momentum
        (599, 1.0, 0.85),  # the peak: 0.3 x 2000 - 1 (optax's is at 600)
        (1299, (1.0 + 4e-6) / 2, 0.9),  # halfway down: 700 of the 1400 steps
        (1999, 1.0 / 25 / 1e4, 0.95),  # the last step: peak / (25 x 1e4)
    ],
)
def test_onecycle_is_pytorchs_one_cycle_by_hand(step, lr, b1):
    """MED's run: peak 1.0 over 2,000 steps, PyTorch's defaults."""
    p = Protocol(schedule="onecycle", learning_rate=1.0, max_steps=2000)
    settings = adam_settings(p)
    assert float(settings["learning_rate"](step)) == pytest.approx(lr, rel=1e-6)
    assert float(settings["b1"](step)) == pytest.approx(b1, rel=1e-6)
    # one step past the peak is already on the way down, by PyTorch's count
    after = torch_one_cycle(600, 2000, 0.3, 0.04, 1.0, 4e-6)
    assert after < 1.0
    assert float(settings["learning_rate"](600)) == pytest.approx(after, rel=1e-6)


def test_onecycle_drives_adams_b1_as_pytorch_does():
    """Two Adam steps of one scalar against PyTorch's Adam by hand, with the
    lr and b1 that OneCycleLR gives steps 0 and 1 of 10 (peak at step 2);
    without cycle_momentum b1 stays Adam's 0.9."""
    grads, b2, eps = (1.0, -0.5), 0.999, 1e-8

    def by_hand(lrs, b1s):
        m = v = 0.0
        updates = []
        for t, (g, lr, b1) in enumerate(zip(grads, lrs, b1s, strict=True), start=1):
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
            m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            updates.append(-lr * m_hat / (math.sqrt(v_hat) + eps))
        return updates

    # lr 2.0: 2.0 / 25 = 0.08, then halfway up: 2.0 + (0.08 - 2.0) / 2 = 1.04
    lrs = (0.08, 1.04)
    for cycle, b1s in ((True, (0.95, 0.9)), (False, (0.9, 0.9))):
        p = Protocol(schedule="onecycle", learning_rate=2.0, max_steps=10,
                     cycle_momentum=cycle)  # fmt: skip
        optimizer = make_optimizer(p)
        params = jnp.zeros((), jnp.float32)
        state, got = optimizer.init(params), []
        for g in grads:
            update, state = optimizer.update(jnp.float32(g), state, params)
            got.append(float(update))
        # float32's 1 - b2^2 = 0.002 keeps ~4 digits; b1 0.9 vs 0.95 differ by far more
        assert got == pytest.approx(by_hand(lrs, b1s), rel=1e-4), cycle


@pytest.mark.parametrize("name", LOSS_FACTS)
def test_a_losss_own_settings_mean_something_with_it_alone(name):
    """loss_facts' ``only_with``: accepted with the losses that list the key,
    refused with every other, naming the ones it goes with."""
    for key in LOSS_FACTS[name].only_with:
        assert key in FIELDS and name in LOSS_SETTINGS[key]
        value = FIELDS[key].default
        assert resolve("x", {"loss": name, key: value}, {}).loss == name
        allowed = " or ".join(LOSS_SETTINGS[key])
        for other in set(LOSS_FACTS) - set(LOSS_SETTINGS[key]):
            with pytest.raises(ProtocolError) as error:
                resolve("x", {"loss": other, key: value}, {})
            assert list(error.value.errors) == [key]
            assert error.value.errors[key].startswith(
                f"only means something with loss: {allowed}, not {other}"
            )


@pytest.mark.parametrize("key", ONECYCLE_SETTINGS)
def test_a_onecycle_setting_means_something_with_onecycle_alone(key):
    value = FIELDS[key].default
    assert resolve("x", {"schedule": "onecycle", key: value}, {}).schedule == (
        "onecycle"
    )
    for other in set(SCHEDULES) - {"onecycle"}:
        with pytest.raises(ProtocolError) as error:
            resolve("x", {"schedule": other, key: value}, {})
        assert error.value.errors == {
            key: f"only means something with schedule: onecycle, not {other}"
        }


def test_onecycle_needs_a_rise_of_more_than_one_step():
    """PyTorch's rise ends at step pct_start x max_steps - 1: it must be > 0."""
    assert Protocol(schedule="onecycle", max_steps=4, pct_start=0.3).max_steps == 4
    with pytest.raises(ProtocolError) as error:
        Protocol(schedule="onecycle", max_steps=3, pct_start=0.3)
    assert set(error.value.errors) == {"pct_start"}
    assert Protocol(max_steps=3).max_steps == 3  # other schedules: no such rise


@pytest.mark.parametrize("name,start,clamped", [("infonce", 300.0, 100.0),
                                                 ("infonce", 1e-7, 1e-4),
                                                 ("sigmoid", 300.0, None)])  # fmt: skip
def test_a_learned_temperature_is_clamped_for_infonce_only(name, start, clamped):
    p = Protocol(
        loss=name, learn_temperature=True, temperature=start, learning_rate=1e-9
    )
    optimizer = make_optimizer(p)
    params = Params(jnp.eye(3, 4), jnp.eye(4), jnp.float32(start))
    step = jax.jit(make_step(p, optimizer, "cpu"))
    new, _, _, _ = step(params, optimizer.init(params), RELEVANCE)
    if clamped is None:
        assert float(new.temperature) == pytest.approx(start)  # not clamped
    else:
        assert float(new.temperature) == pytest.approx(clamped)


def test_a_centroid_query_is_the_mean_of_its_documents():
    docs = jnp.asarray(np.random.default_rng(0).normal(size=(4, 3)), jnp.float32)
    queries = query_vectors(Params(None, docs, None), RELEVANCE)
    for q in range(3):
        mean = np.asarray(docs)[relevant(q)].mean(axis=0)
        np.testing.assert_allclose(queries[q], mean,
                                   rtol=1e-6)  # fmt: skip


def test_the_margin_and_hits_equal_a_numpy_computation():
    rng = np.random.default_rng(1)
    queries, docs = rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    params = Params(
        jnp.asarray(queries, jnp.float32), jnp.asarray(docs, jnp.float32), None
    )
    metrics = evaluate(params, RELEVANCE, 2, Protocol())
    scores = queries.astype(np.float32) @ docs.astype(np.float32).T
    mask = np.asarray(RELEVANCE.mask_QxN)
    assert float(metrics.margin) == pytest.approx(
        scores[mask].min() - scores[~mask].max(), abs=1e-6
    )
    top2 = np.argsort(-scores, axis=1)[:, :2]
    assert int(metrics.hits) == int(np.take_along_axis(mask, top2, axis=1).sum())


def test_a_protocol_inherits_the_optimizer_and_its_loss_temperature():
    optimizer = {"learning_rate": 0.02, "temperature": 0.1, "max_steps": 500}
    sigmoid = resolve("sig", {"loss": "sigmoid"}, optimizer)
    assert (sigmoid.learning_rate, sigmoid.max_steps, sigmoid.temperature) == (
        0.02,
        500,
        1.0,
    )
    assert resolve("pub", {}, optimizer) == Protocol(
        name="pub", learning_rate=0.02, max_steps=500
    )
    assert (
        resolve("hot", {"loss": "sigmoid", "temperature": 5.0}, optimizer).temperature
        == 5.0
    )


@pytest.mark.parametrize(
    "words,name",
    [
        ([], "published"),
        (["learning_rate=0.01", "temperature=0.1"], "published"),  # the published
        (["learning_rate=5"], CUSTOM),
        (["loss=sigmoid"], CUSTOM),
        (["name=mine", "learning_rate=5"], "mine"),
        (["name=published", "max_steps=9"], "published"),  # said so, by name
    ],
)
def test_a_command_line_protocol_is_named_for_what_it_is(words, name):
    assert from_options(words).name == name


def test_a_command_line_key_given_twice_is_refused():
    with pytest.raises(ProtocolError) as error:
        from_options(["learning_rate=0.01", "learning_rate=5"])
    assert error.value.errors == {
        "learning_rate": "given twice (learning_rate=0.01, learning_rate=5); "
        "give each key once"
    }


@pytest.mark.parametrize("protocol", [Protocol(), *SHIPPED_PROTOCOLS])
def test_a_protocol_is_handed_to_a_job_as_one_document_and_read_back_whole(protocol):
    """What the workflow hands a job (--protocol-json) is the protocol itself:
    every setting, each float to its last bit, read back by the dataclass."""
    document = protocol.to_json()
    assert json.loads(document) == protocol.to_dict()
    assert Protocol.from_json(document) == protocol


@pytest.mark.parametrize(
    "document,key,message",
    [
        ('{"learning_rate": 0.01, "lr": 1}', "lr", "is not a protocol setting"),
        ('{"loss": "cosine"}', "loss", "must be one of infonce"),
        ('{"max_steps": 0}', "max_steps", "integer in 1.."),
        ('["loss", "hinge"]', "protocol", "must be a mapping"),
        ('{"loss": "hinge",', "protocol", "is not JSON"),
    ],
)
def test_a_bad_protocol_document_is_refused_naming_the_setting(document, key, message):
    with pytest.raises(ProtocolError) as error:
        Protocol.from_json(document)
    assert message in error.value.errors[key]


BAD = [
    ({"x": {"lr": 0.1}}, "protocols.x: unknown key 'lr'"),
    ({"x": {"loss": "hinge", "learn_temperature": True}},
     "protocols.x.learn_temperature: loss hinge has no temperature"),
    ({"x": {"loss": "hinge", "bias": 0.5}},
     "protocols.x.bias: only means something with loss: sigmoid"),
    ({"x": {"loss": "hinge", "temperature": 2.0}},
     "protocols.x.temperature: loss hinge has no temperature"),
    ({"x": {"warmup_fraction": 0.1}},
     "protocols.x.warmup_fraction: only means something with schedule: warmup_cosine"),
    ({"x": {"schedule": "constant", "pct_start": 0.25}},
     "protocols.x.pct_start: only means something with schedule: onecycle, "
     "not constant"),
    ({"x": {"cycle_momentum": False}},
     "protocols.x.cycle_momentum: only means something with schedule: onecycle"),
    ({"x": {"schedule": "onecycle", "max_momentum": 1.0}},
     "protocols.x.max_momentum: 1.0 is greater than or equal to the maximum of 1"),
    ({"a/b": {}}, "protocols: 'a/b' must be letters, digits, - and _, not starting "
                  "with - (it names files and is a word on command lines)"),
    ({"-h": {}}, "protocols: '-h' must be letters"),
    ({"x": {"loss": "cosine"}}, "protocols.x.loss: 'cosine' is not one of"),
    ({}, "protocols: {} should be non-empty"),
]  # fmt: skip


@pytest.mark.parametrize(
    "protocols,message",
    BAD,
    ids=[m.split(":")[0] + str(i) for i, (_, m) in enumerate(BAD)],
)
def test_bad_protocols_fail_before_any_job_naming_the_key(protocols, message):
    with pytest.raises(ConfigError) as error:
        load({"protocols": protocols}, SCHEMA_PATH, None, VOCAB)
    assert message in str(error.value)
    with pytest.raises(ProtocolError):
        Protocol(name="a/b")


@pytest.mark.workflow
def test_changing_one_protocol_reruns_its_jobs_only(tmp_path):
    from helpers import N_FIGURES, TINY, planned_jobs, snakemake

    fast = {"loss": "sigmoid", "learn_temperature": True, "early_stopping": False,
            "success": "margin", "max_steps": 300}  # fmt: skip
    config = {**TINY, "dims": [3], "seeds": [0], "search": {"grid": {3: [4, 5]}},
              "protocols": {"published": {}, "fast": fast}}  # fmt: skip
    snakemake(tmp_path, config=config)
    critical = pd.read_csv(tmp_path / "results/tables/critical_n.csv")
    assert sorted(critical["protocol"]) == ["fast", "published"]
    assert (tmp_path / "results/runs/protocol~fast/k~2/d~3/n~5.json").exists()
    changed = {"protocols": {"fast": {"learning_rate": 0.02}}}
    assert planned_jobs(tmp_path, changed) == {
        "optimize": 2, "search": 1, "aggregate": 1, **N_FIGURES, "all": 1
    }  # fmt: skip
    out = snakemake(tmp_path, "-n", "--configfile", str(tmp_path / "config.yaml"),
                    str(tmp_path / "override.yaml")).stdout  # fmt: skip
    assert "output: results/runs/protocol~fast" in out
    assert "output: results/runs/protocol~published" not in out
