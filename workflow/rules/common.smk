# Shared definitions: interpreter, protocols, searches, wildcard constraints,
# input functions. The logic lives in the library (embedding_limits); this file
# only connects it to Snakemake's checkpoints.

import base64
import binascii
import dataclasses
import functools
import math
import os
import shlex
import sys

from snakemake.exceptions import IncompleteCheckpointException, WorkflowError
from snakemake.logging import logger
from snakemake.settings.types import DeploymentMethod

from embedding_limits.memory import budget
from embedding_limits.store import paths
from embedding_limits.embedders import checks as embedder_checks
from embedding_limits.embedders.backends import BACKENDS
from embedding_limits.data.limit_text import DatasetSpec
from embedding_limits.memory.limits import machine_limit
from embedding_limits.memory.sizes import (
    MB,
    dataset_job_mb,
    optimize_job_mb,
    qrels_job_mb,
    witness_job_mb,
)
from embedding_limits.data.qrels import protocol_queries
from embedding_limits.store.documents import (
    ResultError,
    expected_parameters,
    load_run,
    load_summary,
    load_witness,
)
from embedding_limits.search.searches import (
    Search,
    SearchDone,
    d_of_n_ns,
    replay_search,
    searched,
    warm_chain,
)

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
_ENVIRONMENTS = {DeploymentMethod.CONDA, DeploymentMethod.APPTAINER}
PYTHON = "python" if _DEPLOYMENT & _ENVIRONMENTS else sys.executable


def images_needed():
    """The images --sdm apptainer needs: the JAX ones, and those of the
    configured embedders' backends (the optional backends' image only when
    one of them is configured)."""
    backends = {e["backend"] for e in config["embedders"].values()}
    return {"cpu", "cuda12"} | {BACKENDS[b].image for b in backends}


if DeploymentMethod.APPTAINER in _DEPLOYMENT:
    _missing = [
        kind for kind in sorted(images_needed()) if not config["containers"][kind]
    ]
    if _missing:
        _keys = " and ".join(f"containers.{kind}" for kind in _missing)
        _names = " ".join(kind.replace("_", "-") for kind in _missing)
        raise WorkflowError(
            f"--sdm apptainer needs images, but config {_keys} is not set. Build "
            f"them with `make images IMAGES='{_names}'`, then push them to a "
            f"registry or turn them into .sif files, and set {_keys} to their "
            "docker:// URIs or paths (containers/README.md says how)."
        )

# -- the experiment: protocols, datasets, searches ---------------------------
PROTOCOLS = configuration.protocols(config)  # name -> Protocol
PROTOCOL_SETTINGS = {name: p.to_dict() for name, p in PROTOCOLS.items()}
DATASETS = list(config["datasets"])


def dataset_spec(name):
    """A dataset's settings, the generator's defaults filled in."""
    return dataclasses.asdict(DatasetSpec(name=name, **config["datasets"][name]))


DATASET_K = {name: dataset_spec(name)["k"] for name in DATASETS}


# -- real embedders on the datasets ------------------------------------------
# Outside conda envs and containers, the jobs run in Snakemake's own Python:
# an embedder whose backend is missing there is an error, except a bundled one
# whose wheels do not exist for this machine, which is left out (one line).
EMBEDDERS, _left_out, _problems = embedder_checks.runnable(
    config, check_installed=not _DEPLOYMENT & _ENVIRONMENTS
)
if _problems:
    raise WorkflowError("invalid config:\n  " + "\n  ".join(_problems))
for _line in _left_out if workflow.is_main_process else []:
    logger.warning(_line)


EMBEDDER_SCORES = [
    paths.build(paths.EMBEDDER_SCORE, dataset=dataset, embedder=name, dim=dim,
                embedding_precision=precision)
    for name, settings in EMBEDDERS.items()
    for dataset in embedder_checks.datasets_of(settings, config)
    for dim in embedder_checks.dims_of(settings)
    for precision in settings["precisions"]
]  # fmt: skip


def embed_options(wildcards):
    """An embedding job's model and prompts as embed.py options."""
    settings = EMBEDDERS[wildcards.embedder]
    options = [f"--backend {settings['backend']}", f"--device {settings['device']}"]
    if settings["model"]:
        options.append(f"--model {shlex.quote(settings['model'])}")
    for key in ("query_prompt", "document_prompt"):
        if settings[key]:
            options.append(f"--{key.replace('_', '-')} {shlex.quote(settings[key])}")
    return " ".join(options)


def embed_gpus(wildcards):
    return 1 if EMBEDDERS[wildcards.embedder]["device"] == "gpu" else 0


def embed_group(wildcards):
    """Like an optimisation job: a GPU job never shares a cluster job."""
    return None if embed_gpus(wildcards) else "embed"


def embed_conda_env(wildcards):
    backend = EMBEDDERS[wildcards.embedder]["backend"]
    return f"{ENVS}/{BACKENDS[backend].conda_env}.yaml"


def embed_image(wildcards):
    backend = EMBEDDERS[wildcards.embedder]["backend"]
    return config["containers"][BACKENDS[backend].image]


def embed_mem_mb(wildcards):
    """A dataset's texts and vectors, with room for a model (a profile's
    set-resources gives a large model more)."""
    spec = dataset_spec(wildcards.dataset)
    return 2000 + (spec["documents"] + spec["queries"]) // 20


def score_mem_mb(wildcards):
    """One block of query scores against every document, and its sort."""
    return 1000 + dataset_spec(wildcards.dataset)["documents"] // 25


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
    _too_big = budget.config_errors(config, PROTOCOLS, CAP_MB)
    if _too_big:
        raise WorkflowError(budget.refusal(_too_big, CAP_MB, CAP_SOURCE))


def n_search(protocol, k, d):
    """The critical-n search of (protocol, k, d): the config's strategy,
    capped at max_n and at the largest n whose jobs fit in memory."""
    max_n = config["search"]["max_n"]
    fit = CAP_MB and budget.largest_n(CAP_MB, k, d, PROTOCOLS[protocol], max_n)
    return Search(
        protocol=protocol, axis="n", k=k, d=d,
        strategy=configuration.n_strategy(config, k, d), limit=max_n, fit_limit=fit,
        seeds=len(config["seeds"]),
    )  # fmt: skip


def d_search(protocol, dataset):
    """The critical-d search of (protocol, dataset), capped likewise."""
    c, spec = config["critical_d"], dataset_spec(dataset)
    fit = CAP_MB and budget.largest_d(
        CAP_MB, spec["queries"], spec["documents"], spec["k"], PROTOCOLS[protocol].loss,
        c["max_d"],
    )  # fmt: skip
    return Search(
        protocol=protocol, axis="d", k=spec["k"], dataset=dataset,
        documents=spec["documents"], strategy=configuration.d_strategy(config),
        limit=c["max_d"], fit_limit=fit, seeds=len(config["seeds"]),
    )  # fmt: skip


def d_of_n_searches(protocol, ns):
    """The smallest-d searches of a protocol, one per n in increasing order,
    each capped at max_d and at the largest d whose jobs fit in memory; with
    warm_start, each starts where the one before it ended."""
    c = config["critical_d_of_n"]
    searches = [
        Search(
            protocol=protocol, axis="d", k=c["k"], documents=n,
            strategy=configuration.d_of_n_strategy(config), limit=c["max_d"],
            fit_limit=CAP_MB and budget.largest_d_of_n(
                CAP_MB, c["k"], n, PROTOCOLS[protocol], c["max_d"]
            ),
            seeds=len(config["seeds"]),
        )
        for n in sorted(ns)
    ]  # fmt: skip
    return warm_chain(searches) if c["warm_start"] else searches


N_SEARCHES = [
    n_search(p, k, d)
    for p in searched(config)
    for k in config["ks"]
    for d in config["dims"]
]
D_SEARCHES = [
    d_search(p, name)
    for p in PROTOCOLS
    for name in DATASETS
    if config["critical_d"]["enabled"]
]
D_OF_N = config["critical_d_of_n"]
D_OF_N_SEARCHES = [
    search
    for p, ns in d_of_n_ns(config).items()
    for search in d_of_n_searches(p, ns)
    if D_OF_N["enabled"]
]
SEARCHES = {
    search.summary_path(): search
    for search in N_SEARCHES + D_SEARCHES + D_OF_N_SEARCHES
}
# The tables depend on these static paths only, never on checkpoint-dependent
# inputs: Snakemake skips a job waiting on a checkpoint when its output already
# exists (even if its params changed), so new work must show up as a missing
# summary. Each path names the search settings, so new settings, new summary.
N_SUMMARIES = [search.summary_path() for search in N_SEARCHES]
D_SUMMARIES = [search.summary_path() for search in D_SEARCHES]
D_OF_N_SUMMARIES = [search.summary_path() for search in D_OF_N_SEARCHES]
# the smallest-d table, for the figures that draw it beside the critical n;
# none when the section is off (the figures then leave it out)
D_OF_N_TABLE = ["results/tables/critical_d_of_n.csv"] if D_OF_N_SEARCHES else []
D_TABLE = ["results/tables/critical_d.csv"] if D_SEARCHES else []
D_OF_N_RESULTS = (
    ["results/tables/critical_d_of_n.csv", "results/figures/critical_d_of_n.png"]
    if D_OF_N_SEARCHES
    else []
)


def search_of(wildcards):
    w = wildcards
    path = paths.build(paths.SUMMARY, protocol=w.protocol, subject=w.subject,
                       settings=w.settings)  # fmt: skip
    if path not in SEARCHES:
        raise WorkflowError(f"{path} is not a search of this config")
    return SEARCHES[path]


# -- replaying a search over finished jobs -----------------------------------
def expected(path):
    return expected_parameters(path, PROTOCOL_SETTINGS, config["seeds"], DATASET_K)


@functools.lru_cache(maxsize=None)
def _solved(path, mtime_ns):
    try:
        seeds = load_run(path, expected(path))["metrics"]["seeds"]
    except ResultError as error:
        raise WorkflowError(str(error)) from None
    return tuple((seed["seed"], seed["solved"]) for seed in seeds)


def solved(path):
    """Which seeds solved a finished job ({seed: solved}), after checking that
    the file is that job's. Snakemake re-runs the input functions after every
    checkpoint, so each file is read once per version (mtime), not per replay."""
    return dict(_solved(path, os.stat(path).st_mtime_ns))


def outcome(search, x):
    """Each seed's outcome at search's value x. ``checkpoints.optimize.get``
    raises until that job has run (and Snakemake then runs it)."""
    return solved(checkpoints.optimize.get(**search.probe(x)).output.run)


def done(search):
    """Replay ``search`` (after the searches it is warm-started from) over
    finished jobs: it raises at the first value whose job has not run, so
    Snakemake runs that job and asks again: the search advances a job at a
    time (search_meanwhile runs the rest in parallel)."""
    return replay_search(search, outcome)


def search_runs(wildcards):
    search = search_of(wildcards)
    return [search.run_path(x) for x in search.values(done(search))]


def known_outcome(search, x):
    """Each seed's outcome at search's value x, or None while its job has not run."""
    try:
        return outcome(search, x)
    except IncompleteCheckpointException:
        return None


def search_meanwhile(wildcards):
    """The runs to make while a search waits for the one its replay asks for
    (search_runs): once its any-seed search is done, its sweep and each seed's
    next value, so that they run in parallel. None once it is done."""
    search = search_of(wildcards)
    step = replay_search(search, known_outcome)
    if isinstance(step, SearchDone):
        return []
    return [search.run_path(x) for x in step.alongside]


def search_parameters(search):
    """What a search's runs depend on beyond its path: its summary records it."""
    return {"protocol": PROTOCOL_SETTINGS[search.protocol], "seeds": config["seeds"]}


def search_found(wildcards):
    """The summary: what the search ran and found, under which parameters."""
    search = search_of(wildcards)
    return {**search.summary(done(search)), "parameters": search_parameters(search)}


def known_runs():
    """The runs listed by summaries already made under this config.

    They are targets of `all`: Snakemake does not remake a missing file whose
    consumers are up to date, so without this a deleted result stays deleted.
    A summary made under other parameters is left out: it is remade anyway.
    """
    runs = []
    for path, search in SEARCHES.items():
        if not os.path.exists(path):
            continue
        try:
            summary = load_summary(path)
        except ResultError as error:
            raise WorkflowError(str(error)) from None
        if summary.get("parameters") == search_parameters(search):
            runs += summary["runs"]
    return runs


def marked_incomplete():
    """The outputs that Snakemake marked as being written by a job that never
    reported back (.snakemake/incomplete/: each marker is named by the path,
    urlsafe-base64-encoded, split into '@'-prefixed folders where too long)."""
    paths = []
    for folder, _, names in os.walk(os.path.join(".snakemake", "incomplete")):
        parts = os.path.relpath(folder, os.path.join(".snakemake", "incomplete"))
        parts = [p.lstrip("@") for p in parts.split(os.sep) if p != "."]
        for name in names:
            try:
                paths.append(base64.urlsafe_b64decode("".join([*parts, name])).decode())
            except (binascii.Error, UnicodeDecodeError):
                continue  # not a marker (migration_underway)
    return paths


def incomplete_runs():
    """Finished-looking runs of this config's searches whose job never reported
    back, e.g. one that outlived a Snakemake killed with -9 and then wrote its
    result. They are targets of `all`, so that `rerun-incomplete` redoes them
    on the first rerun: Snakemake checks for incomplete files only among the
    jobs it knows when it starts, not among a checkpoint's later ones, so a
    search would otherwise read such a result and move on."""
    runs = []
    for path in marked_incomplete():
        found = paths.parse(paths.RUN, path)
        if found is None or not os.path.exists(path):
            continue
        for search in SEARCHES.values():
            x = int(found["n"] if search.axis == "n" else found["d"])
            if search.run_path(x) == path:
                runs.append(path)
                break
    return runs


# -- one optimisation job ----------------------------------------------------
def uses_gpu(d):
    """Whether the optimisation job of dimension d requests a GPU."""
    if config["device"] == "gpu":
        return True
    min_dim = config["gpu_min_dim"]
    return config["device"] == "auto" and min_dim is not None and d >= min_dim


def job_device(wildcards):
    """--device of a job: gpu for every job that requested a GPU, so that a
    GPU that JAX cannot start is an error, never a silent CPU run; otherwise
    the config's (cpu, or auto: a GPU if JAX sees one)."""
    return "gpu" if uses_gpu(int(wildcards.d)) else config["device"]


def job_gpus(wildcards):
    return 1 if uses_gpu(int(wildcards.d)) else 0


def job_group(wildcards):
    """Small CPU jobs may share a cluster job (profile: group-components);
    a GPU job never does, so that it has its GPU to itself."""
    return None if uses_gpu(int(wildcards.d)) else "probe"


def job_k(wildcards):
    """Top-k of an optimisation job: k~K, or its dataset's k."""
    kind, value = paths.split_source(wildcards.source)
    return int(value) if kind == "k" else DATASET_K[value]


def job_mem_mb(wildcards):
    """Host memory of an optimisation job (memory.optimize_job_mb)."""
    kind, value = paths.split_source(wildcards.source)
    n, k = int(wildcards.n), job_k(wildcards)
    protocol = PROTOCOLS[wildcards.protocol]
    queries = (
        protocol_queries(n, k, protocol.query_sizes)
        if kind == "k"
        else dataset_spec(value)["queries"]
    )
    return optimize_job_mb(queries, n, int(wildcards.d), k, protocol.loss)


def qrels_mem_mb(wildcards):
    return qrels_job_mb(int(wildcards.n), int(wildcards.k))


def job_protocol(wildcards):
    """The protocol's settings as --protocol words, in a fixed order."""
    return " ".join(PROTOCOLS[wildcards.protocol].options())


def qrels_of(wildcards):
    """The qrels file an optimisation job's {source} names."""
    kind, value = paths.split_source(wildcards.source)
    if kind == "k":
        return paths.build(paths.QRELS, k=value, n=wildcards.n)
    return paths.build(paths.DATASET_QRELS, dataset=value)


def job_image(wildcards):
    kind = "cuda12" if uses_gpu(int(wildcards.d)) else "cpu"
    return config["containers"][kind]


def job_conda_env(wildcards):
    name = "jax-cuda12" if uses_gpu(int(wildcards.d)) else "jax-cpu"
    return f"{ENVS}/{name}.yaml"


# JAX on a shared GPU node: allocate on demand; every job keeps its compiled
# programs in one cache, so repeated shapes load instead of compiling.
JAX_ENV = (
    "XLA_PYTHON_CLIENT_PREALLOCATE=false "
    "JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-$PWD/.jax-cache}"
)


# -- datasets ----------------------------------------------------------------
def as_options(settings):
    """Settings as command-line options: {"max_steps": 5} -> "--max-steps 5"."""
    return " ".join(
        f"--{key.replace('_', '-')} {value}" for key, value in settings.items()
    )


def dataset_options(wildcards):
    spec = dataset_spec(wildcards.dataset)
    del spec["name"]
    return as_options(spec)


def dataset_mem_mb(wildcards):
    s = dataset_spec(wildcards.dataset)
    return dataset_job_mb(s["documents"], s["queries"], s["k"], s["attributes_per_doc"])


def witness_mem_mb(wildcards):
    """A witness job's memory at the largest n it may check: max_n, or less
    where memory stops it (witness.py --memory-mb finds the same n)."""
    k, max_n = int(wildcards.k), config["witnesses"]["max_n"]
    largest = CAP_MB and budget.witness_limit(CAP_MB, k, max_n)
    return witness_job_mb(k, largest or max_n)


W = config["witnesses"]
WITNESSES = [
    paths.build(paths.WITNESS, construction=construction, k=k, precision=precision)
    for construction in W["constructions"]
    for k in W["ks"]
    for precision in W["precisions"]
]


def stopped_by_memory():
    """(file, where memory stopped it, how far this run may go) for each
    search summary or witness result that memory stopped short of what fits
    here. Their paths do not name the limit, so they are not redone."""
    found = []
    for path in [*SEARCHES, *WITNESSES]:
        try:
            record = (load_summary if path in SEARCHES else load_witness)(path)
        except ResultError:
            continue  # missing; or stops the run elsewhere, with the reason
        if path in SEARCHES:
            search = SEARCHES[path]
            was, now = record.get("memory_limit"), search.fit_limit or search.limit
            capped, axis = record.get("capped_by_memory"), search.axis
        else:
            k, max_n = record["k"], record["max_n_cap"]
            was, axis = record.get("memory_limit_n"), "n"
            now = CAP_MB and budget.witness_limit(CAP_MB, k, max_n) or max_n
            capped = any(row.get("capped_by_memory") for row in record["placements"])
        if capped and was < now:
            found.append((path, f"{axis} = {was}", f"{axis} = {now}"))
    return found


for _path, _was, _now in stopped_by_memory() if workflow.is_main_process else []:
    logger.warning(f"{_path}: memory stopped it at {_was}; here {_now} fits. "
                   "Delete it to go further.")  # fmt: skip


DATASET_MANIFESTS = [f"results/datasets/{name}/manifest.json" for name in DATASETS]
# the scores too: a deleted one (after a corrupt embedding file, say) is redone
EMBEDDER_RESULTS = (
    ["results/tables/embedders.csv", "results/figures/embedders.png", *EMBEDDER_SCORES]
    if EMBEDDER_SCORES
    else []
)
DATASET_RESULTS = (
    ["results/tables/retrieval.csv", *EMBEDDER_RESULTS]
    + (
        ["results/tables/critical_d.csv", "results/figures/accuracy_vs_d.png"]
        if D_SEARCHES
        else []
    )
    if DATASETS
    else []
)
