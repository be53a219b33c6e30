"""The report's validation rows are explained a chunk at a time from the polars features, never from a
whole pandas model frame: the rows, contributions, reasons and values are those of the whole frame."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import polars as pl
import pytest

from propensity._config import GradeConfig
from propensity._model import PlattCalibration, PropensityModel, to_model_frame
from propensity.features._spec import FeatureDef, FeatureSpec
from propensity.lifecycle._drift import reference_profile
from propensity.reports import _data
from propensity.scoring._grades import GradeScale

LEVELS = ("Retail", "Software", "Banking")


def _spec() -> FeatureSpec:
    return FeatureSpec(
        features=(
            FeatureDef("n_web_visit_30d", "count", "web_visit", event_type="web_visit", window=30),
            FeatureDef("n_web_visit_90d", "count", "web_visit", event_type="web_visit", window=90),
            FeatureDef("industry", "category", "industry", source="accounts"),
        ),
        event_types=("web_visit",),
        high_intent_events=(),
        categories={"industry": LEVELS},
    )


def _features(n: int, seed: int) -> pl.DataFrame:
    """Float32 counts with nulls and NaN, industries with nulls and a level the model never saw."""
    rng = np.random.default_rng(seed)
    short = rng.poisson(2, n).astype(np.float32)
    short[rng.random(n) < 0.1] = np.nan
    industry = rng.choice([*LEVELS, "Mining", None], n, p=[0.3, 0.3, 0.2, 0.1, 0.1])
    return pl.DataFrame(
        {
            "n_web_visit_30d": pl.Series(short, dtype=pl.Float32),
            "n_web_visit_90d": pl.Series(short + rng.poisson(3, n), dtype=pl.Float32).scatter(np.flatnonzero(rng.random(n) < 0.1), None),
            "industry": pl.Series(industry, dtype=pl.String),
        }
    )


def _model(spec: FeatureSpec) -> PropensityModel:
    train = _features(3000, 0)
    x = to_model_frame(spec, train)
    y = (np.nan_to_num(x["n_web_visit_30d"].to_numpy()) + (x["industry"] == "Software") * 2 + np.random.default_rng(1).normal(0, 1, len(x)) > 3).astype(int)
    booster = lgb.train({"objective": "binary", "num_leaves": 7, "verbosity": -1, "min_data_in_leaf": 20}, lgb.Dataset(x, y), 30)
    return PropensityModel(booster, spec, PlattCalibration(1.0, 0.0), {})


def test_validation_rows_explained_in_chunks_from_polars_equal_the_whole_model_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec()
    model = _model(spec)
    feats = _features(1000, 2)
    frame = to_model_frame(spec, feats)
    scores = model.calibration.apply(model.margin(frame))
    rows = pl.DataFrame({"contact_id": [f"c{i}" for i in range(1000)], "label": np.zeros(1000, dtype=np.int8), "score": scores})
    grades = GradeScale.from_scores(scores, GradeConfig())

    whole, whole_fields = _data.explain_validation(model, rows, frame, grades)  # one chunk, the pandas model frame
    monkeypatch.setattr(_data, "EXPLAIN_CHUNK_ROWS", 301)  # four chunks, the last one short
    chunked, chunked_fields = _data.explain_validation(model, rows, feats, grades)

    assert chunked_fields == whole_fields
    assert chunked.columns == whole.columns
    assert chunked.equals(whole)
    assert chunked["value:industry"].null_count() == int(feats["industry"].is_in(LEVELS).fill_null(False).not_().sum())  # missing and unseen
    assert chunked["reasons"].str.len_chars().min() > 0


def test_the_drift_reference_read_a_column_at_a_time_equals_the_model_frames() -> None:
    spec = _spec()
    feats = _features(2000, 3)
    scores = np.linspace(0, 1, 2000)
    from_polars = reference_profile(spec, feats, scores)
    assert from_polars == reference_profile(spec, to_model_frame(spec, feats), scores)
    assert set(from_polars["features"]["industry"]["shares"]) == {*LEVELS, "__missing__"}  # the unseen level counts as missing
