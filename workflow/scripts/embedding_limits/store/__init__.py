"""The results store: paths (every path template, built and parsed),
documents (a job's result document, written and read back checked), outcome
(what a seed ended with), targets (what a run makes), tables (the CSV tables
checked whole) and snakemake_markers (the one reader of Snakemake's own
files)."""
