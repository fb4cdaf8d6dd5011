"""The embedders' figure: recall against Matryoshka dimension, per precision,
with BM25 and the free-embedding critical d of the same dataset marked."""

from __future__ import annotations

import pandas as pd
from matplotlib.ticker import NullLocator, ScalarFormatter

from .figure_style import plt, save

PANELS = ("recall_at_2", "recall_at_10", "recall_at_100")
# where every document is within the top 100, recall@100 is 1: recall@20 instead
SMALL_CORPUS_PANEL = "recall_at_20"
LINES = {"float32": "-", "int8": "--", "binary": ":"}
MARKERS = {"float32": "o", "int8": "s", "binary": "x"}


def _label(metric: str) -> str:
    return metric.replace("_at_", "@")


def embedders(embedders, paths, dpi=150, critical_d=None) -> plt.Figure:
    """One row of panels per dataset (recall@2, @10, @100 against dim, log
    scale; @20 for @100 on a corpus of at most 100 documents); a colour per
    embedder, a line style per precision; BM25 as a
    horizontal line; the smallest d at which free embeddings solve the
    dataset's qrels (critical_d.csv, when searched) as a vertical one."""
    models = embedders[embedders["embedder"] != "bm25s"]
    bm25 = embedders[embedders["embedder"] == "bm25s"]
    datasets = list(dict.fromkeys(models["dataset"]))
    colors = {name: f"C{i}" for i, name in enumerate(dict.fromkeys(models["embedder"]))}
    size = (4.2 * len(PANELS), 3.4 * len(datasets))
    fig, axes = plt.subplots(len(datasets), len(PANELS), squeeze=False, figsize=size)
    for row, dataset in zip(axes, datasets, strict=True):
        here = models[models["dataset"] == dataset]
        critical = _critical(critical_d, dataset)
        small = here["documents"].max() <= 100
        panels = (*PANELS[:-1], SMALL_CORPUS_PANEL) if small else PANELS
        for ax, metric in zip(row, panels, strict=True):
            for (name, precision), group in here.groupby(
                ["embedder", "precision"], sort=False
            ):
                group = group.sort_values("dim")
                ax.plot(group["dim"], group[metric], LINES.get(precision, "-."),
                        marker=MARKERS.get(precision, "."), color=colors[name],
                        label=f"{name}, {precision}")  # fmt: skip
            lexical = bm25[bm25["dataset"] == dataset][metric]
            if len(lexical):
                ax.axhline(float(lexical.iloc[0]), color="grey", ls="-.", label="BM25")
            if critical is not None:
                solved = f"free embeddings solve it (d = {critical})"
                ax.axvline(critical, color="black", lw=0.8, label=solved)
            ax.set_xscale("log", base=2)
            ticks = sorted(
                {*here["dim"].astype(int), *([critical] if critical else [])}
            )
            ax.set_xticks(ticks)
            ax.set_xlim(ticks[0] / 1.25, ticks[-1] * 1.25)
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_locator(NullLocator())
            ax.set_ylim(-0.02, 1.02)
            ax.set_xlabel("embedding dimension (Matryoshka truncation)")
            ax.set_ylabel(_label(metric))
            ax.set_title(f"{dataset}: {_label(metric)}", fontsize=10)
            ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.tight_layout()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=min(4, len(labels)), fontsize=8)  # fmt: skip
    save(fig, paths, dpi)
    return fig


def _critical(critical_d: pd.DataFrame | None, dataset: str) -> int | None:
    """The smallest critical d of the dataset over the protocols searched."""
    if critical_d is None:
        return None
    found = critical_d[
        (critical_d["dataset"] == dataset) & critical_d["critical_d"].notna()
    ]
    return int(found["critical_d"].min()) if len(found) else None
