"""Training plots as PNG: drivers by business field, calibration, gains (model vs points)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["plot_drivers", "plot_calibration", "plot_gains"]


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_drivers(table: pd.DataFrame, path: str | Path, top: int = 15) -> Path:
    plt = _pyplot()
    t = table.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(t) + 1.2))
    ax.barh(t["driver"], t["importance"] * 100, color="#3b6ea5")
    ax.set_xlabel("share of the model's attention (mean |contribution|), %")
    ax.set_title("What drives the score, by business field")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return Path(path)


def plot_calibration(y: np.ndarray, p: np.ndarray, path: str | Path, bins: int = 10) -> Path:
    plt = _pyplot()
    order = np.argsort(p, kind="stable")
    chunks = [c for c in np.array_split(order, bins) if len(c)]
    mean_p = [p[c].mean() for c in chunks]
    rate = [y[c].mean() for c in chunks]
    fig, ax = plt.subplots(figsize=(5.5, 5))
    top = max(max(mean_p), max(rate), 1e-3) * 1.05
    ax.plot([0, top], [0, top], ls="--", color="grey", label="perfect")
    ax.plot(mean_p, rate, marker="o", color="#3b6ea5", label="model (validation)")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed conversion rate")
    ax.set_title("Calibration on held-out time")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return Path(path)


def gains_curve(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-score, kind="stable")
    hits = np.cumsum(y[order])
    share = np.arange(1, len(y) + 1) / len(y)
    return share, hits / max(hits[-1], 1)


def plot_gains(y: np.ndarray, scores: dict[str, np.ndarray], path: str | Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    for name, s in scores.items():
        share, cap = gains_curve(y, s)
        ax.plot(share * 100, cap * 100, label=name)
    ax.plot([0, 100], [0, 100], ls="--", color="grey", label="random")
    ax.set_xlabel("% of leads worked, best first")
    ax.set_ylabel("% of conversions captured")
    ax.set_title("Gains on held-out time")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return Path(path)
