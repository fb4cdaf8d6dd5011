"""Loading an embedding backend and turning texts into vectors.

Each loader returns an ``Encoder``: a function from a list of texts to a
float32 array (texts x full dimension). Nothing here downloads: a bundled
model is read from its wheel, any other from a folder or the Hugging Face
cache (``HF_HUB_OFFLINE`` is set before a hub library is imported).
What the workflow knows about a backend without loading it is its entry in
``embedders.BACKENDS``, under the same name as here.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .backends import BACKENDS, model_folder

Encoder = Callable[[list[str]], np.ndarray]


class EncoderError(RuntimeError):
    """A backend or model that cannot be loaded here, and how to fix it."""


def _wordllama(model: str, device: str) -> Encoder:
    """WordLlama's token-average embeddings from the weights and tokenizer
    inside its wheel. ``WordLlama.load`` looks for the tokenizer under a
    folder name the wheel does not use and then downloads it; building the
    model from the two files is what ``load`` does once it has them."""
    import wordllama
    from safetensors import safe_open
    from tokenizers import Tokenizer
    from wordllama.inference import WordLlamaInference

    root = Path(wordllama.__file__).parent
    dim = BACKENDS["wordllama"].bundled[model]
    tokenizer = Tokenizer.from_file(
        str(root / "tokenizers" / f"{model}_tokenizer_config.json")
    )
    with safe_open(
        str(root / "weights" / f"{model}_{dim}.safetensors"), framework="np"
    ) as f:
        weights = f.get_tensor("embedding.weight")
    inference = WordLlamaInference(weights, tokenizer, binary=False)
    return lambda texts: inference.embed(texts, norm=False, batch_size=256)


def _static_model(model: str, device: str) -> Encoder:
    from static_model import get_embeddings

    return lambda texts: np.asarray(get_embeddings(texts), dtype=np.float64)


def _model2vec(model: str, device: str) -> Encoder:
    from model2vec import StaticModel

    encoder = StaticModel.from_pretrained(model_folder(model) or model)
    return lambda texts: encoder.encode(texts, show_progress_bar=False)


def _sentence_transformers(model: str, device: str) -> Encoder:
    """A job that asked for a GPU gets one or stops: never a silent CPU run."""
    import torch
    from sentence_transformers import SentenceTransformer

    if device == "gpu" and not torch.cuda.is_available():
        raise EncoderError(
            f"device gpu, but torch {torch.__version__} sees no CUDA GPU here (a "
            "CPU build, or no GPU in this job); run it where one is, or set "
            "device: cpu"
        )
    torch_device = "cuda" if device == "gpu" else "cpu"
    encoder = SentenceTransformer(model_folder(model) or model, device=torch_device,
                                  local_files_only=True)  # fmt: skip
    return lambda texts: encoder.encode(texts, batch_size=64, convert_to_numpy=True,
                                        show_progress_bar=False)  # fmt: skip


LOADERS: dict[str, Callable[[str, str], Encoder]] = {
    "wordllama": _wordllama,
    "static-model": _static_model,
    "model2vec": _model2vec,
    "sentence-transformers": _sentence_transformers,
}


def load(name: str, backend: str, model: str | None, device: str = "cpu") -> Encoder:
    """The encoder of embedder ``name``; EncoderError says why it cannot be
    loaded, naming the embedder and how to make it available."""
    facts = BACKENDS[backend]
    model = model or facts.default_model
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        return LOADERS[backend](model, device)
    except EncoderError as error:
        raise EncoderError(f"embedders.{name}: {error}") from None
    except ImportError as error:
        raise EncoderError(f"embedders.{name}: backend {backend} cannot be imported "
                           f"({error}); {facts.install}") from error  # fmt: skip
    except OSError as error:
        raise EncoderError(
            f"embedders.{name}: model {model!r} cannot be loaded offline ({error}); "
            "give a local folder, or download it first where the network is reachable "
            f"(hf download {model}) so that it is in the Hugging Face cache"
        ) from error


def encode(
    encoder: Encoder, texts: list[str], label: str, batch: int = 1024, stream=None
) -> np.ndarray:
    """``texts`` embedded in batches, float32, with progress in texts per
    second: a bar on a terminal, else a line every few seconds (a log)."""
    from tqdm import tqdm

    stream = stream or sys.stderr
    started = last = time.perf_counter()
    bar = tqdm(total=len(texts), desc=label, unit="text", file=stream) if (
        getattr(stream, "isatty", lambda: False)()) else None  # fmt: skip
    parts, done = [], 0
    for start in range(0, len(texts), batch):
        parts.append(np.asarray(encoder(texts[start : start + batch]), np.float32))
        done += len(parts[-1])
        now = time.perf_counter()
        if bar is not None:
            bar.update(len(parts[-1]))
        elif now - last >= 2.0 or done == len(texts):
            last = now
            rate = done / max(now - started, 1e-9)
            print(f"{label}: {done}/{len(texts)} texts, {rate:,.0f} texts/s",
                  file=stream)  # fmt: skip
    if bar is not None:
        bar.close()
    if not parts:
        raise ValueError(f"{label}: no texts to embed")
    return np.concatenate(parts)
