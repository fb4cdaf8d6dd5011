"""The optimiser: free query and document vectors optimised directly.

engine (a seed's whole run as one compiled JAX program), model (one step and
the evaluation), losses, schedules (the learning rate and Adam),
initialisation, precision (the matmul precision), stepwise (the plain
per-step loop of the published script, the yardstick), job (one optimisation
job: qrels to result document), devices, progress, fingerprint (what decides
a CPU run's last bits) and job_resources (what the workflow gives a job).
"""
