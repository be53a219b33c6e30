"""Training plots as PNG: drivers by business field, calibration, gains (model vs points)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["plot_drivers", "plot_calibration", "plot_gains", "plot_dependence", "plot_score_distribution", "plot_migration"]


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


_GRADE_COLORS = {"A": "#15803d", "B": "#65a30d", "C": "#d97706", "D": "#9ca3af"}


def plot_dependence(deps: list, path: str | Path) -> Path:  # type: ignore[type-arg]
    """How each top driver's value maps to its contribution (the report's dependence view)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter

    from propensity.reports._svg import odds_tick, odds_ticks

    plt = _pyplot()
    n = max(len(deps), 1)
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 3.6 * rows), squeeze=False)
    for ax in axes.flat[len(deps):]:
        ax.set_visible(False)
    for ax, dep in zip(axes.flat, deps):
        if dep.kind == "category":
            labels = [c[0] for c in dep.categories][::-1]
            values = [c[1] for c in dep.categories][::-1]
            ax.barh(labels, values, color=["#0f766e" if v >= 0 else "#dc2626" for v in values])
            ax.axvline(0, color="grey", lw=0.8)
            lo, hi = ax.get_xlim()
            ax.xaxis.set_major_locator(FixedLocator(odds_ticks(lo, hi)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: odds_tick(v)))
            ax.set_xlabel("odds against an average lead")
        else:
            ax.scatter(dep.x, dep.y, s=6, alpha=0.3, color="#2563eb")
            ax.plot(dep.trend_x, dep.trend_y, color="#111827", marker="o", ms=3)
            ax.axhline(0, color="grey", lw=0.8, ls="--")
            ax.set_xlabel(dep.axis)
            lo, hi = ax.get_ylim()
            ax.yaxis.set_major_locator(FixedLocator(odds_ticks(lo, hi)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: odds_tick(v)))
            ax.set_ylabel("odds against an average lead")
        ax.set_title(dep.driver)
    fig.suptitle("How the top drivers' values map to the score")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return Path(path)


def plot_score_distribution(hist: dict, path: str | Path) -> Path:  # type: ignore[type-arg]
    """Validation scores by grade, stacked (the report's score distribution)."""
    plt = _pyplot()
    edges = np.asarray(hist["edges"])
    width = np.diff(edges)
    fig, ax = plt.subplots(figsize=(8, 4))
    base = np.zeros(len(width))
    for grade, counts in hist["counts"].items():
        c = np.asarray(counts, dtype=np.float64)
        ax.bar(edges[:-1], c, width=width, bottom=base, align="edge", color=_GRADE_COLORS.get(grade, "grey"), label=f"grade {grade}")
        base += c
    ax.set_xlabel("calibrated probability, % (last bar: everything above)")
    ax.set_ylabel("leads")
    ax.set_title("Validation scores by grade")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return Path(path)


def plot_migration(mig: object, path: str | Path) -> Path:
    """Points tiers (rows) against model grades (columns): lead counts and conversion rates."""
    plt = _pyplot()
    counts = np.asarray(mig.counts, dtype=np.float64)  # type: ignore[attr-defined]
    rates = mig.rates  # type: ignore[attr-defined]
    grades = ["A", "B", "C", "D"]
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.imshow(np.sqrt(counts), cmap="Blues")
    for i in range(4):
        for j in range(4):
            rate = rates[i][j]
            text = f"{int(counts[i, j]):,}" + (f"\n{100 * rate:.1f}% conv." if rate is not None else "")
            ax.text(j, i, text, ha="center", va="center", fontsize=9, color="white" if counts[i, j] > counts.max() * 0.45 else "black")
    ax.set_xticks(range(4), [f"model {g}" for g in grades])
    ax.set_yticks(range(4), [f"points {g}" for g in grades])
    ax.set_title("Tier migration: points tiers vs model grades")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return Path(path)
