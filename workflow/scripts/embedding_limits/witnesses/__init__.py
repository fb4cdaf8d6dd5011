"""Exact witnesses: construction (moment-curve embeddings at d = 2k and the
largest n each float precision holds) and polish (an optimiser started from
one)."""
