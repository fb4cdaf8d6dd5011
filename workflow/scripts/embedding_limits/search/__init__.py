"""The adaptive searches: strategies (gallop, grid, bisect: pure plans over
the outcomes known so far), brackets (each seed's own boundary), searches (a
strategy applied to one subject, and its replay), plan (the searches a config
asks for) and checkpoints (a search replayed over Snakemake's finished jobs)."""
