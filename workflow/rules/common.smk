# Shared set-up: folders and the interpreter, wildcard constraints, the env and
# image of the light rules, the experiment's tables (protocols, datasets,
# embedders, searches, witnesses, the default targets) and the memory one job
# may have, checked before any job. The logic lives in the library
# (workflow/scripts/embedding_limits; docs/architecture.md); what a rule needs
# per job comes from an object its rule file makes (OPTIMIZE_JOBS, ...).

import os
import sys

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.settings.types import DeploymentMethod

from embedding_limits.config.images import missing_images
from embedding_limits.data import beir
from embedding_limits.data.folder import FolderSpec
from embedding_limits.embedders import checks as embedder_checks
from embedding_limits.memory import budget
from embedding_limits.memory.limits import machine_limit
from embedding_limits.memory.sizes import MB
from embedding_limits.search.plan import plan
from embedding_limits.store import paths
from embedding_limits.store import tables, targets

SCRIPTS = os.path.join(workflow.basedir, "workflow", "scripts")
RESOURCES = os.path.join(workflow.basedir, "resources")
ENVS = os.path.join(workflow.basedir, "envs")


# Every wildcard's constraint, beside the path templates that use them.
wildcard_constraints:
    **paths.WILDCARDS,


# The interpreter of shell rules: a conda env's or an image's own python under
# --sdm conda/apptainer; otherwise the one running Snakemake (a venv's, even
# when that venv is not activated and its bin/ is not on PATH).
_DEPLOYMENT = workflow.deployment_settings.deployment_method
ENVIRONMENTS = bool(_DEPLOYMENT & {DeploymentMethod.CONDA, DeploymentMethod.APPTAINER})
PYTHON = "python" if ENVIRONMENTS else sys.executable
_MISSING = missing_images(config) if DeploymentMethod.APPTAINER in _DEPLOYMENT else None
if _MISSING:
    raise WorkflowError(_MISSING)

# The env and image of every light rule (datasets, tables, figures); the jobs
# that need JAX or a model pick theirs per job (optimize.smk, embedders.smk).
ANALYSIS_ENV = f"{ENVS}/analysis.yaml"
CPU_IMAGE = config["containers"]["cpu"]


# -- the experiment: protocols (built once, by the Snakefile) and datasets ----
PROTOCOLS = EXPERIMENT.every_protocol  # name -> Protocol, sweeps' included
SWEEPS = EXPERIMENT.sweeps  # name -> Sweep (config/sweeps.py)
PROTOCOL_SETTINGS = {name: p.to_dict() for name, p in PROTOCOLS.items()}
# protocols: alone, what its tables check (a new sweep changes none of them)
CONFIG_PROTOCOL_SETTINGS = {n: PROTOCOL_SETTINGS[n] for n in EXPERIMENT.protocols}
SEEDS = EXPERIMENT.seeds  # name -> the seeds of its jobs (seeds, or its sweep's)
CONFIG_SEEDS = {name: SEEDS[name] for name in EXPERIMENT.protocols}
DATASETS = EXPERIMENT.datasets  # name -> DatasetSpec (generated) or FolderSpec
FOLDER_DATASETS = [n for n, spec in DATASETS.items() if isinstance(spec, FolderSpec)]
# the datasets whose every judged query has the same k: the optimiser's (its
# critical-d search, the exact witness); the others are left out, one line each
DATASET_K = {name: spec.k for name, spec in DATASETS.items() if spec.k is not None}
for _name in DATASETS.keys() - DATASET_K.keys() if workflow.is_main_process else []:
    logger.warning(f"datasets.{_name}: no critical-d search or exact witness: "
                   f"{DATASETS[_name].why_no_k}")  # fmt: skip

# Real embedders. Outside conda envs and containers the jobs run in Snakemake's
# own Python: an embedder whose backend is missing there is an error, except a
# bundled one whose wheels do not exist for this machine (left out, one line).
EMBEDDERS, _left_out, _problems = embedder_checks.runnable(
    config, check_installed=not ENVIRONMENTS
)
if _problems:
    raise WorkflowError("invalid config:\n  " + "\n  ".join(_problems))
for _line in _left_out if workflow.is_main_process else []:
    logger.warning(_line)


# -- memory: what one job may have, checked before any job --------------------
def memory_cap():
    """The MB one job may have, and what sets it. The mem_mb resource when
    given (--resources mem_mb=N; the SLURM profile gives the largest
    partition's); else this machine's memory, which then becomes the run's
    mem_mb resource, so that local jobs run together only as far as it holds.
    (A job that Snakemake spawns on a cluster node reads its own allocation:
    the mem_mb it was planned with.)"""
    given = workflow.global_resources.get("mem_mb").value
    if given is not None:
        return int(given), "the mem_mb resource: --resources or the profile"
    limit, source = machine_limit()
    if limit is None:
        return None, source
    if workflow.is_main_process:
        workflow.register_resource("mem_mb", limit // MB)
    return limit // MB, source


CAP_MB, CAP_SOURCE = memory_cap()
if workflow.is_main_process and CAP_MB is not None:  # the run, not one of its jobs
    _too_big = budget.config_errors(config, EXPERIMENT.protocols, DATASETS, CAP_MB)
    _too_big += budget.sweep_errors(config, SWEEPS, PROTOCOLS, CAP_MB)
    if _too_big:
        raise WorkflowError(budget.refusal(_too_big, CAP_MB, CAP_SOURCE))


# -- what the run makes: searches, witnesses, the default targets -------------
SEARCHES = plan(config, PROTOCOLS, DATASETS, CAP_MB, SWEEPS)  # .n, .d, .d_of_n, .sweeps
BY_SUMMARY = SEARCHES.by_summary()  # summary path -> Search
WITNESSES = targets.witnesses(config["witnesses"])
EMBEDDER_SCORES = targets.embedder_scores(EMBEDDERS, config)
# The tables depend on these static summary paths only, never on checkpoint-
# dependent inputs: Snakemake skips a job waiting on a checkpoint when its
# output already exists (even if its params changed), so new work must show up
# as a missing summary. Each path names the search settings: new settings, new
# summary.
N_SUMMARIES = [s.summary_path() for s in SEARCHES.n]
D_SUMMARIES = [s.summary_path() for s in SEARCHES.d]
D_OF_N_SUMMARIES = [s.summary_path() for s in SEARCHES.d_of_n]
# every (sweep, combination, k, d) with the summary of its search
SWEEP_POINTS = SEARCHES.sweep_points(SWEEPS, config["ks"])
for _line in SEARCHES.sweep_lines(SWEEPS) if workflow.is_main_process else []:
    logger.info(_line)
DEFAULT_TARGETS = targets.default(
    list(BY_SUMMARY),
    bool(SEARCHES.d_of_n),
    bool(SEARCHES.d),
    DATASETS,
    EMBEDDER_SCORES,
    witnessed=bool(DATASET_K),
    sweeps=list(SWEEPS),
)

# A dataset's files are the ones its job made, or nothing runs; a table cut
# short is made again, never read.
_changed = [beir.changed(paths.build(paths.DATASET, dataset=name)) for name in DATASETS]
if workflow.is_main_process and any(_changed):
    raise WorkflowError("\n".join(filter(None, _changed)))
for _line in tables.remake_broken() if workflow.is_main_process else []:
    logger.warning(_line)

_reaches = {path: (s.axis, s.reach) for path, s in BY_SUMMARY.items()}
for _path, _was, _now in (
    budget.stopped_by_memory(_reaches, WITNESSES, CAP_MB)
    if workflow.is_main_process
    else []
):
    logger.warning(f"{_path}: memory stopped it at {_was}; here {_now} fits. "
                   "Delete it to go further.")  # fmt: skip
