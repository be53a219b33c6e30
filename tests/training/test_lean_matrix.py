"""The training input is lean and changes nothing: features are read into float32 a batch of rows at a
time (no pandas copy of the training set, no whole matrix), LightGBM bins them once and lets them go,
and the model fitted on them is the model fitted on the pandas model frame, tree for tree, category
levels included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from propensity._config import Config
from propensity._model import category_levels, to_model_frame, to_model_matrix
from propensity.features._spec import FeatureDef, FeatureSpec


def _spec() -> FeatureSpec:
    return FeatureSpec(
        features=(
            FeatureDef("n_visits", "count", "events", "visit", 30),
            FeatureDef("industry", "category", "industry"),
            FeatureDef("days_since", "recency", "events"),
        ),
        event_types=("visit",),
        high_intent_events=(),
        categories={"industry": ("retail", "software")},
    )


def test_the_matrix_codes_a_category_as_lightgbm_codes_the_model_frame() -> None:
    spec = _spec()
    feats = pl.DataFrame(
        {
            "days_since": [1.5, None, 3.0, 4.0],
            "industry": ["software", None, "mining", "retail"],  # mining: a level unseen in training
            "n_visits": pl.Series([3, 0, None, 7], dtype=pl.UInt32),
        }
    )
    x = to_model_matrix(spec, feats, chunk_rows=3)  # two chunks
    assert x.dtype == np.float32 and x.flags.c_contiguous and x.shape == (4, 3)
    frame = to_model_frame(spec, feats)
    codes = frame["industry"].cat.codes.replace(-1, np.nan).to_numpy(dtype=np.float64)
    np.testing.assert_array_equal(x[:, 1], codes.astype(np.float32))
    np.testing.assert_array_equal(x[:, 1], np.array([1, np.nan, np.nan, 0], dtype=np.float32))
    np.testing.assert_array_equal(x[:, 0], np.array([3, 0, np.nan, 7], dtype=np.float32))
    np.testing.assert_array_equal(x[:, 2], frame["days_since"].to_numpy())
    assert category_levels(spec) == [["retail", "software"]]


def test_the_model_frame_of_a_polars_table_is_the_one_of_its_pandas_copy() -> None:
    """The polars path builds categories from codes (no Python object per value): the same frame,
    dtypes and levels as the pandas path, unseen levels and nulls missing."""
    import pandas as pd

    spec = _spec()
    feats = pl.DataFrame(
        {"days_since": [1.5, None, 3.0, 4.0], "industry": ["software", None, "mining", "retail"], "n_visits": pl.Series([3, 0, None, 7], dtype=pl.UInt32)}
    )
    frame = to_model_frame(spec, feats)
    pd.testing.assert_frame_equal(frame, to_model_frame(spec, feats.to_pandas()))
    assert list(frame.columns) == spec.names and frame["industry"].cat.codes.tolist() == [1, -1, -1, 0]
    assert list(frame["industry"].cat.categories) == ["retail", "software"] and frame["n_visits"].dtype == np.float32


def test_a_feature_table_missing_a_column_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="missing days_since"):
        to_model_matrix(_spec(), pl.DataFrame({"n_visits": [1], "industry": ["retail"]}))


def test_the_model_fitted_on_the_matrix_is_the_model_fitted_on_the_model_frame(generated_crm: Path) -> None:
    from propensity.io._sources import read_export
    from propensity.training._fit import binned_dataset, boost, frame_rows, lgb_params
    from propensity.training._training_set import build_training_set

    ts = build_training_set(read_export(generated_crm, require_outcomes=True), Config())
    spec = ts.builder.spec_
    assert spec.categorical  # the case that matters: categories coded the same way
    y = ts.frame["label"].to_numpy()
    params = lgb_params(Config(), num_threads=1)
    # read 1,000 rows at a time: the binning sample's random reads cross many batches
    lean = binned_dataset(frame_rows(spec, ts.frame, batch_rows=1000), y, spec.categorical, names=spec.names, levels=category_levels(spec))
    assert lean.data is None  # the rows are let go once binned
    x = to_model_matrix(spec, ts.frame)
    frame = to_model_frame(spec, ts.frame)
    pandas = binned_dataset(frame, y, spec.categorical)
    a, _ = boost(params, lean.subset(np.arange(0, len(y), 2)), 30)  # a subset, as the folds and the refit take
    b, _ = boost(params, pandas.subset(np.arange(0, len(y), 2)), 30)
    assert a.model_to_string() == b.model_to_string()
    assert a.pandas_categorical == b.pandas_categorical == category_levels(spec)
    np.testing.assert_array_equal(a.predict(frame), b.predict(x))
