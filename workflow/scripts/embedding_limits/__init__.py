"""The library of the workflow: free-embedding limits of single-vector retrieval.

Rooms, each a subpackage by concern (docs/architecture.md is the map), from
the ground up; a room imports only rooms below it:

- ``files``, ``paper``: writing files whole; the LIMIT paper's own numbers.
- ``data``: qrels, LIMIT-style text datasets, the MTEB/BEIR files.
- ``embedders``: real embedding models: backends, loading, storage precisions.
- ``config``: the config read and checked, protocols, run settings, choices.
- ``retrieval``: BM25 and MTEB's metrics.
- ``store``: where results live, the result documents, what a run makes.
- ``memory``: what a job needs, what the machine allows, the config's budget.
- ``search``: the adaptive searches and their strategies.
- ``free_embedding``: the optimiser: engine, losses, schedules, one job.
- ``witnesses``: exact constructions and the n each precision holds.
- ``reports``: tables, fits and figures.

Nothing here imports Snakemake: the rules hand it what it needs.
"""
