"""Reports: the tables (critical_n, critical_d, witness_table, embedder_table,
seeds, fit) and the figures (figures: the registry of every figure;
search_figures, limit_figures, embedder_figure; figure_style)."""
