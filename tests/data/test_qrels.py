import itertools
import math

import numpy as np
import pytest

from embedding_limits.config.run_settings import RunSettings
from embedding_limits.data.qrels import (
    Qrels,
    combination_at,
    combinations_qrels,
    load_qrels,
    protocol_queries,
    relevance_mask,
    sample_query_indices,
    sampled_combinations,
    save_qrels,
    subsets_qrels,
)
from embedding_limits.free_embedding.job import seed_relevance


@pytest.mark.parametrize("n,k", [(7, 1), (9, 2), (30, 2), (8, 3), (7, 4)])
def test_every_k_subset_in_lexicographic_order(n, k):
    qrels = combinations_qrels(n, k)
    assert qrels.num_queries == math.comb(n, k)
    assert qrels.relevant.tolist() == [
        list(c) for c in itertools.combinations(range(n), k)
    ]
    assert qrels.num_docs == n and qrels.num_relevant == k * math.comb(n, k)


def test_relevance_mask_marks_exactly_the_listed_documents():
    relevant = np.array([[0, 2], [1, -1], [3, 0]], dtype=np.int32)
    mask = relevance_mask(relevant, 4)
    assert mask.tolist() == [
        [True, False, True, False],
        [False, True, False, False],
        [True, False, False, True],
    ]


def test_query_cap_follows_the_published_sampling():
    drawn = sample_query_indices(45, 10, seed=3)
    assert (
        drawn.tolist()
        == np.random.default_rng(4).choice(45, 10, replace=False).tolist()
    )
    assert len(set(drawn.tolist())) == 10
    assert sample_query_indices(45, 10, seed=3).tolist() == drawn.tolist()


def test_capped_masks_are_per_seed_and_reproducible():
    settings = RunSettings(d=3, n=10, seeds=(0, 1), max_queries=12)
    qrels = combinations_qrels(10, 2)
    masks = seed_relevance(settings, qrels).mask_QxN
    assert masks.shape == (2, 12, 10)
    assert (masks.sum(axis=2) == 2).all()
    assert not np.array_equal(masks[0], masks[1])
    assert np.array_equal(masks, seed_relevance(settings, qrels).mask_QxN)
    picked = qrels.relevant[sample_query_indices(45, 12, seed=1)]
    assert np.array_equal(masks[1], relevance_mask(picked, 10))
    # without a qrels file the sample is drawn without listing every subset
    assert np.array_equal(seed_relevance(settings).mask_QxN, masks)


def test_uncapped_masks_are_shared():
    relevance = seed_relevance(RunSettings(d=3, n=6, seeds=(0, 1, 2)))
    assert relevance.mask_QxN.shape == (15, 6) and relevance.index_QxR.shape == (15, 2)


@pytest.mark.parametrize("n,k", [(7, 2), (9, 3), (6, 4), (5, 1), (10, 5)])
def test_a_subset_is_found_by_its_index_alone(n, k):
    every = list(itertools.combinations(range(n), k))
    assert [tuple(combination_at(n, k, i)) for i in range(len(every))] == every
    assert sampled_combinations(n, k, np.array([3, 0])).tolist() == [
        list(every[3]),
        list(every[0]),
    ]
    assert combination_at(200_000, 2, math.comb(200_000, 2) - 1) == [199_998, 199_999]


def test_qrels_file_round_trip(tmp_path):
    path = tmp_path / "q" / "n~9.npz"
    save_qrels(str(path), combinations_qrels(9, 2))
    loaded = load_qrels(str(path))
    assert np.array_equal(loaded.relevant, combinations_qrels(9, 2).relevant)
    assert loaded.num_docs == 9 and "n=9" in loaded.source
    assert [p.name for p in path.parent.iterdir()] == ["n~9.npz"]


def test_corrupt_qrels_file_is_named_in_the_error(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz: not a readable .npz") as error:
        load_qrels(str(path))
    assert "pickle" not in str(error.value)  # numpy's advice would not help
    out_of_range = tmp_path / "range.npz"
    save_qrels(str(out_of_range), Qrels(np.array([[0, 5]], np.int32), 3, "hand"))
    with pytest.raises(ValueError, match="num_docs=3"):
        load_qrels(str(out_of_range))


MALFORMED = [
    ({"relevant": [[0, 1], [2, 2]]}, "query 1 lists document 2 twice ([2, 2])"),
    ({"relevant": [[0.0, 1.7]]},
     "'relevant' has dtype float64 (first entries [0.0, 1.7]); document indices "
     "must be integers"),
    ({"relevant": [[0.0, 1.0]]}, "'relevant' has dtype float64"),
    ({"relevant": [[0, -2]]}, "query 0 lists document -2, but the documents are 0..4"),
    ({"relevant": [[0, 5]]}, "query 0 lists document 5, but the documents are 0..4"),
    ({"relevant": [0, 1]}, "'relevant' must be a non-empty (Q, R) matrix, got shape"),
    ({"relevant": [[-1, -1]]}, "'relevant' lists no document"),
    ({"num_docs": 5.5}, "'num_docs' must be one integer, got array(5.5)"),
    ({"num_docs": 0}, "'num_docs' must be >= 1"),
    ({"relevant": None},
     "a .npz without 'relevant', so not a qrels file (it holds 'num_docs', "
     "'source'; a qrels file holds 'relevant', 'num_docs', 'source')"),
]  # fmt: skip


@pytest.mark.parametrize("fields,message", MALFORMED, ids=[m for _, m in MALFORMED])
def test_malformed_qrels_are_refused_by_name(tmp_path, fields, message):
    """A query listing a document twice, float indices (which astype would
    truncate), indices out of range: refused, never repaired."""
    arrays = {"relevant": [[0, 1], [2, 3]], "num_docs": 5, "source": "hand", **fields}
    path = tmp_path / "bad.npz"
    np.savez(path, **{k: np.asarray(v) for k, v in arrays.items() if v is not None})
    with pytest.raises(ValueError) as error:
        load_qrels(str(path))
    assert str(error.value).startswith(f"{path}: ") and message in str(error.value)


def test_med_queries_are_counted_as_made():
    """protocol_queries sizes the job that subsets_qrels fills."""
    for n, k in [(5, 2), (10, 2), (7, 3), (3, 3)]:
        made = subsets_qrels(n, k).num_queries
        assert protocol_queries(n, k, "1..k") == made
        assert protocol_queries(n, k, "k") == math.comb(n, k)
    assert protocol_queries(10, 2, "1..k") == 55  # MED's count at m = 10
