"""The trained model: a LightGBM booster, its feature specification and its calibration.

Saved as plain files only (LightGBM's native text model and JSON), never a pickle, so loading a
model from a registry executes no code from it. MODEL_FILES are required; the fit and engagement
views, when trained, are optional files beside them (`propensity.scoring._views`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
import polars as pl

from propensity.features._spec import FeatureSpec

if TYPE_CHECKING:
    import lightgbm as lgb

__all__ = ["PlattCalibration", "PropensityModel", "category_levels", "to_model_frame", "to_model_matrix", "MODEL_FILES"]

MODEL_FILES = ("booster.txt", "feature_spec.json", "calibration.json", "metadata.json")


@dataclass(frozen=True)
class PlattCalibration:
    """p = sigmoid(a * margin + b), fitted on held-out time; monotone, so ranks are unchanged."""

    a: float = 1.0
    b: float = 0.0

    @classmethod
    def fit(cls, margin: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> PlattCalibration:
        from sklearn.linear_model import LogisticRegression

        if len(np.unique(y)) < 2:
            return cls()
        lr = LogisticRegression(C=1e6, max_iter=1000)
        lr.fit(np.asarray(margin, dtype=np.float64).reshape(-1, 1), y, sample_weight=weight)
        return cls(float(lr.coef_[0, 0]), float(lr.intercept_[0]))

    def apply(self, margin: np.ndarray) -> np.ndarray:
        z = self.a * np.asarray(margin, dtype=np.float64) + self.b
        return 1.0 / (1.0 + np.exp(-z))


def _check_columns(spec: FeatureSpec, features: pl.DataFrame | pd.DataFrame) -> None:
    missing = [n for n in spec.names if n not in features.columns]
    if missing:
        raise ValueError(
            f"feature table does not match the model's feature specification: missing {', '.join(missing[:5])}"
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        )


def category_levels(spec: FeatureSpec) -> list[list[str]]:
    """The training levels of each categorical feature, in column order: what LightGBM records as a
    pandas-fitted booster's `pandas_categorical` (a level's code is its position here)."""
    return [list(spec.categories.get(name, ())) for name in spec.categorical]


def to_model_matrix(spec: FeatureSpec, features: pl.DataFrame, chunk_rows: int = 100_000) -> np.ndarray:
    """The LightGBM input as one float32 matrix (rows x `spec.names`, C order), filled a chunk of rows
    at a time: numbers as float32, a category as the code LightGBM gives `to_model_frame`'s categorical
    column (its level's position in the training levels; missing or unseen: NaN). The same values
    LightGBM bins and predicts from a model frame, without a pandas copy of a large training set."""
    _check_columns(spec, features)
    exprs = _model_columns(spec, pl.Float32(), None)
    out = np.empty((features.height, len(exprs)), dtype=np.float32)
    for start in range(0, features.height, chunk_rows):
        out[start : start + chunk_rows] = features.slice(start, chunk_rows).select(exprs).to_numpy(order="c")
    return out


def to_model_frame(spec: FeatureSpec, features: pl.DataFrame | pd.DataFrame) -> pd.DataFrame:
    """The exact LightGBM input: spec columns in order, categories with the training levels."""
    _check_columns(spec, features)
    if isinstance(features, pl.DataFrame):
        return _polars_model_frame(spec, features)
    frame = features.loc[:, spec.names].copy()
    for name in spec.categorical:
        levels = list(spec.categories.get(name, ()))
        values = frame[name].astype("object")
        frame[name] = pd.Categorical(values.where(values.isin(levels), None), categories=levels)  # missing or unseen: NaN
    for f in spec.features:
        if f.kind != "category":
            frame[f.name] = pd.to_numeric(frame[f.name], errors="coerce").astype("float32")
    return frame.loc[:, spec.names]


def _model_columns(spec: FeatureSpec, code_dtype: pl.DataType, missing: int | None) -> list[pl.Expr]:
    """Each feature as the model reads it, in column order: numbers as float32, a category as its
    level's position in the training levels (`missing` when absent or unseen)."""
    exprs = []
    for f in spec.features:
        if f.kind != "category":
            exprs.append(pl.col(f.name).cast(pl.Float32))
            continue
        levels = list(spec.categories.get(f.name, ()))
        text = pl.col(f.name).cast(pl.String)
        if levels:
            codes = text.replace_strict(levels, pl.Series(range(len(levels)), dtype=code_dtype), default=missing, return_dtype=code_dtype)
        else:
            codes = pl.when(text.is_null() & text.is_not_null()).then(pl.lit(0, dtype=code_dtype)).otherwise(pl.lit(missing, dtype=code_dtype))
        exprs.append((codes if missing is None else codes.fill_null(missing)).alias(f.name))
    return exprs


def model_columns(spec: FeatureSpec, features: pl.DataFrame | pd.DataFrame) -> Iterator[tuple[str, pd.Series]]:
    """`to_model_frame`'s columns one at a time, in column order: a polars frame of a million judged
    leads is never turned into a whole pandas frame (the drift reference reads a column at a time)."""
    if isinstance(features, pd.DataFrame):
        frame = to_model_frame(spec, features)
        yield from ((name, frame[name]) for name in spec.names)
        return
    _check_columns(spec, features)
    yield from _polars_columns(spec, features)


def _polars_columns(spec: FeatureSpec, features: pl.DataFrame) -> Iterator[tuple[str, pd.Series]]:
    """The model input's columns of a polars frame, one at a time, from float32 numbers and category
    codes (`pd.Categorical.from_codes`): no Python object per value."""
    for f, expr in zip(spec.features, _model_columns(spec, pl.Int32(), -1), strict=True):
        values = features.select(expr).to_series().to_numpy()
        if f.kind == "category":
            yield f.name, pd.Series(pd.Categorical.from_codes(values, categories=list(spec.categories.get(f.name, ()))), name=f.name)
        else:
            yield f.name, pd.Series(values, name=f.name)


def _polars_model_frame(spec: FeatureSpec, features: pl.DataFrame) -> pd.DataFrame:
    """`to_model_frame` of a polars frame, built in column order from float32 numbers and category
    codes (`pd.Categorical.from_codes`): no Python object per value, no copy of the whole frame (on a
    backtest of 700,000 leads the object columns made the training's peak memory)."""
    return pd.DataFrame(dict(_polars_columns(spec, features)))


@dataclass
class PropensityModel:
    """A model of an event export: features at a cutoff. `KIND` is recorded as the metadata's `mode`."""

    KIND: ClassVar[str] = "history"
    booster: lgb.Booster
    spec: FeatureSpec
    calibration: PlattCalibration
    metadata: dict[str, Any] = field(default_factory=dict)
    # the fit and engagement views beside the score (propensity.scoring._views.FitEngagement), or None:
    # a model trained before them, or without profile or behaviour features, scores without them
    views: Any = None

    def margin(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.booster.predict(frame, raw_score=True), dtype=np.float64)

    def predict_proba(self, features: pl.DataFrame | pd.DataFrame) -> np.ndarray:
        """Calibrated probability of a positive outcome within the horizon."""
        return self.calibration.apply(self.margin(to_model_frame(self.spec, features)))

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """Exact TreeSHAP contributions on the margin; the last column is the expected value."""
        return np.asarray(self.booster.predict(frame, pred_contrib=True), dtype=np.float64)

    # ------------------------------------------------------------- storage
    def save(self, directory: str | Path) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(d / "booster.txt"))
        (d / "feature_spec.json").write_text(self.spec.to_json(), encoding="utf-8")
        (d / "calibration.json").write_text(
            json.dumps({"method": "platt", "a": self.calibration.a, "b": self.calibration.b}), encoding="utf-8"
        )
        (d / "metadata.json").write_text(json.dumps(self.metadata, indent=2, sort_keys=True, default=str), encoding="utf-8")
        if self.views is not None:
            self.views.save(d)  # plain files beside these (VIEW_FILES of propensity.scoring._views)
        return d

    @classmethod
    def load(cls, directory: str | Path) -> PropensityModel:
        """The model saved in `directory`, as the type its metadata's `mode` names (see `read_model`)."""
        import lightgbm as lgb

        d = Path(directory)
        missing = [f for f in MODEL_FILES if not (d / f).is_file()]
        if missing:
            raise FileNotFoundError(f"{d}: not a propensity model (missing {', '.join(missing)})")
        booster = lgb.Booster(model_file=str(d / "booster.txt"))
        spec = FeatureSpec.from_json((d / "feature_spec.json").read_text(encoding="utf-8"))
        cal = json.loads((d / "calibration.json").read_text(encoding="utf-8"))
        meta = json.loads((d / "metadata.json").read_text(encoding="utf-8"))
        return cls(booster, spec, PlattCalibration(float(cal["a"]), float(cal["b"])), meta)
