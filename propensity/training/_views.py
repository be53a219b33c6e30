"""Fitting the fit and engagement views (`propensity.scoring._views`) beside the served model.

Each view is fitted on the same training rows, labels and settings as the served model, through the
same path (`fit_backtested`: the rolling-origin backtest, early stopping on the folds' mean held-out
log loss, Platt calibration out of time, then LightGBM refitted on every matured cutoff), on some of
the spec's features:

* fit: the PROFILE features (who the lead and its account are);
* engagement: the BEHAVIOUR features that measure the contact's own engagement (a non-zero
  `FeatureDef.engagement_sign`), with LightGBM monotone constraints in those signs, so more engagement
  never lowers it. Fitted freely, a model of the label learns that a student's kind of heavy
  engagement never converts and calls it unengaged: the cell could not tell a heavy engager who does
  not fit from a quiet lead. Account aggregates are left out too: a lead without an account has none,
  and the missing value would say who the lead is rather than what it did.

No search of its own (the served model's settings are reused), and the negatives are thinned to
`[views] negatives_per_positive` per positive (weighted, so the calibration stays exact): two cheap
backtests and refits.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from propensity._config import Config
from propensity._model import category_levels, to_model_matrix
from propensity.features._spec import BEHAVIOUR, PROFILE, FeatureSpec
from propensity.scoring._grades import GradeScale
from propensity.scoring._views import FitEngagement, View
from propensity.training._backtest import fit_backtested
from propensity.training._fit import binned_dataset, frame_rows
from propensity.training._labels import SplitPlan
from propensity.training._sampling import row_weights, thin_negatives
from propensity.training._training_set import rows_at

__all__ = ["fit_views", "view_features"]

log = logging.getLogger("propensity")


def view_features(spec: FeatureSpec) -> dict[str, list[str]]:
    """The features of each view, in the spec's order."""
    return {
        "fit": spec.names_of(PROFILE),
        "engagement": [f.name for f in spec.features if f.family == BEHAVIOUR and f.engagement_sign != 0],
    }


def fit_views(
    spec: FeatureSpec, frame: pl.DataFrame, y: np.ndarray, keys: pl.DataFrame, plan: SplitPlan, params: dict[str, Any],
    kept: np.ndarray, rate: float, config: Config,
) -> tuple[FitEngagement | None, dict[str, np.ndarray]]:
    """(the views, their out-of-time probabilities on the backtest's judged rows by name), given the
    training set's features `frame`, labels, `keys` (contact_id, cutoff of each row), settings and the rows it
    was fitted on (`kept`, at negative rate `rate`); (None, {}) when a view would have no feature
    (e.g. an export without events)."""
    families = view_features(spec)
    empty = [name for name, cols in families.items() if not cols]
    if empty:
        log.info("no %s features: the scores have no fit and engagement views", " or ".join(
            {"fit": "profile", "engagement": "engagement"}[n] for n in empty))
        return None, {}
    thinned, thinned_rate = thin_negatives(keys, y, kept, rate, config.views.negatives_per_positive, config.model.seed)
    weight = row_weights(y, thinned, thinned_rate)
    cutoffs = keys["cutoff"].to_numpy()
    signs = {f.name: f.engagement_sign for f in spec.features}
    views: dict[str, View] = {}
    oot: dict[str, np.ndarray] = {}
    started = time.perf_counter()
    for name, cols in families.items():
        sub = replace(spec, features=tuple(f for f in spec.features if f.name in cols))
        data = binned_dataset(frame_rows(sub, frame), y, sub.categorical, weight, names=sub.names, levels=category_levels(sub))
        view_params = {**params, "monotone_constraints": [signs[c] for c in cols]} if name == "engagement" else params
        booster, bt = fit_backtested(
            view_params, data, lambda at, sub=sub: to_model_matrix(sub, rows_at(frame, at, sub.names)), y, cutoffs, plan,
            rounds=config.model.num_boost_round, patience=config.model.early_stopping_rounds, kept=thinned,
        )
        views[name] = View(name, booster, tuple(cols), bt.calibration, GradeScale.from_scores(bt.score, config.grades), bt.best_iteration)
        oot[name] = bt.score
    log.info("views: fit (%d features) and engagement (%d features) fitted on %s rows in %.0f s",
             len(families["fit"]), len(families["engagement"]), f"{int(thinned.sum()):,}", time.perf_counter() - started)
    return FitEngagement(views["fit"], views["engagement"]), oot
