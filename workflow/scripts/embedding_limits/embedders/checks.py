"""Checking the config's embedders, and which of them can run here.

``errors`` is what the schema cannot express (each message names the key
and the fix); ``runnable`` splits the embedders into those whose jobs run
and those left out, each with its one-line reason: a bundled backend whose
wheels do not exist for this machine is left out, anything else missing is
an error. No model library is imported.
"""

from __future__ import annotations

from .backends import (
    BACKENDS,
    ModelFilesError,
    model_dimension,
    model_folder,
    not_installed,
    wrong_machine,
)


def datasets_of(settings: dict, config: dict) -> list[str]:
    """The datasets an embedder embeds."""
    wanted = settings["datasets"]
    return list(config["datasets"]) if wanted == "all" else list(wanted)


def full_dimension(settings: dict) -> int | None:
    """An embedder's model's full dimension, from its files (None where they
    do not say, or the model is not here)."""
    backend = settings["backend"]
    model = settings["model"] or BACKENDS[backend].default_model
    return model_dimension(backend, model) if model else None


def dims_of(settings: dict) -> list[int]:
    """The Matryoshka dimensions an embedder is scored at: its dims, or its
    model's full one (``errors`` refuses a config where neither is known)."""
    return settings["dims"] or [full_dimension(settings)]


def errors(config: dict) -> list[str]:
    found = []
    for name, settings in config["embedders"].items():
        key, backend = f"embedders.{name}", settings["backend"]
        facts = BACKENDS[backend]
        model = settings["model"]
        if facts.needs_model and not model:
            found.append(f"{key}.model: backend {backend} carries no model; give a "
                         "Hugging Face model name or a model folder")  # fmt: skip
        if model and facts.bundled and model not in facts.bundled:
            found.append(f"{key}.model: backend {backend} carries only "
                         f"{', '.join(facts.bundled)}; leave model out")  # fmt: skip
        if settings["device"] not in facts.devices:
            where = ", ".join(facts.devices)
            found.append(f"{key}.device: backend {backend} runs on {where} only; "
                         "set device: cpu")  # fmt: skip
        if settings["datasets"] != "all":
            unknown = [d for d in settings["datasets"] if d not in config["datasets"]]
            if unknown:
                made = ", ".join(config["datasets"]) or "none"
                found.append(
                    f"{key}.datasets: {', '.join(unknown)} is not a dataset the "
                    f"config makes (datasets: {made}); add it under datasets, or "
                    "remove it here"
                )
        try:
            full = full_dimension(settings)
        except ModelFilesError as error:
            found.append(f"{key}.model: {error}")
            continue
        if not settings["dims"] and not full and (model_folder(model or "") or
                                                   facts.bundled):  # fmt: skip
            found.append(f"{key}.dims: the model's files do not say its dimension; "
                         "list the dims to score")  # fmt: skip
        if full and settings["dims"] and max(settings["dims"]) > full:
            too_big = [d for d in settings["dims"] if d > full]
            found.append(f"{key}.dims: {too_big} exceed the model's {full} "
                         f"dimensions; use dims up to {full}")  # fmt: skip
    return found


def runnable(config: dict, check_installed: bool) -> tuple[dict, list[str], list[str]]:
    """(the embedders whose jobs run, a line for each one left out, errors).

    With ``check_installed`` false (jobs run in conda envs or containers,
    which bring their own packages), whether a backend is installed here is
    not asked; whether its wheels exist for this machine always is."""
    keep, notes, problems = {}, [], []
    for name, settings in config["embedders"].items():
        backend = settings["backend"]
        facts = BACKENDS[backend]
        away = wrong_machine(backend)
        if away and facts.bundled:
            notes.append(f"embedders.{name}: left out, {away}")
            continue
        why = away or (not_installed(backend) if check_installed else None)
        if why:
            problems.append(f"embedders.{name}: {why}")
            continue
        model = settings["model"]
        if facts.needs_model and model and model_folder(model) is None:
            problems.append(
                f"embedders.{name}.model: {model!r} is neither a folder nor in the "
                "Hugging Face cache, and jobs never download; download it where the "
                f"network is reachable (hf download {model}), or give a folder"
            )
            continue
        keep[name] = settings
    return keep, notes, problems
