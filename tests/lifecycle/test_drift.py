"""Drift: the Population Stability Index of features and score against the training reference."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from propensity.features._spec import FeatureDef, FeatureSpec
from propensity.lifecycle._drift import (
    ALERT,
    WARN,
    DriftReport,
    check_drift,
    drift_table,
    psi,
    psi_status,
    reference_profile,
)


# ------------------------------------------------------------------ the index itself
def test_psi_of_identical_shares_is_zero() -> None:
    assert psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0


def test_psi_follows_the_textbook_formula() -> None:
    # (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5)
    assert psi([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.25 * np.log(2) + 0.25 * np.log(1.5))


def test_an_empty_bin_does_not_make_psi_infinite() -> None:
    value = psi([0.5, 0.5, 0.0], [0.5, 0.4, 0.1])
    assert np.isfinite(value) and value > ALERT


@pytest.mark.parametrize(("value", "status"), [(0.0, "ok"), (0.099, "ok"), (0.1, "warn"), (0.249, "warn"), (0.25, "alert"), (3.0, "alert")])
def test_status_thresholds_are_0_1_warn_and_0_25_alert(value: float, status: str) -> None:
    assert (WARN, ALERT) == (0.1, 0.25)
    assert psi_status(value) == status


def _spec() -> FeatureSpec:
    return FeatureSpec(
        features=(
            FeatureDef("n_visits", "count", "web_visit", event_type="web_visit", window=30),
            FeatureDef("industry", "category", "industry", source="accounts"),
        ),
        event_types=("web_visit",),
        high_intent_events=(),
        categories={"industry": ("Retail", "Software")},
    )


def _frame(visits: np.ndarray, industry: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({"n_visits": visits.astype("float32"), "industry": pd.Categorical(industry, categories=["Retail", "Software"])})


def test_numeric_bins_are_deciles_with_missing_values_in_a_bin_of_their_own() -> None:
    visits = np.r_[np.arange(100, dtype=float), [np.nan] * 25]
    ref = reference_profile(_spec(), _frame(visits, ["Retail"] * 125), np.linspace(0, 1, 125))
    prof = ref["features"]["n_visits"]
    assert len(prof["edges"]) == 9
    assert prof["shares"][-1] == pytest.approx(0.2)  # 25 of 125 missing
    assert sum(prof["shares"]) == pytest.approx(1.0)
    assert ref["features"]["industry"] == {"kind": "category", "shares": {"Retail": 1.0}}


def test_a_category_level_unseen_in_the_reference_counts_as_drift() -> None:
    rng = np.random.default_rng(0)
    visits = rng.poisson(3, 1000).astype(float)
    ref = reference_profile(_spec(), _frame(visits, ["Retail"] * 500 + ["Software"] * 500), rng.random(1000))
    same = drift_table(ref, _spec(), _frame(visits, ["Software"] * 500 + ["Retail"] * 500), rng.random(1000))
    moved = drift_table(ref, _spec(), _frame(visits, [None] * 600 + ["Retail"] * 400), rng.random(1000))
    by = lambda t: dict(zip(t["name"], t["psi"]))  # noqa: E731
    assert by(same)["industry"] == pytest.approx(0.0)
    assert by(moved)["industry"] > ALERT
    assert moved["name"].to_list()[0] == "score"  # the score first, then features by PSI


# ------------------------------------------------------------------ on a trained model (conftest's `trained`)

def _valid_frame(trained: dict[str, Any]) -> pd.DataFrame:
    from propensity._model import to_model_frame
    from propensity.features._builder import FeatureBuilder

    model = trained["model"]
    pairs = trained["result"].validation.select("contact_id", "cutoff")
    feats = FeatureBuilder.from_spec(model.spec).transform(trained["export"], pairs)
    feats = pairs.join(feats, on=["contact_id", "cutoff"], how="left", maintain_order="left")
    return to_model_frame(model.spec, feats)


@pytest.mark.slow
def test_training_stores_a_reference_for_the_score_and_every_feature(trained: dict[str, Any]) -> None:
    model = trained["model"]
    ref = model.metadata["reference"]
    assert set(ref["features"]) == set(model.spec.names)
    assert ref["rows"] == trained["result"].validation.height
    assert sum(ref["score"]["shares"]) == pytest.approx(1.0)
    kinds = {name: p["kind"] for name, p in ref["features"].items()}
    assert {n for n, k in kinds.items() if k == "category"} == set(model.spec.categorical)


@pytest.mark.slow
def test_a_resample_of_the_training_population_stays_below_warn(trained: dict[str, Any]) -> None:
    model = trained["model"]
    frame = _valid_frame(trained)
    rng = np.random.default_rng(1)
    rows = rng.integers(0, len(frame), size=len(frame))
    sample = frame.iloc[rows].reset_index(drop=True)
    # the reference holds the backtest's out-of-time scores of these leads (the served model was refitted
    # on them, so its own scores here would be in-sample): the resample carries the same scores
    scores = trained["result"].validation["score"].to_numpy()[rows]
    table = drift_table(model.metadata["reference"], model.spec, sample, scores)
    assert table.height == len(model.spec.names) + 1
    assert table["psi"].max() < WARN, table.head(3)
    assert set(table["status"]) == {"ok"}


@pytest.mark.slow
def test_a_planted_engagement_shift_is_an_alert(trained: dict[str, Any]) -> None:
    """Every open lead suddenly gets 6 web visits in the week before the as-of date."""
    from propensity.scoring._batch import score_leads

    export, model = trained["export"], trained["model"]
    as_of = datetime(2026, 4, 1)
    scores = score_leads(export, model, model_version="1", as_of=as_of).scores
    planted = pl.DataFrame(
        {
            "contact_id": np.repeat(scores["contact_id"].to_numpy(), 6),
            "occurred_at": [as_of - timedelta(days=1 + i % 6, hours=3) for i in range(6 * scores.height)],
            "event_type": ["web_visit"] * (6 * scores.height),
        }
    ).with_columns(pl.col("occurred_at").cast(pl.Datetime("us")))
    shifted = dataclasses.replace(export, events=pl.concat([export.events, planted.select(export.events.columns)], how="vertical_relaxed"))
    base = check_drift(export, model, scores, as_of)
    report = check_drift(shifted, model, score_leads(shifted, model, model_version="1", as_of=as_of).scores, as_of)
    assert isinstance(report, DriftReport) and isinstance(base, DriftReport)
    visits = [f.name for f in model.spec.features if f.event_type == "web_visit" and f.kind == "count" and (f.window or 0) <= 30]
    assert visits, "the model has web-visit count features"
    shifted_psi = dict(zip(report.table["name"], report.table["psi"]))
    base_psi = dict(zip(base.table["name"], base.table["psi"]))
    for name in visits:
        assert shifted_psi[name] > ALERT > base_psi[name], name
    assert report.summary().startswith("drift ALERT: ")
    assert report.counts()["alert"] >= len(visits)


def test_a_model_without_reference_is_not_checked(tiny_export) -> None:  # type: ignore[no-untyped-def]
    class Bare:
        metadata: dict[str, Any] = {}

    assert check_drift(tiny_export, Bare(), pl.DataFrame({"contact_id": ["C1"], "score": [0.1]}), datetime(2025, 4, 1)) is None


def _report(score_psi: float, features: list[tuple[str, str, float]], weights: dict[str, float]) -> DriftReport:
    rows = [("score", "score", "score", score_psi)] + [(n, "numeric", f, v) for n, f, v in features]
    table = pl.DataFrame(rows, schema={"name": pl.String, "kind": pl.String, "field": pl.String, "psi": pl.Float64}, orient="row")
    table = table.with_columns(pl.col("psi").map_elements(psi_status, return_dtype=pl.String).alias("status"))
    return DriftReport(table, datetime(2026, 6, 30), 100, weights)


def test_a_feature_the_model_barely_uses_warns_but_does_not_alert() -> None:
    weights = {"first_touch": 0.01, "web_visit": 0.30, "recency": 0.02}
    report = _report(0.002, [("days_since_first_event", "first_touch", 2.9), ("days_since_last_event", "recency", 0.34)], weights)
    assert report.level == "warn"
    assert report.summary().startswith("drift warn: score PSI 0.002 (ok); features 2 alert, 0 warn of 2 (in alert: 3% of the model's weight)")


def test_features_carrying_a_fifth_of_the_weight_or_a_moved_score_alert() -> None:
    weights = {"first_touch": 0.01, "web_visit": 0.19, "recency": 0.02}
    heavy = _report(0.01, [("n_web_visit_7d", "web_visit", 0.5), ("days_since_first_event", "first_touch", 0.3)], weights)
    assert heavy.weight_in(("alert",)) == pytest.approx(0.20) and heavy.level == "ALERT"
    assert _report(0.30, [("days_since_first_event", "first_touch", 0.01)], weights).level == "ALERT"
    assert _report(0.05, [("days_since_first_event", "first_touch", 0.01)], weights).level == "ok"


def test_without_driver_weights_any_feature_alert_is_an_alert() -> None:
    assert _report(0.0, [("days_since_first_event", "first_touch", 0.3)], {}).level == "ALERT"
