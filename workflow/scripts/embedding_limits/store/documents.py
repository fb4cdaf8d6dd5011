"""The per-job result document: build it, and read it back checked.

A result is trusted only when it is whole, of this format, and is the job its
path and the config say it is: the same qrels, d, n, k, seeds and protocol.
Anything else raises ResultError naming the file, the field and the fix.
"""

from __future__ import annotations

import json
import math

from ..config.run_settings import RunSettings
from ..data.qrels import combinations_source, dataset_source, subsets_source
from . import paths
from .outcome import SUCCESS_RULES, SeedOutcome, metrics_problem

SCHEMA = "free-embedding-run/2"
SEED_FIELDS = ("seed", "solved", "steps_run", "stop_reason", "solved_at_step",
               "max_accuracy", "max_accuracy_observed", "final_accuracy",
               "final_margin", "final_violations", "min_violations")  # fmt: skip
RERUN = (
    "delete it and run snakemake again: it recomputes the missing file and "
    "everything that depends on it"
)


class ResultError(ValueError):
    """A result file that cannot be used; the message says which and why."""


# How each seed's optimization_duration_seconds was measured, by seed batching.
SEED_SECONDS = {
    "sequential": "each seed's own run, timed alone; compilation excluded "
    "(timing.compile_seconds, once per job)",
    "vmap": "the batch's run time over its seeds, which ran together; "
    "compilation excluded (timing.compile_seconds, once per job)",
}


def _published_fields(o: SeedOutcome, seconds: float) -> dict:
    """The published script's metric names, where ours mean the same
    (``optimization_duration_seconds``: see SEED_SECONDS)."""
    return {
        "final_accuracy": o.final_accuracy,
        "max_accuracy_observed": o.max_accuracy_observed,
        "final_loss": o.final_loss,
        "best_loss_monitored": o.best_loss,
        "actual_q_generated": o.num_queries,
        "optimization_duration_seconds": seconds,
    }


def _finite_or_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def build_document(
    settings: RunSettings,
    outcomes: list[SeedOutcome],
    *,
    qrels_source: str,
    compile_seconds: float,
    run_seconds: float,
    seed_seconds: list[float],
    seed_batching: str,
    environment: dict,
) -> dict:
    job_seconds = compile_seconds + run_seconds
    per_seed = [
        {
            k: _finite_or_none(v)
            for k, v in {**o.metrics(), **_published_fields(o, seconds)}.items()
        }
        for o, seconds in zip(outcomes, seed_seconds, strict=True)
    ]
    steps = max(o.steps_run for o in outcomes)
    return {
        "schema": SCHEMA,
        "parameters": {**settings.to_dict(), "qrels": qrels_source},
        "metrics": {
            "seeds": per_seed,
            "any_solved": any(o.solved for o in outcomes),
            "seeds_solved": [o.seed for o in outcomes if o.solved],
        },
        "curves": [
            {
                "seed": o.seed,
                "steps": list(o.curve_steps),
                "losses": [_finite_or_none(x) for x in o.curve_losses],
                "accuracies": list(o.curve_accuracies),
                "margins": [_finite_or_none(x) for x in o.curve_margins],
            }
            for o in outcomes
        ],
        "timing": {
            "compile_seconds": compile_seconds,
            "run_seconds": run_seconds,
            "total_seconds": job_seconds,
            "seed_timing": SEED_SECONDS[seed_batching],
            "steps": steps,
            "steps_per_second": steps / run_seconds if run_seconds > 0 else None,
        },
        "environment": environment,
    }


def _flatten(mapping: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in mapping.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def check_parameters(document: dict, expected: dict, path: str) -> None:
    """Raise ResultError at the first parameter that differs from ``expected``."""
    got = _flatten(document.get("parameters", {}))
    for key, want in _flatten(expected).items():
        if got.get(key, "(missing)") != want:
            raise ResultError(
                f"{path}: parameters.{key} is {got.get(key, '(missing)')!r}, but its "
                f"path and the config say {want!r}, so it is not the result of this "
                f"job; {RERUN}"
            )


def contradiction(document: dict) -> str | None:
    """What in a result's metrics contradicts the rest, checked cheaply: each
    seed against its protocol's success rule and max_steps, any_solved and
    seeds_solved against the seeds, the seeds against the parameters."""
    try:
        parameters, metrics = document["parameters"], document["metrics"]
        success = parameters["protocol"]["success"]
        max_steps = parameters["protocol"]["max_steps"]
        if success not in SUCCESS_RULES:
            return f"parameters.protocol.success is {success!r}"
        for seed in metrics["seeds"]:
            problem = metrics_problem(seed, success, max_steps)
            if problem:
                return f"seed {seed['seed']}: {problem}"
        listed = [seed["seed"] for seed in metrics["seeds"]]
        solved = [seed["seed"] for seed in metrics["seeds"] if seed["solved"]]
        if listed != parameters["seeds"]:
            return (
                f"metrics.seeds hold {listed}, parameters.seeds {parameters['seeds']}"
            )
        if metrics["any_solved"] is not bool(solved):
            return f"any_solved is {metrics['any_solved']}, but seeds {solved} solved"
        if metrics["seeds_solved"] != solved:
            return f"seeds_solved is {metrics['seeds_solved']}, but {solved} solved"
    except (KeyError, TypeError) as err:
        return f"a field is missing or of the wrong type ({type(err).__name__}: {err})"
    return None


def load_run(path: str, expected: dict | None = None) -> dict:
    """Read a result document; a corrupt, foreign or mismatched file raises
    ResultError. ``expected`` holds the parameters the file must have."""
    try:
        with open(path) as handle:
            document = json.load(handle)
    except json.JSONDecodeError as err:
        raise ResultError(f"{path}: not valid JSON ({err}); {RERUN}") from err
    except OSError as err:
        raise ResultError(f"{path}: cannot be read ({err.strerror}); {RERUN}") from err
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ResultError(f"{path}: not a {SCHEMA} result; {RERUN}")
    seeds = document.get("metrics", {}).get("seeds")
    if not isinstance(seeds, list) or not seeds:
        raise ResultError(f"{path}: 'metrics.seeds' is missing or empty; {RERUN}")
    for entry in seeds:
        missing = [f for f in SEED_FIELDS if f not in entry]
        if missing:
            raise ResultError(f"{path}: a seed lacks {', '.join(missing)}; {RERUN}")
    problem = contradiction(document)
    if problem:
        raise ResultError(
            f"{path}: its metrics contradict each other: {problem}. It was edited or "
            f"damaged, so its outcome cannot be trusted; {RERUN}"
        )
    if expected is not None:
        check_parameters(document, expected, path)
    return document


def expected_parameters(path: str, protocols: dict, seeds, dataset_k: dict) -> dict:
    """What the result at ``path`` must hold: the job its path names, under
    the config's ``protocols`` (name -> Protocol or its dict) and ``seeds``
    (name -> the seeds that protocol's jobs run)."""
    match = paths.parse(paths.RUN, path)
    if not match:
        raise ResultError(f"{path}: not a result path of this workflow")
    name, source = match["protocol"], match["source"]
    d, n = int(match["d"]), int(match["n"])
    if name not in protocols:
        raise ResultError(f"{path}: protocol {name!r} is not in the config")
    protocol = protocols[name]
    protocol = protocol if isinstance(protocol, dict) else protocol.to_dict()
    kind, value = paths.split_source(source)
    if kind == "k" and protocol["query_sizes"] == "1..k":  # MED's own queries
        k, qrels = int(value), subsets_source(n, int(value))
    elif kind == "k":
        k, qrels = int(value), combinations_source(n, int(value))
    elif value in dataset_k:
        k, qrels = dataset_k[value], dataset_source(value)
    else:
        raise ResultError(f"{path}: dataset {value!r} is not in the config")
    return {"d": d, "n": n, "k": k, "seeds": list(seeds[name]), "protocol": protocol,
            "qrels": qrels}  # fmt: skip


def load_summary(path: str) -> dict:
    """Read a search summary, checked against its path: its protocol, its
    subject, and runs that all belong to that protocol and subject."""
    fix = "delete it and run snakemake again: it is remade from the results"
    try:
        with open(path) as handle:
            summary = json.load(handle)
        match = paths.parse(paths.SUMMARY, path)
        protocol, subject, runs = (
            summary["protocol"],
            summary["subject"],
            summary["runs"],
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ResultError(f"{path}: not a whole search summary ({err}); {fix}") from err
    if match is None or (protocol, subject) != (match["protocol"], match["subject"]):
        raise ResultError(f"{path}: records protocol {protocol!r} and {subject!r}, "
                          f"not what its path says; {fix}")  # fmt: skip
    for run in runs:
        found = paths.parse(paths.RUN, run)
        if (
            not found
            or found["protocol"] != protocol
            or not paths.of_subject(subject, found)
        ):
            raise ResultError(
                f"{path}: lists {run}, which is not of this search; {fix}"
            )
    return summary


WITNESS_FIELDS = ("construction", "k", "d", "precision", "accumulation", "max_n_cap",
                  "placements", "best")  # fmt: skip


def load_search(
    path: str, protocols: dict, seeds, dataset_k: dict
) -> tuple[dict, list[dict]]:
    """A search summary and the result of every run it lists, each checked
    against what its path and the config say it is (``expected_parameters``)."""
    summary = load_summary(path)
    runs = [
        load_run(run, expected_parameters(run, protocols, seeds, dataset_k))
        for run in summary["runs"]
    ]
    return summary, runs


def load_witness(path: str) -> dict:
    """Read a witness result (witness.py), checked whole and against its path."""
    fix = "delete it and run snakemake witnesses again: it is remade"
    try:
        with open(path) as handle:
            result = json.load(handle)
        missing = [field for field in WITNESS_FIELDS if field not in result]
        best = None if missing else result["placements"][result["best"]]
    except (OSError, ValueError, TypeError, KeyError, IndexError) as err:
        raise ResultError(f"{path}: not a whole witness result ({err}); {fix}") from err
    if missing or not isinstance(best, dict):
        lacks = ", ".join(missing) or "its best placement"
        raise ResultError(f"{path}: lacks {lacks}; {fix}")
    held = (result["construction"], result["k"], result["precision"])
    match = paths.parse(paths.WITNESS, path)
    if match and held != (match["construction"], int(match["k"]), match["precision"]):
        raise ResultError(
            f"{path}: holds {held[0]}, k={held[1]}, {held[2]}, not what its path "
            f"says; {fix}"
        )
    return result


DATASET_WITNESS_FIELDS = ("dataset", "construction", "k", "d", "documents",
                          "queries", "named_documents", "rows")  # fmt: skip


def load_dataset_witness(path: str) -> dict:
    """Read a dataset's witness (dataset_witness.py), checked whole and
    against its path."""
    fix = "delete it and rerun: it is remade"
    try:
        with open(path) as handle:
            result = json.load(handle)
        missing = [field for field in DATASET_WITNESS_FIELDS if field not in result]
        rows = [] if missing else list(result["rows"])
        for row in rows:
            row["unnamed"], row["precision"], row["holds"], row["min_gap"]
    except (OSError, ValueError, TypeError, KeyError) as err:
        raise ResultError(
            f"{path}: not a whole dataset witness ({err}); {fix}"
        ) from err
    if missing:
        raise ResultError(f"{path}: lacks {', '.join(missing)}; {fix}")
    match = paths.parse(paths.DATASET_WITNESS, path)
    if match and result["dataset"] != match["dataset"]:
        raise ResultError(f"{path}: holds dataset {result['dataset']!r}, not what "
                          f"its path says; {fix}")  # fmt: skip
    return result
