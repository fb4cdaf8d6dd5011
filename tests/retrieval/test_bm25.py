"""BM25 (bm25s) on a generated dataset, scored with MTEB's metrics."""

from embedding_limits.data.beir import write_dataset
from embedding_limits.data.limit_text import DatasetSpec, generate, load_vocabulary
from embedding_limits.retrieval.bm25 import bm25_metrics
from embedding_limits.retrieval.metrics import METRICS, RECALL_CUTOFFS
from helpers import VOCAB as VOCAB_DIR

VOCAB = load_vocabulary(VOCAB_DIR)


def test_bm25_scores_a_generated_dataset_with_mtebs_metrics(tmp_path):
    write_dataset(generate(DatasetSpec("r", queries=40, documents=12), VOCAB), tmp_path)
    found = bm25_metrics(tmp_path)
    assert tuple(found) == METRICS
    recall = [found[f"recall_at_{k}"] for k in RECALL_CUTOFFS]
    assert 0.5 <= recall[1] and recall == sorted(recall) and recall[-1] == 1.0
    assert 0 < found["ndcg_at_10"] <= 1
