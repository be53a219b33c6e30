"""Ranking and calibration metrics for a score against 0/1 labels."""

from __future__ import annotations

import numpy as np

__all__ = ["capture_at", "ece", "ranking_metrics", "probability_metrics", "backtest_metrics", "calibration_by_cutoff"]


def capture_at(y: np.ndarray, score: np.ndarray, share: float) -> float:
    """Share of all positives found in the top `share` of leads by score.

    Leads tied at the boundary share it: the tied group counts in proportion to the places left for
    it (the expectation under a random order of the ties), so the figure never depends on how the
    rows happen to be sorted."""
    y = np.asarray(y, dtype=np.float64)
    total = y.sum()
    if total == 0:
        return float("nan")
    s = np.asarray(score, dtype=np.float64)
    k = max(1, int(round(share * len(y))))
    threshold = np.sort(s)[::-1][k - 1]
    above = s > threshold
    tied = s == threshold
    places = k - int(above.sum())
    return float((y[above].sum() + places * y[tied].sum() / tied.sum()) / total)


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-count bins of the predicted probability."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if len(y) == 0:
        return float("nan")
    order = np.argsort(p, kind="stable")
    err = 0.0
    for chunk in np.array_split(order, bins):
        if len(chunk):
            err += len(chunk) * abs(p[chunk].mean() - y[chunk].mean())
    return float(err / len(y))


def ranking_metrics(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC and top-10/20% capture: what any score (model or points) is judged on."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    y = np.asarray(y)
    both = len(np.unique(y)) == 2
    return {
        "roc_auc": float(roc_auc_score(y, score)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, score)) if both else float("nan"),
        "capture_10": capture_at(y, score, 0.10),
        "capture_20": capture_at(y, score, 0.20),
    }


def probability_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Ranking metrics plus log loss, Brier, ECE and mean score vs observed rate."""
    from sklearn.metrics import brier_score_loss, log_loss

    y = np.asarray(y)
    out = ranking_metrics(y, p)
    clipped = np.clip(p, 1e-7, 1 - 1e-7)
    out.update(
        log_loss=float(log_loss(y, clipped, labels=[0, 1])),
        brier=float(brier_score_loss(y, p)),
        ece=ece(y, p),
        mean_score=float(np.mean(p)),
        observed_rate=float(np.mean(y)),
    )
    return out


def backtest_metrics(y: np.ndarray, p: np.ndarray, fold: np.ndarray) -> dict[str, float]:
    """A backtest's figures: ranking over every fold; log loss, Brier, ECE and mean score over the folds
    calibrated on earlier folds only (fold > 0), or over every row when there is one fold."""
    y, p, fold = np.asarray(y), np.asarray(p, dtype=np.float64), np.asarray(fold)
    forward = fold > 0 if (fold > 0).any() else np.ones(len(y), dtype=bool)
    return {**probability_metrics(y[forward], p[forward]), **ranking_metrics(y, p), "capture_30": capture_at(y, p, 0.30)}


def calibration_by_cutoff(cutoffs: np.ndarray, y: np.ndarray, p: np.ndarray) -> list[dict[str, object]]:
    """Per cutoff: leads, positives, mean score vs observed rate, ECE and ROC AUC (drift shows here)."""
    from sklearn.metrics import roc_auc_score

    cutoffs = np.asarray(cutoffs)
    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    out: list[dict[str, object]] = []
    for t in sorted(set(cutoffs.tolist())):
        m = cutoffs == t
        yy, pp = y[m], p[m]
        out.append(
            {
                "cutoff": t.isoformat() if hasattr(t, "isoformat") else str(t),
                "leads": int(m.sum()),
                "positives": int(yy.sum()),
                "mean_score": float(pp.mean()) if len(pp) else float("nan"),
                "observed_rate": float(yy.mean()) if len(yy) else float("nan"),
                "ece": ece(yy, pp),
                "roc_auc": float(roc_auc_score(yy, pp)) if len(np.unique(yy)) == 2 else float("nan"),
            }
        )
    return out
