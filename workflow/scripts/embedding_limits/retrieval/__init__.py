"""Retrieval on the datasets' text: BM25 (bm25s), and MTEB's metrics
(pytrec_eval) for BM25 and the embedding models alike."""
