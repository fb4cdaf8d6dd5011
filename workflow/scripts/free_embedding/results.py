"""The per-job result document: build, write atomically, read back checked."""

from __future__ import annotations

import json
import math
import os
import tempfile

from .outcome import SeedOutcome
from .settings import RunSettings

SCHEMA = "free-embedding-run/1"
SEED_FIELDS = ("seed", "solved", "steps_run", "stop_reason", "max_accuracy")


def _published_fields(o: SeedOutcome, job_seconds: float) -> dict:
    """The published script's metric names, where ours mean the same."""
    return {
        "final_accuracy": o.final_accuracy,
        "max_accuracy_observed": o.max_accuracy_observed,
        "final_loss": o.final_loss,
        "best_loss_monitored": o.best_loss,
        "actual_q_generated": o.num_queries,
        "optimization_duration_seconds": job_seconds,
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
    environment: dict,
) -> dict:
    job_seconds = compile_seconds + run_seconds
    per_seed = [
        {
            k: _finite_or_none(v)
            for k, v in {**o.metrics(), **_published_fields(o, job_seconds)}.items()
        }
        for o in outcomes
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
            }
            for o in outcomes
        ],
        "timing": {
            "compile_seconds": compile_seconds,
            "run_seconds": run_seconds,
            "total_seconds": job_seconds,
            "steps": steps,
            "steps_per_second": steps / run_seconds if run_seconds > 0 else None,
        },
        "environment": environment,
    }


def write_text_atomic(path: str, text: str) -> None:
    """Write to a temp file beside ``path``, then rename: never half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_json_atomic(path: str, document: dict) -> None:
    write_text_atomic(path, json.dumps(document, indent=1, allow_nan=False) + "\n")


def load_run(path: str) -> dict:
    """Read a result document; a corrupt or foreign file raises ValueError."""
    fix = "delete it and rerun the job (snakemake reruns missing outputs)"
    try:
        with open(path) as handle:
            document = json.load(handle)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err}); {fix}") from err
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a {SCHEMA} result; {fix}")
    seeds = document.get("metrics", {}).get("seeds")
    if not isinstance(seeds, list) or not seeds:
        raise ValueError(f"{path}: 'metrics.seeds' is missing or empty; {fix}")
    for entry in seeds:
        missing = [f for f in SEED_FIELDS if f not in entry]
        if missing:
            raise ValueError(f"{path}: a seed lacks {', '.join(missing)}; {fix}")
    return document
