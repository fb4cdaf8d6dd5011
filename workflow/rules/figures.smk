# Stage 5: figures from the tables (local: cheap).


rule figures:
    input:
        runs="results/tables/runs.csv",
        critical="results/tables/critical_n.csv",
        paper=f"{RESOURCES}/paper_table6.csv",
        followups=f"{RESOURCES}/followup_points.csv",
    output:
        accuracy_png=report(
            "results/figures/accuracy_vs_n.png",
            caption="../report/accuracy_vs_n.rst",
            category="Figures",
        ),
        accuracy_pdf="results/figures/accuracy_vs_n.pdf",
        critical_png=report(
            "results/figures/critical_n_vs_d.png",
            caption="../report/critical_n_vs_d.rst",
            category="Figures",
        ),
        critical_pdf="results/figures/critical_n_vs_d.pdf",
        extrapolation_png=report(
            "results/figures/extrapolation.png",
            caption="../report/extrapolation.rst",
            category="Figures",
        ),
        extrapolation_pdf="results/figures/extrapolation.pdf",
        protocols_png=report(
            "results/figures/protocols_vs_d.png",
            caption="../report/protocols_vs_d.rst",
            category="Figures",
        ),
        protocols_pdf="results/figures/protocols_vs_d.pdf",
    log:
        "logs/figures.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    container:
        config["containers"]["cpu"]
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_figures.py"
