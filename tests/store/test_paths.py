"""Result paths: each template lives in paths.py, which builds and parses it."""

import glob
import os
import re

import pytest

from conftest import ROOT
from embedding_limits.config.protocol import NAME
from embedding_limits.config.schema import NAME_PATTERN
from embedding_limits.data.beir import FILES
from embedding_limits.store import paths
from helpers import SCHEMA

EXAMPLES = {
    paths.RUN: {"protocol": "published", "source": "k~2", "d": "4", "n": "9"},
    paths.SUMMARY: {
        "protocol": "sigmoid",
        "subject": "dataset~limit-small",
        "settings": "start~8_sweep~-2..3_maxd~1024",
    },  # fmt: skip
    paths.WITNESS: {"construction": "trig_moment", "k": "2", "precision": "bfloat16"},
    paths.QRELS: {"k": "2", "n": "46"},
    paths.DATASET_QRELS: {"dataset": "limit-small"},
}


@pytest.mark.parametrize("template", EXAMPLES)
def test_a_built_path_parses_back_to_its_wildcards(template):
    path = paths.build(template, **EXAMPLES[template])
    assert paths.parse(template, path) == EXAMPLES[template]
    assert paths.parse(template, f"/tmp/elsewhere/{path}") == EXAMPLES[template]
    assert paths.parse(template, path + ".tmp") is None


def test_the_paths_are_the_ones_results_always_had():
    """Run and summary paths name finished jobs: they must never move."""
    assert paths.build(paths.RUN, protocol="published", source="k~2", d=4, n=9) == (
        "results/runs/protocol~published/k~2/d~4/n~9.json"
    )
    subject = paths.build(paths.SUBJECT_N, k=2, d=5)
    summary = paths.build(paths.SUMMARY, protocol="published", subject=subject,
                          settings="start~11_sweep~-4..5_maxn~100000")  # fmt: skip
    assert summary == (
        "results/search/protocol~published/k~2/d~5/start~11_sweep~-4..5_maxn~100000.json"
    )
    assert paths.source(dataset="limit-small") == "dataset~limit-small"
    # a dataset's folder is written whole by beir.write_dataset, in its layout
    assert "qrels.jsonl" in FILES and paths.DATASET_QRELS.endswith("}/qrels.npz")


@pytest.mark.parametrize("template,wildcards", [
    (paths.RUN, {"protocol": "a/b", "source": "k~2", "d": 4, "n": 9}),
    (paths.RUN, {"protocol": "published", "source": "q~2", "d": 4, "n": 9}),
    (paths.WITNESS, {"construction": "spiral", "k": 2, "precision": "float32"}),
    (paths.WITNESS, {"construction": "moment", "k": 2, "precision": "float8"}),
])  # fmt: skip
def test_a_value_that_no_rule_could_make_is_refused(template, wildcards):
    with pytest.raises(ValueError, match="not a path of"):
        paths.build(template, **wildcards)


def test_a_run_belongs_to_the_searches_of_its_subject_only():
    run = paths.parse(paths.RUN, "results/runs/protocol~p/k~2/d~4/n~9.json")
    assert paths.of_subject("k~2/d~4", run) and paths.of_subject("k~2/n~9", run)
    assert not paths.of_subject("k~2/n~8", run) and not paths.of_subject("k~3/n~9", run)
    assert not paths.of_subject("k~2/d~5", run) and not paths.of_subject("k~3/d~4", run)
    assert not paths.of_subject("dataset~x", run)
    run = paths.parse(paths.RUN, "results/runs/protocol~p/dataset~x/d~12/n~46.json")
    assert paths.of_subject("dataset~x", run) and not paths.of_subject("dataset~y", run)


def test_names_in_paths_are_one_pattern():
    """Protocol and dataset names are path segments: the schema and the
    protocol check accept what the wildcards do."""
    properties = SCHEMA["properties"]
    for key in ("protocols", "datasets", "embedders"):
        assert properties[key]["propertyNames"]["pattern"] == f"^{paths.NAME}$"
    listed = properties["critical_d_of_n"]["properties"]["protocols"]["oneOf"][1]
    assert listed["items"]["pattern"] == f"^{paths.NAME}$"
    assert NAME.pattern == paths.NAME
    assert NAME_PATTERN == f"^{paths.NAME}$"


def test_no_result_path_is_written_outside_paths_py():
    """The rules name the templates (output: run=paths.RUN) and the library
    builds them: a second spelling of a result path would drift."""
    spelled = re.compile(
        r"results/(runs|search|witnesses|qrels|tables|figures|datasets|embedders|"
        r"embeddings)/|/qrels\.npz"
    )
    files = glob.glob(os.path.join(ROOT, "workflow", "**", "*.py"), recursive=True)
    files += glob.glob(os.path.join(ROOT, "workflow", "rules", "*.smk"))
    files += [os.path.join(ROOT, "Snakefile")]
    found = []
    for path in files:
        if path.endswith(os.path.join("store", "paths.py")):
            continue
        for number, line in enumerate(open(path), 1):
            code = line.split("#", 1)[0]
            if spelled.search(code) and not code.lstrip().startswith(("--", "python")):
                found.append(f"{os.path.relpath(path, ROOT)}:{number}: {line.strip()}")
    assert not found, found
