"""What the workflow knows about each embedding backend, without loading it.

A backend turns text into vectors (``encoders.py`` loads it); its entry here
says which import proves it installed, which machines its wheels exist for,
which models it carries in its wheel and their full dimension, where it can
run, the conda env and image its jobs run in, and how a user makes it
available. The Snakefile reads only this
module: checking a config and planning jobs imports no model library.

The schema's ``backend`` and ``precisions`` enums list the names of
``BACKENDS`` and ``PRECISIONS`` (tests tie them). Adding a backend: its
facts here, its loader in ``encoders.py``, its name in the enum, a test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import sys
from dataclasses import dataclass, field

# How the vectors are stored and scored (quantize.py): float32 as they come;
# int8 by scalar quantisation calibrated on the corpus; binary by sign,
# scored by Hamming distance.
PRECISIONS = ("float32", "int8", "binary")

# The extra that installs the optional backends (Makefile: make venv ST=1).
OPTIONAL_INSTALL = "make venv ST=1 (pip install -r requirements-st.lock)"


@dataclass(frozen=True, kw_only=True)
class BackendFacts:
    module: str  # its import: found means installed
    install: str  # how to install it, said when it is missing
    bundled: dict[str, int] = field(default_factory=dict)  # model in the wheel -> dim
    machines: tuple[str, ...] = ()  # the only machines with its wheels; () for any
    devices: tuple[str, ...] = ("cpu",)  # where it can run
    needs_model: bool = False  # a model name or folder must be given
    conda_env: str = "embedders"  # envs/<conda_env>.yaml, under --sdm conda
    image: str = "cpu"  # the config's containers.<image>, under --sdm apptainer

    @property
    def default_model(self) -> str | None:
        return next(iter(self.bundled), None)


BACKENDS = {
    # Static token-average embeddings with Matryoshka training (64..1024 dims
    # trained; the wheel carries l2_supercat at 256 dimensions).
    "wordllama": BackendFacts(
        module="wordllama",
        install="pip install wordllama==0.4.0.post1 (make venv installs it)",
        bundled={"l2_supercat": 256},
        machines=("x86_64",),
    ),
    # tokenlearn's static model: 64 dimensions, int8 weights inside the wheel.
    "static-model": BackendFacts(
        module="static_model",
        install="pip install tokenlearn-static-model==0.1.1 (make venv installs it)",
        bundled={"tokenlearn-10k-64d": 64},
        machines=("x86_64",),
    ),
    # Static models in the model2vec format (a folder or a Hugging Face name):
    # no torch needed (its conda env is the bundled backends'; its image the
    # optional backends').
    "model2vec": BackendFacts(
        module="model2vec",
        install=OPTIONAL_INSTALL,
        needs_model=True,
        image="sentence_transformers",
    ),
    # Any sentence-transformers model, by Hugging Face name or folder.
    "sentence-transformers": BackendFacts(
        module="sentence_transformers",
        install=OPTIONAL_INSTALL,
        devices=("cpu", "gpu"),
        needs_model=True,
        conda_env="sentence-transformers",
        image="sentence_transformers",
    ),
}


def machine() -> str:
    return platform.machine().lower().replace("amd64", "x86_64")


def wrong_machine(backend: str) -> str | None:
    """Why ``backend`` has no wheels for this machine (None when it has)."""
    machines, here = BACKENDS[backend].machines, machine()
    if machines and (here not in machines or sys.platform != "linux"):
        return (f"{backend} publishes wheels for {'/'.join(machines)} Linux only, "
                f"and this is {here} {sys.platform}")  # fmt: skip
    return None


def not_installed(backend: str) -> str | None:
    """Why ``backend`` cannot be imported here (None when it can)."""
    facts = BACKENDS[backend]
    if importlib.util.find_spec(facts.module) is None:
        return f"{backend} is not installed: {facts.install}"
    return None


def _hub_cache() -> str:
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
        "huggingface",
    )
    return os.environ.get("HF_HUB_CACHE") or os.path.join(home, "hub")


def model_folder(model: str) -> str | None:
    """The folder that holds ``model`` without a download: the path itself,
    or its snapshot in the Hugging Face cache; None when neither exists."""
    if os.path.isdir(model):
        return model
    snapshots = os.path.join(_hub_cache(), "models--" + model.replace("/", "--"),
                             "snapshots")  # fmt: skip
    if os.path.isdir(snapshots):
        found = sorted(os.scandir(snapshots), key=lambda e: e.stat().st_mtime)
        if found:
            return found[-1].path
    return None


# A static model's weight matrix, by the name its format saves it under:
# sentence-transformers' StaticEmbedding, model2vec.
STATIC_TENSORS = ("embedding.weight", "embeddings")


def _static_dimension(folder: str) -> int | None:
    """The width of a static model's weight matrix, from the header of its
    .safetensors file (8 bytes of length, then JSON): no tensor is read."""
    for root, _, files in sorted(os.walk(folder)):
        for name in sorted(f for f in files if f.endswith(".safetensors")):
            try:
                with open(os.path.join(root, name), "rb") as handle:
                    size = int.from_bytes(handle.read(8), "little")
                    header = json.loads(handle.read(min(size, 1 << 24)))
            except (OSError, ValueError):
                continue
            for tensor in STATIC_TENSORS if isinstance(header, dict) else ():
                shape = (header.get(tensor) or {}).get("shape")
                if isinstance(shape, list) and len(shape) == 2:
                    return shape[1]
    return None


def model_dimension(backend: str, model: str) -> int | None:
    """A model's full dimension, read from its files without loading it: a
    config.json that says it, else a static model's weight matrix (None where
    its files do not say)."""
    facts = BACKENDS[backend]
    if model in facts.bundled:
        return facts.bundled[model]
    folder = model_folder(model)
    if folder is None:
        return None
    walked = os.walk(folder)
    candidates = [os.path.join(root, "config.json")
                  for root, _, files in walked if "config.json" in files]  # fmt: skip
    for path in sorted(candidates, key=len, reverse=True):
        try:
            settings = json.load(open(path))
        except (OSError, ValueError):
            continue
        if not isinstance(settings, dict):
            raise ModelFilesError(f"{path} is a JSON {type(settings).__name__}, not "
                                  "the object of settings a model's config.json is; "
                                  "fix or replace the model's files")  # fmt: skip
        for key in ("out_features", "word_embedding_dimension", "embedding_dim",
                    "hidden_dim", "hidden_size", "dim"):  # fmt: skip
            value = settings.get(key)
            if key in settings and not (type(value) is int and value > 0):
                raise ModelFilesError(f"{path}: {key} is {value!r}, not a dimension "
                                      "(a positive integer); fix the model's files, "
                                      "or list the embedder's dims")  # fmt: skip
            if key in settings:
                return value
    return _static_dimension(folder)


class ModelFilesError(ValueError):
    """A model's files that do not have the shape of a model's files."""
