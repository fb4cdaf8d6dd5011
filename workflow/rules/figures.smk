# Stage 5: every figure, one job each (they draw in parallel), from the tables
# and resources/ alone. reports/figures.py's FIGURES lists them: each entry
# names its plotting function, the tables it draws by argument, and its report
# section; its caption is its block of workflow/report/figure.rst. Local: cheap.

from embedding_limits.reports import figures
from embedding_limits.store import paths


rule figure:
    input:
        unpack(lambda w: figures.named(w.figure).inputs(DEFAULT_TARGETS, RESOURCES)),
    output:
        png=report(
            paths.FIGURE,
            caption="../report/figure.rst",
            category=lambda w: figures.named(w.figure).category,
        ),
        pdf=paths.FIGURE_PDF,
    log:
        "logs/figures/{figure}.log",
    localrule: True
    conda:
        ANALYSIS_ENV
    container:
        CPU_IMAGE
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_figure.py"
