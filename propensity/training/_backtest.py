"""The rolling-origin backtest: every figure, the number of trees and the calibration come from it.

Each fold of the plan (`SplitPlan.folds`, expanding window) is fitted on the cutoffs whose label
windows closed before the one cutoff it is judged on. All folds are boosted together on one binned
LightGBM Dataset (`lightgbm.cv` with the folds given), so one early-stopping decision (the mean
held-out log loss over the folds) gives the number of trees the served model is refitted with.

Calibration is fitted on out-of-time margins. The figures of fold k use a Platt scaling fitted on the
folds before it (forward in time, as scores are used); the oldest fold has none before it, so its
probabilities come from the later folds and are left out of the probability figures (its ranks
count). The served calibration is fitted on every fold, the newest weighing most
(`fold_weights`): the base rate of open leads drifts as stale leads pile up, and the newest folds
are the closest to the date the scores are used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from propensity._model import PlattCalibration
from propensity.training._fit import boost, calibrate, cv_boost
from propensity.training._labels import SplitPlan

__all__ = ["HALF_LIFE_FOLDS", "Backtest", "fit_backtested", "fold_indices", "fold_weights", "run_backtest"]

# a fold's weight in the served calibration halves every this many folds back from the newest
HALF_LIFE_FOLDS = 2.0


@dataclass(frozen=True)
class Backtest:
    """Out-of-time predictions for the judged rows (`rows`: positions in the training frame)."""

    best_iteration: int
    rows: np.ndarray  # positions of the judged rows in the training frame, fold by fold
    fold: np.ndarray  # the fold of each judged row
    y: np.ndarray
    margin: np.ndarray  # the fold model's raw score
    score: np.ndarray  # calibrated probability (fold k: a Platt scaling fitted on the folds before k)
    forward: np.ndarray  # True where that calibration came only from earlier folds
    calibration: PlattCalibration  # fitted on every fold, newest weighing most: the one served
    logloss: float  # mean held-out log loss over the folds at best_iteration (the early-stopping figure)
    # the fit and engagement views' out-of-time probabilities on the same rows (propensity.training._views)
    views: dict[str, np.ndarray] = field(default_factory=dict)


def fold_indices(cutoffs: np.ndarray, plan: SplitPlan, kept: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fit rows, judged rows) positions per fold, given each training row's cutoff; with `kept` (a
    downsampled set), only kept rows are fitted on, while every row of a judged cutoff is judged."""
    out = []
    for f in plan.folds:
        fitted = np.isin(cutoffs, np.array(f.fit, dtype="datetime64[us]"))
        fit = np.flatnonzero(fitted if kept is None else fitted & kept)
        judged = np.flatnonzero(np.isin(cutoffs, np.array(f.judged, dtype="datetime64[us]")))
        out.append((fit, judged))
    return out


def fold_weights(fold: np.ndarray, n_folds: int) -> np.ndarray:
    """Each row's weight in the served calibration: 1 for the newest fold, halving every
    HALF_LIFE_FOLDS folds back."""
    return np.power(0.5, (n_folds - 1 - np.asarray(fold, dtype=np.float64)) / HALF_LIFE_FOLDS)


def run_backtest(
    params: dict[str, Any], data: Any, features: Callable[[np.ndarray], np.ndarray], y: np.ndarray, cutoffs: np.ndarray, plan: SplitPlan,
    *, rounds: int, patience: int, kept: np.ndarray | None = None,
) -> Backtest:
    """Boost every fold together (fitted on the `kept` rows), predict each fold's judged rows out of
    time (`features(rows)`: the model input of those rows of the training set, one fold at a time),
    calibrate forward."""
    folds = fold_indices(cutoffs, plan, kept)
    cv, best, logloss = cv_boost(params, data, folds, rounds, patience)
    rows = np.concatenate([judged for _, judged in folds])
    fold = np.concatenate([np.full(judged.size, k, dtype=np.int64) for k, (_, judged) in enumerate(folds)])
    margin = np.concatenate(
        [np.asarray(b.predict(features(judged), raw_score=True, num_iteration=best)) for b, (_, judged) in zip(cv.boosters, folds, strict=True)]
    )
    yj = y[rows]
    n = len(folds)
    score = np.empty(rows.size)
    forward = np.zeros(rows.size, dtype=bool)
    for k in range(n):
        here = fold == k
        before = fold < k if k > 0 else (fold > k if n > 1 else here)
        cal = calibrate(margin[before], yj[before], fold_weights(fold[before], n))
        score[here] = cal.apply(margin[here])
        forward[here] = k > 0
    served = calibrate(margin, yj, fold_weights(fold, n))
    return Backtest(best, rows, fold, yj, margin, score, forward, served, logloss)


def fit_backtested(
    params: dict[str, Any], data: Any, features: Callable[[np.ndarray], np.ndarray], y: np.ndarray, cutoffs: np.ndarray,
    plan: SplitPlan, *, rounds: int, patience: int, kept: np.ndarray,
) -> tuple[Any, Backtest]:
    """The backtest, then LightGBM refitted with its number of trees on every matured cutoff (the
    `kept` rows): the one fit path of the served model and of its fit and engagement views."""
    bt = run_backtest(params, data, features, y, cutoffs, plan, rounds=rounds, patience=patience, kept=kept)
    fitted = data if kept.all() else data.subset(np.flatnonzero(kept))
    booster, _ = boost(params, fitted, bt.best_iteration)
    return booster, bt
