# Free-embedding critical-n workflow (LIMIT paper, arXiv:2508.21038).
# Table of contents only: rules in workflow/rules/, library in workflow/scripts/.

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


SCHEMA = "workflow/schemas/config.schema.yaml"  # also read by common.smk


validate(config, SCHEMA)


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/optimize.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/retrieval.smk"


rule all:
    default_target: True
    input:
        "results/tables/runs.csv",
        "results/tables/critical_n.csv",
        "results/tables/critical_n.md",
        "results/tables/fit.csv",
        "results/figures/accuracy_vs_n.png",
        "results/figures/critical_n_vs_d.png",
        "results/figures/extrapolation.png",
        DATASET_MANIFESTS,
        DATASET_TABLES,
