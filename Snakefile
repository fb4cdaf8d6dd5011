# Free-embedding critical-n workflow (LIMIT paper, arXiv:2508.21038).
# Table of contents only: rules in workflow/rules/, library in workflow/scripts/.

import os
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

min_version("9.0")

sys.path.insert(0, os.path.join(workflow.basedir, "workflow", "scripts"))
from embedding_limits.config import load as configuration  # noqa: E402
from embedding_limits.store.paths import DATASET_CHECKED  # noqa: E402

# The config: config.yaml here (or the file given with --configfile instead),
# Snakemake's --config on top (its strings read as YAML where the schema wants
# a number, boolean or null), every key left out filled from the schema, whose
# defaults are the shipped config.yaml. Checked before any job runs; its
# protocols and datasets are built here, once (EXPERIMENT.protocols, .datasets;
# a dataset folder is checked once per content, DATASET_CHECKED keeps the answer).
SCHEMA = os.path.join(workflow.basedir, "workflow", "schemas", "config.schema.yaml")
try:
    EXPERIMENT = configuration.load(
        overrides=config,
        schema_path=SCHEMA,
        base_path=None if workflow.overwrite_configfiles else "config.yaml",
        vocab_dir=os.path.join(workflow.basedir, "resources", "vocab"),
        command_line=workflow.config_settings.config,
        checked_dir=DATASET_CHECKED,
        config_files=[str(path) for path in workflow.overwrite_configfiles or ()],
    )
except configuration.ConfigError as error:
    raise WorkflowError(str(error)) from None
config.clear()
config.update(EXPERIMENT.config)


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/optimize.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/retrieval.smk"
include: "workflow/rules/embedders.smk"
include: "workflow/rules/witnesses.smk"


rule all:
    default_target: True
    input:
        DEFAULT_TARGETS,
        SEARCH_JOBS.known_runs(),
        SEARCH_JOBS.incomplete_runs(),
