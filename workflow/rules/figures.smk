# Stage 5: every figure, one job each (they draw in parallel), from tables and
# resources/ alone: plotting.FIGURES[name] called with the inputs by name. A
# new figure is a function there and a rule here. Local: cheap.


rule figure_accuracy_vs_n:
    input:
        runs="results/tables/runs.csv",
        critical="results/tables/critical_n.csv",
    output:
        png=report(
            "results/figures/accuracy_vs_n.png",
            caption="../report/accuracy_vs_n.rst",
            category="Figures",
        ),
        pdf="results/figures/accuracy_vs_n.pdf",
    log:
        "logs/figures/accuracy_vs_n.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_figure.py"


rule figure_critical_n_vs_d:
    input:
        runs="results/tables/runs.csv",
        critical="results/tables/critical_n.csv",
        paper=f"{RESOURCES}/paper_table6.csv",
    output:
        png=report(
            "results/figures/critical_n_vs_d.png",
            caption="../report/critical_n_vs_d.rst",
            category="Figures",
        ),
        pdf="results/figures/critical_n_vs_d.pdf",
    log:
        "logs/figures/critical_n_vs_d.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_figure.py"


rule figure_extrapolation:
    input:
        critical="results/tables/critical_n.csv",
    output:
        png=report(
            "results/figures/extrapolation.png",
            caption="../report/extrapolation.rst",
            category="Figures",
        ),
        pdf="results/figures/extrapolation.pdf",
    log:
        "logs/figures/extrapolation.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_figure.py"


rule figure_protocols_vs_d:
    input:
        critical="results/tables/critical_n.csv",
        paper=f"{RESOURCES}/paper_table6.csv",
        followups=f"{RESOURCES}/followup_points.csv",
        d_of_n=D_OF_N_TABLE,
    output:
        png=report(
            "results/figures/protocols_vs_d.png",
            caption="../report/protocols_vs_d.rst",
            category="Figures",
        ),
        pdf="results/figures/protocols_vs_d.pdf",
    log:
        "logs/figures/protocols_vs_d.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_figure.py"


rule figure_accuracy_vs_d:
    input:
        runs="results/tables/dimension_runs.csv",
        critical="results/tables/critical_d.csv",
    output:
        png=report(
            "results/figures/accuracy_vs_d.png",
            caption="../report/accuracy_vs_d.rst",
            category="Datasets",
        ),
        pdf="results/figures/accuracy_vs_d.pdf",
    log:
        "logs/figures/accuracy_vs_d.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_figure.py"


rule figure_limits_vs_d:
    input:
        critical="results/tables/critical_n.csv",
        paper=f"{RESOURCES}/paper_table6.csv",
        witnesses="results/tables/witness.csv",
        followups=f"{RESOURCES}/followup_points.csv",
        d_of_n=D_OF_N_TABLE,
    output:
        png=report(
            "results/figures/limits_vs_d.png",
            caption="../report/limits_vs_d.rst",
            category="Witnesses",
        ),
        pdf="results/figures/limits_vs_d.pdf",
    log:
        "logs/figures/limits_vs_d.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_figure.py"


rule figure_critical_d_of_n:
    input:
        critical="results/tables/critical_d_of_n.csv",
        followups=f"{RESOURCES}/followup_points.csv",
    output:
        png=report(
            "results/figures/critical_d_of_n.png",
            caption="../report/critical_d_of_n.rst",
            category="Smallest d for each n",
        ),
        pdf="results/figures/critical_d_of_n.pdf",
    log:
        "logs/figures/critical_d_of_n.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_figure.py"


rule figure_embedders:
    input:
        embedders="results/tables/embedders.csv",
        critical_d=D_TABLE,
    output:
        png=report(
            "results/figures/embedders.png",
            caption="../report/embedders.rst",
            category="Figures",
        ),
        pdf="results/figures/embedders.pdf",
    log:
        "logs/figures/embedders.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_figure.py"
