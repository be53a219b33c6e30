"""The drivers chart as PNG, for `propensity explain --model URI --png FILE`: the one place a PNG is
asked for. Every other chart is the report's SVG (propensity.reports._charts), which a training run
logs as its plots. matplotlib is imported only when a PNG is drawn."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["plot_drivers"]


def plot_drivers(table: pd.DataFrame, path: str | Path, top: int = 15) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = table.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(t) + 1.2))
    ax.barh(t["driver"], t["importance"] * 100, color="#3b6ea5")
    ax.set_xlabel("share of the model's attention (mean |contribution|), %")
    ax.set_title("What drives the score, by business field")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return Path(path)
