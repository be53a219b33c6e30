"""Model selection within a budget: a small, seeded optuna search on the backtest's newest folds.

A trial boosts the newest `[search] folds` folds of the rolling-origin backtest together on the one
binned Dataset (`lightgbm.cv`, early-stopped on their mean held-out log loss) and scores that log
loss: a proper scoring rule, so no class reweighting is needed or wanted (weights would distort the
probabilities the calibration then has to undo). Every fold is fitted only on cutoffs whose label
windows closed before the cutoff it is judged on.

Trial 0 is the configured [model] settings, so the search can only replace them with settings that
did better on the same folds. The sampler is seeded; a wall-clock budget (`timeout_seconds`) can
stop the search early, and then how many trials ran depends on the machine (recorded in the result).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from propensity._config import Config
from propensity.training._labels import Fold, SplitPlan

__all__ = ["SearchResult", "search_budget", "search_params", "TUNED"]

log = logging.getLogger("propensity")

TUNED = ("learning_rate", "num_leaves", "max_depth", "min_child_samples", "feature_fraction", "bagging_fraction", "lambda_l2")


@dataclass(frozen=True)
class SearchResult:
    params: dict[str, Any]  # the [model] settings chosen (a subset of TUNED)
    objective: float  # mean held-out log loss of the chosen settings
    baseline: float  # the same for the configured [model] settings (trial 0)
    trials: int
    seconds: float
    folds: list[Fold] = field(default_factory=list)
    stopped: int = 0  # trials the wall-clock budget stopped while boosting (pruned, not scored)
    budget_seconds: float | None = None  # None: deterministic, the trial count alone decided

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "objective_logloss": self.objective,
            "baseline_logloss": self.baseline,
            "trials": self.trials,
            "seconds": round(self.seconds, 1),
            "stopped_by_budget": self.stopped,
            "budget_seconds": None if self.budget_seconds is None else round(self.budget_seconds, 1),
            "folds": [{"fit": [t.isoformat() for t in f.fit], "judged": [t.isoformat() for t in f.judged]} for f in self.folds],
        }


def _both_classes(y: np.ndarray) -> bool:
    return 0 < int(y.sum()) < len(y)


def search_budget(config: Config, fitted_rows: int) -> float | None:
    """Seconds the search may take: `timeout_seconds`, plus `timeout_per_million_rows` per million rows
    fitted on, at most `max_timeout_seconds`; None when the trial count alone decides (deterministic,
    or no timeout)."""
    s = config.search
    if s.deterministic or s.timeout_seconds <= 0:
        return None
    return float(min(s.max_timeout_seconds, s.timeout_seconds + s.timeout_per_million_rows * fitted_rows / 1e6))


def search_params(
    data: Any, y: np.ndarray, cutoffs: np.ndarray, plan: SplitPlan, config: Config, kept: np.ndarray | None = None
) -> SearchResult | None:
    """Search the TUNED settings on the newest `[search] folds` backtest folds of the binned training
    Dataset `data`; None when there is no search (trials <= 1, or too few positives)."""
    from propensity.training._backtest import fold_indices
    from propensity.training._fit import OutOfTime, cv_boost, lgb_params

    s = config.search
    if s.trials <= 1:
        return None
    folds = list(plan.folds[-s.folds :])
    pairs = fold_indices(cutoffs, plan, kept)[-s.folds :]
    positives = int(y[pairs[0][0]].sum()) if pairs else 0
    if positives < s.min_positives:
        log.info("search: skipped, %d positive leads in the first searched fold (< [search] min_positives %d)", positives, s.min_positives)
        return None
    keep = [i for i, (fit, judged) in enumerate(pairs) if _both_classes(y[fit]) and _both_classes(y[judged])]
    if not keep:
        return None
    folds, pairs = [folds[i] for i in keep], [pairs[i] for i in keep]
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    budget = search_budget(config, int(sum(fit.size for fit, _ in pairs)))
    deadline = None if budget is None else time.monotonic() + budget

    def score(params: dict[str, Any]) -> float:
        # [model] num_threads, as every fit: a trial on one thread left the other cores idle
        try:
            _, _, loss = cv_boost(
                lgb_params(config, **params), data, pairs, config.model.num_boost_round,
                config.model.early_stopping_rounds, deadline=deadline,
            )
        except OutOfTime:
            raise optuna.TrialPruned("the search's wall-clock budget ended during this trial") from None
        return loss

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
    study.optimize(objective, n_trials=s.trials, timeout=budget, gc_after_trial=False)
    seconds = time.perf_counter() - t0
    done = [t for t in study.trials if t.value is not None]
    stopped = sum(1 for t in study.trials if t.state == optuna.trial.TrialState.PRUNED)
    if not done:
        log.warning(
            "warning: search: the %.0f s budget ended before the first trial finished; the [model] settings are used "
            "(raise [search] timeout_seconds, or set deterministic = true)", budget or 0.0,
        )
        return None
    baseline = next((t.value for t in done if t.number == 0), float("nan"))
    best = study.best_trial
    params = {k: best.params[k] for k in TUNED if k in best.params}
    log.info(
        "search: %d trials in %.0f s on the %d newest backtest folds (%s); held-out log loss %.5f (configured settings %.5f)",
        len(done), seconds, len(folds),
        "deterministic: the trial count decided" if budget is None else f"budget {budget:.0f} s, {stopped} trial(s) stopped by it",
        best.value, baseline,
    )
    return SearchResult(params, float(best.value), float(baseline), len(done), seconds, folds, stopped, budget)
