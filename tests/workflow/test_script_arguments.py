"""The scripts a user may run by hand refuse bad arguments before any work:
exit 2, the usage, and one line naming the argument and the reason; never a
traceback, never a half-written output."""

import os
import subprocess
import sys

import pytest

from conftest import SCRIPTS
from helpers import VOCAB

DATASET = {"corpus.jsonl": '{"_id": "a", "title": "", "text": "A likes B."}\n',
           "queries.jsonl": '{"_id": "q", "text": "Who likes B?"}\n'}  # fmt: skip

CASES = {
    "embed: no dataset folder": (
        "embed.py", ["--dataset-dir", "{tmp}/nowhere", "--embedder", "x",
                     "--backend", "wordllama", "--out", "{tmp}/v.npz"],
        "argument --dataset-dir: {tmp}/nowhere: no such folder"),
    "embed: a model the backend does not carry": (
        "embed.py", ["--dataset-dir", "{tmp}", "--embedder", "x", "--backend",
                     "wordllama", "--model", "nosuch", "--out", "{tmp}/v.npz"],
        "argument --model: backend wordllama carries only l2_supercat"),
    "embed: an output that cannot be written": (
        "embed.py", ["--dataset-dir", "{tmp}", "--embedder", "x", "--backend",
                     "wordllama", "--out", "{tmp}/corpus.jsonl/v.npz"],
        "argument --out: {tmp}/corpus.jsonl/v.npz"),
    "embed: an embedder named like an option": (
        "embed.py", ["--dataset-dir", "{tmp}", "--embedder=-h", "--backend",
                     "wordllama", "--out", "{tmp}/v.npz"],
        "argument --embedder: '-h' is not a name"),
    "score: no embeddings": (
        "score_embeddings.py", ["--embeddings", "{tmp}/none.npz", "--qrels",
                                "{tmp}/corpus.jsonl", "--dim", "4", "--precision",
                                "int8", "--out", "{tmp}/s.json"],
        "argument --embeddings: {tmp}/none.npz: no such file"),
    "score: a corpus given as qrels": (
        "score_embeddings.py", ["--embeddings", "{tmp}/corpus.jsonl", "--qrels",
                                "{tmp}/corpus.jsonl", "--dim", "4", "--precision",
                                "int8", "--out", "{tmp}/s.json"],
        "argument --qrels: {tmp}/corpus.jsonl: not qrels.jsonl rows"),
    "score: a dimension of 0": (
        "score_embeddings.py", ["--embeddings", "{tmp}/corpus.jsonl", "--qrels",
                                "{tmp}/corpus.jsonl", "--dim", "0", "--precision",
                                "int8", "--out", "{tmp}/s.json"],
        "argument --dim: must be at least 1, got 0"),
    "make_dataset: negative queries": (
        "make_dataset.py", ["--name", "x", "--queries", "-5", "--vocab", VOCAB,
                            "--out-dir", "{tmp}/d"],
        "argument --queries: must be at least 1, got -5"),
    "make_dataset: no attributes": (
        "make_dataset.py", ["--name", "x", "--attributes-per-doc", "0", "--vocab",
                            VOCAB, "--out-dir", "{tmp}/d"],
        "argument --attributes-per-doc: must be at least 1, got 0"),
    "make_dataset: no vocabulary": (
        "make_dataset.py", ["--name", "x", "--vocab", "{tmp}/none",
                            "--out-dir", "{tmp}/d"],
        "argument --vocab: {tmp}/none: no such folder"),
    "witness: negative memory": (
        "witness.py", ["--construction", "moment", "--k", "2", "--precision",
                       "float32", "--memory-mb", "-1", "--out", "{tmp}/w.json"],
        "argument --memory-mb: must be at least 1, got -1"),
    "make_qrels: n written in octal": (
        "make_qrels.py", ["--n", "1e3", "--k", "2", "--out", "{tmp}/q.npz",
                          "--manifest", "{tmp}/q.json"],
        "argument --n: '1e3' is not an integer"),
    "import_dataset: no folder": (
        "import_dataset.py", ["--name", "x", "--source", "{tmp}/none",
                              "--out-dir", "{tmp}/d"],
        "argument --source: {tmp}/none: no such folder"),
    "dataset_witness: no qrels": (
        "dataset_witness.py", ["--qrels", "{tmp}/none.npz", "--dataset", "x",
                               "--out", "{tmp}/w.json"],
        "argument --qrels: {tmp}/none.npz: no such file"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_argument_is_refused_before_any_work(tmp_path, case):
    script, args, message = CASES[case]
    for name, text in DATASET.items():
        (tmp_path / name).write_text(text)
    before = sorted(os.listdir(tmp_path))
    done = subprocess.run(
        [sys.executable, os.path.join(SCRIPTS, script),
         *(a.replace("{tmp}", str(tmp_path)) for a in args)],
        capture_output=True, text=True, cwd=SCRIPTS,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and done.stderr.startswith("usage:")
    assert message.replace("{tmp}", str(tmp_path)) in done.stderr
    assert sorted(os.listdir(tmp_path)) == before  # nothing written
