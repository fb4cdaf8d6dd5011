"""Exact witnesses: construction (moment-curve embeddings at d = 2k and the
largest n each float precision holds), datasets (the same check over a
dataset's own queries) and polish (an optimiser started from one)."""
