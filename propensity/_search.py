"""Model selection within a budget: a small, seeded optuna search on time-forward folds.

Every fold fits on earlier cutoffs and early-stops on later ones whose label windows open only after
every training label window has closed (the same purge as the split). Fold 0 is the real one:
train cutoffs -> calibration cutoffs. Earlier folds step back in time inside the training block.
A trial's objective is the mean held-out log loss of its early-stopped boosters over the folds: a
proper scoring rule, so no class reweighting is needed or wanted (weights would distort the
probabilities the calibration then has to undo).

Trial 0 is the configured [model] settings, so the search can only replace them with settings that
did better on the same folds. The sampler is seeded; a wall-clock budget (`timeout_seconds`) can
stop the search early, and then how many trials ran depends on the machine (recorded in the result).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from propensity._config import Config
from propensity._model import to_model_frame
from propensity._training_set import TrainingSet

__all__ = ["Fold", "SearchResult", "time_folds", "lgb_params", "search_params", "TUNED"]

log = logging.getLogger("propensity")

TUNED = ("learning_rate", "num_leaves", "max_depth", "min_child_samples", "feature_fraction", "bagging_fraction", "lambda_l2")


@dataclass(frozen=True)
class Fold:
    fit: tuple[datetime, ...]
    holdout: tuple[datetime, ...]


@dataclass(frozen=True)
class SearchResult:
    params: dict[str, Any]  # the [model] settings chosen (a subset of TUNED)
    objective: float  # mean held-out log loss of the chosen settings
    baseline: float  # the same for the configured [model] settings (trial 0)
    trials: int
    seconds: float
    folds: list[Fold] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "objective_logloss": self.objective,
            "baseline_logloss": self.baseline,
            "trials": self.trials,
            "seconds": round(self.seconds, 1),
            "folds": [{"fit": [t.isoformat() for t in f.fit], "holdout": [t.isoformat() for t in f.holdout]} for f in self.folds],
        }


def lgb_params(config: Config, **overrides: Any) -> dict[str, Any]:
    """LightGBM parameters of a config's [model] section (plain binary log loss, no class weights)."""
    m = config.model
    params = {
        "objective": "binary",
        "metric": "binary_logloss",
        "learning_rate": m.learning_rate,
        "num_leaves": m.num_leaves,
        "max_depth": m.max_depth,
        "min_child_samples": m.min_child_samples,
        "feature_fraction": m.feature_fraction,
        "bagging_fraction": m.bagging_fraction,
        "bagging_freq": m.bagging_freq,
        "lambda_l2": m.lambda_l2,
        "seed": m.seed,
        "deterministic": True,
        "force_col_wise": True,
        "num_threads": 2,
        "verbosity": -1,
    }
    params.update(overrides)
    return params


def time_folds(ts: TrainingSet, horizon_days: int, n_folds: int) -> list[Fold]:
    """Fold 0: train -> calibration cutoffs; then step back: the latest remaining training cutoff is
    held out and the cutoffs whose horizon closes before it are fitted."""
    plan = ts.plan
    folds = [Fold(plan.train, plan.calibration)]
    pool = list(plan.train)
    horizon = timedelta(days=horizon_days)
    while len(folds) < n_folds and pool:
        holdout = pool[-1]
        fit = [t for t in pool if t + horizon <= holdout]
        if not fit:
            break
        folds.append(Fold(tuple(fit), (holdout,)))
        pool = fit
    return folds


def _both_classes(y: np.ndarray) -> bool:
    return 0 < int(y.sum()) < len(y)


def search_params(ts: TrainingSet, config: Config) -> SearchResult | None:
    """Search the TUNED settings; None when there is no search (trials <= 1, or too few positives)."""
    s = config.search
    if s.trials <= 1:
        return None
    positives = int(ts.part("train")["label"].sum())
    if positives < s.min_positives:
        log.info("search: skipped, %d positive training leads (< [search] min_positives %d)", positives, s.min_positives)
        return None
    import warnings

    import lightgbm as lgb
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", message="Overriding the parameters from Reference Dataset")
    spec = ts.builder.spec_
    datasets = []
    folds = []
    for fold in time_folds(ts, config.label.horizon_days, s.folds):
        fit = ts.frame.filter(pl.col("cutoff").is_in(list(fold.fit)))
        hold = ts.frame.filter(pl.col("cutoff").is_in(list(fold.holdout)))
        y_fit, y_hold = fit["label"].to_numpy(), hold["label"].to_numpy()
        if not (_both_classes(y_fit) and _both_classes(y_hold)):
            continue
        dfit = lgb.Dataset(
            to_model_frame(spec, fit), y_fit, categorical_feature=spec.categorical or "auto",
            params={"feature_pre_filter": False, "verbosity": -1}, free_raw_data=False,
        )
        dhold = lgb.Dataset(to_model_frame(spec, hold), y_hold, reference=dfit, free_raw_data=False)
        datasets.append((dfit, dhold))
        folds.append(fold)
    if not datasets:
        return None

    def score(params: dict[str, Any]) -> float:
        losses = []
        for dfit, dhold in datasets:
            booster = lgb.train(
                # one thread: many small fits, and OpenMP threads spin badly on a shared machine
                lgb_params(config, **params, num_threads=1),
                dfit,
                num_boost_round=config.model.num_boost_round,
                valid_sets=[dhold],
                valid_names=["holdout"],
                callbacks=[lgb.early_stopping(config.model.early_stopping_rounds, verbose=False)],
            )
            losses.append(float(booster.best_score["holdout"]["binary_logloss"]))
        return float(np.mean(losses))

    def objective(trial: Any) -> float:
        params = {
            "learning_rate": trial.suggest_float("learning_rate", 0.03, 0.2, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 4, 63, log=True),
            "max_depth": trial.suggest_int("max_depth", 3, 8),
            "min_child_samples": trial.suggest_int("min_child_samples", 10, 400, log=True),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.3, 1.0),
            "bagging_fraction": trial.suggest_float("bagging_fraction", 0.5, 1.0),
            "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 100.0, log=True),
        }
        return score(params)

    m = config.model
    baseline_params = {k: getattr(m, k) for k in TUNED}
    sampler = optuna.samplers.TPESampler(seed=m.seed, n_startup_trials=min(5, s.trials))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.enqueue_trial(baseline_params, skip_if_exists=True)
    t0 = time.perf_counter()
    study.optimize(objective, n_trials=s.trials, timeout=s.timeout_seconds or None, gc_after_trial=False)
    seconds = time.perf_counter() - t0
    done = [t for t in study.trials if t.value is not None]
    baseline = next((t.value for t in done if t.number == 0), float("nan"))
    best = study.best_trial
    params = {k: best.params[k] for k in TUNED if k in best.params}
    log.info(
        "search: %d trials in %.0f s on %d time-forward folds; held-out log loss %.5f (configured settings %.5f)",
        len(done), seconds, len(folds), best.value, baseline,
    )
    return SearchResult(params, float(best.value), float(baseline), len(done), seconds, folds)
