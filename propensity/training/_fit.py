"""The one fit path: LightGBM's parameters, boosting with early stopping and a wall-clock stop,
truncation to the best iteration, and Platt calibration. Event training (the backtest and the refit),
the search and flat-table training all fit through these functions.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from propensity._config import Config
from propensity._model import PlattCalibration, to_model_matrix
from propensity.features._spec import FeatureSpec

__all__ = ["OutOfTime", "binned_dataset", "boost", "calibrate", "cv_boost", "frame_rows", "lgb_params"]


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
        "num_threads": m.num_threads or os.cpu_count() or 1,  # 0: every core
        "verbosity": -1,
    }
    params.update(overrides)
    return params


def frame_rows(spec: FeatureSpec, frame: pl.DataFrame, batch_rows: int = 65_536) -> Any:
    """The training set's model input as a `lightgbm.Sequence`: LightGBM reads it a batch of rows at a
    time (`to_model_matrix`), so the whole float32 matrix never exists at once. Its random row reads
    (the binning sample, in increasing order) come from one cached batch."""
    import lightgbm as lgb

    class Rows(lgb.Sequence):  # type: ignore[misc]
        batch_size = batch_rows

        def __init__(self) -> None:
            self._start, self._block = 0, np.empty((0, len(spec.names)), dtype=np.float32)

        def __len__(self) -> int:
            return frame.height

        def __getitem__(self, idx: Any) -> np.ndarray:
            if isinstance(idx, slice):
                start, stop, _ = idx.indices(frame.height)
                return to_model_matrix(spec, frame.slice(start, max(stop - start, 0)))
            i = int(idx)
            if not self._start <= i < self._start + len(self._block):
                self._start = i - i % self.batch_size
                self._block = self[self._start : self._start + self.batch_size]
            return self._block[i - self._start].astype(np.float64)  # LightGBM bins its sample from doubles

    return Rows()


def binned_dataset(
    x: Any, y: np.ndarray, categorical: list[str], weight: np.ndarray | None = None,
    *, names: list[str] | None = None, levels: list[list[str]] | None = None,
) -> Any:
    """One LightGBM Dataset for the whole training set, binned once and shared by every fold.

    `frame_rows` (with the column `names` and the categories' training `levels`, `category_levels`)
    is read a batch at a time and let go once binned (`free_raw_data`): the folds' and the refit's
    subsets are taken from the binned data, and every booster records the levels as a pandas-fitted
    one does. A pandas model frame is kept (small sets, tests)."""
    import lightgbm as lgb

    streamed = not isinstance(x, pd.DataFrame)
    data = lgb.Dataset(
        x, y, weight=weight, categorical_feature=categorical or "auto", free_raw_data=streamed,
        feature_name=names if streamed and names is not None else "auto",
        params={"feature_pre_filter": False, "verbosity": -1},
    )
    data = data.construct()
    if streamed:
        data.pandas_categorical = levels or []
    return data


def cv_boost(
    params: dict[str, Any], data: Any, folds: list[tuple[np.ndarray, np.ndarray]], rounds: int, patience: int,
    *, deadline: float | None = None,
) -> tuple[Any, int, float]:
    """`lightgbm.cv` on the given folds, early-stopped on the mean held-out log loss: (CVBooster,
    best iteration, mean log loss there). Past `deadline` (time.monotonic()), the boosting stops
    within one round with `OutOfTime`."""
    import lightgbm as lgb

    callbacks = [lgb.early_stopping(patience, verbose=False)]
    if deadline is not None:
        callbacks.append(_stop_at(deadline))
    result = lgb.cv(
        params,
        data,
        num_boost_round=rounds,
        folds=[(fit, judged) for fit, judged in folds],
        callbacks=callbacks,
        return_cvbooster=True,
        eval_train_metric=False,
    )
    curve = result["valid binary_logloss-mean"]
    best = len(curve)
    return result["cvbooster"], best, float(curve[-1])


def boost(
    params: dict[str, Any], train_set: Any, rounds: int, *, valid_set: Any = None, patience: int | None = None,
    deadline: float | None = None,
) -> tuple[Any, int]:
    """`lightgbm.train` for `rounds`, early-stopped on `valid_set` when given (then truncated to the
    best iteration): (booster, trees). The booster returned is read back from its model text: it holds
    the trees it predicts with and nothing of the training (the binned rows and their running scores
    would otherwise live as long as the model)."""
    import lightgbm as lgb

    callbacks = []
    if valid_set is not None and patience is not None:
        callbacks.append(lgb.early_stopping(patience, verbose=False))
    if deadline is not None:
        callbacks.append(_stop_at(deadline))
    valid = {"valid_sets": [valid_set], "valid_names": ["stop"]} if valid_set is not None else {}
    booster = lgb.train(params, train_set, num_boost_round=rounds, callbacks=callbacks, **valid)
    best = booster.best_iteration or booster.current_iteration()
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=best)), int(best)


def calibrate(margin: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> PlattCalibration:
    """Platt scaling of raw margins against 0/1 outcomes (monotone: ranks are unchanged)."""
    return PlattCalibration.fit(margin, y, weight)


class OutOfTime(Exception):
    """The wall-clock budget ended while a model was boosting."""


def _stop_at(deadline: float) -> Any:
    import time

    def callback(env: Any) -> None:
        if time.monotonic() > deadline:
            raise OutOfTime(f"stopped at round {env.iteration}: the wall-clock budget ended")

    callback.order = 40  # type: ignore[attr-defined]
    return callback


