"""MTEB's own evaluation of a sentence-transformers model folder on a dataset
folder, as LIMITSmallRetrieval evaluates (its cut-offs, its main score); run
by test_sentence_transformers.py in a process of its own, so that the
datasets library caches under the HF_HOME it is given, never a stale copy.

    python tests/embedders/mteb_evaluate.py DATASET_FOLDER MODEL_FOLDER OUT.json
"""

import json
import sys
from pathlib import Path

import mteb
from mteb.abstasks.retrieval import AbsTaskRetrieval
from mteb.abstasks.task_metadata import TaskMetadata
from sentence_transformers import SentenceTransformer

# MTEB's loader reads a local folder as it reads a Hub dataset: through the
# configs of a dataset card (README.md).
CARD = (
    "---\nconfigs:\n"
    + "".join(
        f"- config_name: {config}\n  data_files:\n  - split: test\n    path: {path}\n"
        for config, path in (
            ("corpus", "corpus.jsonl"),
            ("queries", "queries.jsonl"),
            ("default", "qrels.jsonl"),
        )
    )
    + "---\n"
)


def main(folder: str, model_folder: str, out: str) -> None:
    (Path(folder) / "README.md").write_text(CARD)
    limit_small = mteb.get_task("LIMITSmallRetrieval")
    metadata = limit_small.metadata.model_dump()
    metadata |= {
        "name": "FolderRetrieval",
        "dataset": {"path": folder, "revision": "local"},
    }

    class FolderRetrieval(AbsTaskRetrieval):
        k_values = limit_small.k_values

    FolderRetrieval.metadata = TaskMetadata(**metadata)
    result = mteb.evaluate(
        SentenceTransformer(model_folder, device="cpu"),
        FolderRetrieval(),
        cache=mteb.ResultCache(cache_path=str(Path(out).parent / "mteb-cache")),
        overwrite_strategy="always",
        show_progress_bar=False,
        encode_kwargs={"show_progress_bar": False},
    )
    Path(out).write_text(json.dumps(result.task_results[0].scores["test"][0]))


if __name__ == "__main__":
    main(*sys.argv[1:4])
