"""A config's jobs against the memory one job may have: refused by key and size."""

import math

from embedding_limits.config.load import load
from embedding_limits.config.protocol import Protocol
from embedding_limits.data.qrels import protocol_queries
from embedding_limits.memory.budget import (
    config_errors,
    largest_d,
    largest_d_of_n,
    largest_n,
    probe_mb,
    refusal,
    witness_limit,
)
from embedding_limits.memory.sizes import (
    MB,
    optimize_job_mb,
    qrels_job_mb,
    size,
    witness_job_mb,
)
from helpers import SCHEMA_PATH, VOCAB

PUBLISHED, HINGE = Protocol(), Protocol(loss="hinge")
MED = Protocol(loss="hinge", queries="centroid", query_sizes="1..k")  # its queries


def errors(cap_mb, **config):
    experiment = load(config, SCHEMA_PATH, None, VOCAB)
    return config_errors(
        experiment.config, experiment.protocols, experiment.datasets, cap_mb
    )


def test_the_issue_grid_is_refused_by_key_and_size():
    """dims [3], grid {3: [100000]}: the qrels job alone would allocate 18.6 GiB."""
    assert qrels_job_mb(100_000, 2) * 2**20 > 18.6 * 2**30
    found = errors(24_000, dims=[3], datasets={}, search={"grid": {3: [100_000]}})
    fit = largest_n(24_000, 2, 3, PUBLISHED, 100_000)
    assert found == [
        f"search.grid.3: n = 100000 (k = 2, protocol published) needs 17.3 PiB; "
        f"at d = 3, n <= {fit} fits"
    ]
    assert probe_mb(2, 3, fit, PUBLISHED) <= 24_000 < probe_mb(2, 3, fit + 1, PUBLISHED)
    message = refusal(found, 24_000, "the machine's memory")
    assert "one job may have 23.4 GiB here (the machine's memory)" in message


def test_a_grid_that_fits_and_the_default_config_pass():
    assert errors(24_000, dims=[3], datasets={}, search={"grid": {3: [5, 50]}}) == []
    assert errors(16_000) == []  # the shipped config on a 16 GB laptop


def test_a_search_too_big_for_even_its_smallest_n_is_refused():
    found = errors(1000, dims=[4], datasets={})  # less than JAX itself needs
    assert found[0].startswith("dims[0]: d = 4 (k = 2, protocol published): not ")
    assert found[1].startswith("witnesses.ks[0]: k = 2: its first check, n = 5 ")
    assert len(found) == 2


def test_a_triple_loss_fits_fewer_documents():
    """The hinge loss's (Q, R, N) terms make each n bigger: its searches stop
    earlier (the cap is per protocol)."""
    assert largest_n(24_000, 2, 8, HINGE, 10**5) < largest_n(
        24_000, 2, 8, PUBLISHED, 10**5
    )


def test_datasets_are_checked_for_making_and_optimising():
    big = {"documents": 60_000, "attributes_per_doc": 500, "queries": 1000}
    found = errors(2000, dims=[4], datasets={"big": big}, witnesses={"ks": [1]})
    assert "datasets.big: making it (60000 documents x 500 " in found[0]
    assert any("datasets.big: optimising its 1000 queries x 60000 documents" in e
               for e in found)  # fmt: skip
    assert optimize_job_mb(1000, 60_000, 1, 2, "infonce") > 2000
    fit = largest_d(1600, 1000, 46, 2, "infonce", 65536)  # the critical-d search's
    assert optimize_job_mb(1000, 46, fit, 2, "infonce") <= 1600
    assert optimize_job_mb(1000, 46, fit + 1, 2, "infonce") > 1600


def test_the_witness_stage_is_sized_before_any_job():
    """k = 11's first check (n = 23, 1.35 million queries) needs 4.1 GiB."""
    need = witness_job_mb(11, 23)
    found = errors(need - 1, dims=[4], datasets={}, witnesses={"ks": [2, 11]})
    assert found == [
        f"witnesses.ks[1]: k = 11: its first check, n = 23 ({math.comb(23, 11):,} "
        "queries), needs 4.1 GiB; k <= 10 fits"
    ]
    assert errors(need, dims=[4], datasets={}, witnesses={"ks": [2, 11]}) == []
    # a cap between its first check and max_n: the job stops where it must
    fit = witness_limit(need, 11, 512)
    assert fit == 23 and witness_job_mb(11, 24) > need
    assert witness_limit(24_000, 2, 512) == 512  # the default never stops early


def test_the_smallest_d_searches_are_sized_at_their_first_d():
    """Every 2-subset of 2,000 documents is 2 million queries, too many for
    24 GB at any d; n = 640 fits at d = 1 but not at d = 64 with 6.4 GB. A
    search that is off is not checked."""
    on = {"enabled": True, "ns": [640, 2000]}
    found = errors(24_000, dims=[4], datasets={}, critical_d_of_n=on)
    assert found == [
        "critical_d_of_n.ns[1]: n = 2000 (k = 2, protocol published) needs "
        f"{size(probe_mb(2, 1, 2000, PUBLISHED) * MB)} at d = 1 "
        "(critical_d_of_n.start); no d fits at n = 2000"
    ]
    assert errors(24_000, dims=[4], datasets={}, critical_d_of_n={"ns": [2000]}) == []
    cap = probe_mb(2, 64, 640, PUBLISHED) - 1
    fit = largest_d_of_n(cap, 2, 640, PUBLISHED, 1024)
    assert 1 <= fit < 64 and probe_mb(2, fit + 1, 640, PUBLISHED) > cap
    start = {"enabled": True, "ns": [640], "start": 64}
    found = errors(cap, dims=[4], datasets={}, critical_d_of_n=start,
                   witnesses={"ks": [1]})  # fmt: skip
    assert found == [
        "critical_d_of_n.ns[0]: n = 640 (k = 2, protocol published) needs "
        f"{size(probe_mb(2, 64, 640, PUBLISHED) * MB)} at d = 64 "
        f"(critical_d_of_n.start); d <= {fit} fits"
    ]


def test_meds_probes_are_sized_by_its_own_queries():
    """MED's queries are every subset of 1 and 2 documents, n + C(n, 2): its
    probes are sized by them, not by the C(n, 2) of the qrels file, so a cap
    between the two sizes stops its search a d earlier."""
    assert protocol_queries(640, 2, MED.query_sizes) == 640 + math.comb(640, 2)
    pairs_only = Protocol(loss="hinge", queries="centroid")
    assert (
        probe_mb(2, 64, 640, MED)
        == optimize_job_mb(640 + math.comb(640, 2), 640, 64, 2, "hinge")
        > probe_mb(2, 64, 640, pairs_only)
    )
    cap = probe_mb(2, 64, 640, MED) - 1
    assert largest_d_of_n(cap, 2, 640, MED, 1024) < 64
    assert largest_d_of_n(cap, 2, 640, pairs_only, 1024) >= 64


def test_a_sweep_whose_smallest_search_cannot_fit_is_refused_by_key():
    """Below JAX's own footprint no optimisation job fits: each combination
    of the sweep is named, at each of its dims."""
    from embedding_limits.memory.budget import sweep_errors

    sweeps = {"big": {"grid": {"temperature": [0.05, 0.1]}, "dims": [4]}}
    experiment = load({"datasets": {}, "embedders": {}, "sweeps": sweeps},
                      SCHEMA_PATH, None, VOCAB)  # fmt: skip
    found = sweep_errors(experiment.config, experiment.sweeps,
                         experiment.every_protocol, 1000)  # fmt: skip
    need = size(probe_mb(2, 4, 3, PUBLISHED) * MB)
    assert found == [
        f"sweeps.big: d = 4, k = 2 (temperature = {t}): not even n = 3 fits ({need})"
        for t in (0.05, 0.1)
    ]
    assert sweep_errors(experiment.config, experiment.sweeps,
                        experiment.every_protocol, 24_000) == []  # fmt: skip
