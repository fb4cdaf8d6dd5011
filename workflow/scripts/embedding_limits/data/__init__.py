"""Data: the qrels of every k-subset, LIMIT-style text datasets, their files
in the MTEB/BEIR layout (checked against their manifest), and dataset folders
read as MTEB reads them (folder)."""
