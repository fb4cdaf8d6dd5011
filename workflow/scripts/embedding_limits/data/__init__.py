"""Data: the qrels of every k-subset, LIMIT-style text datasets, and their
files in the MTEB/BEIR layout."""
