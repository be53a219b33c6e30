"""Reasons stay faithful: the fast contributions are exact TreeSHAP (LightGBM's pred_contrib)."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from propensity._model import to_model_frame
from propensity.scoring._reasons import FieldIndex, top_reasons
from propensity.scoring._treeshap import TreeExplainer, explainer_for
from tests.scoring._scoring_case import ScoringCase, scoring_case


@pytest.fixture(scope="module")
def case() -> ScoringCase:
    return scoring_case()


@pytest.fixture(scope="module")
def frame(case: ScoringCase) -> pd.DataFrame:
    """Every lead of the training set (all cutoffs): a few thousand rows with missing values and categories."""
    return to_model_frame(case.model.spec, case.training_set.frame)


def _assert_fast_equals_exact(booster: lgb.Booster, frame: pd.DataFrame) -> None:
    """The fast path alone gives pred_contrib's contributions: no row needed recomputing."""
    exact = np.asarray(booster.predict(frame, pred_contrib=True))
    result = TreeExplainer(booster).explain(frame)
    assert result.fast
    assert result.recomputed == 0, f"{result.recomputed} of {len(frame)} rows did not add up and were recomputed"
    assert result.values.shape == exact.shape
    assert np.abs(result.values - exact).max() < 1e-9


def test_fast_contributions_equal_exact_treeshap(case: ScoringCase, frame: pd.DataFrame) -> None:
    _assert_fast_equals_exact(case.model.booster, frame)


def test_a_broken_fast_path_fails_the_fidelity_check(case: ScoringCase, frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    import propensity.scoring._treeshap as treeshap

    monkeypatch.setattr(treeshap, "_add_tree", lambda *args: None)  # every tree contributes nothing
    result = TreeExplainer(case.model.booster).explain(frame)
    # the safety net still returns exact values, so only the count can tell the fast path broke
    assert np.abs(result.values - case.model.booster.predict(frame, pred_contrib=True)).max() < 1e-9
    assert result.recomputed == len(frame)
    with pytest.raises(AssertionError, match=r"rows did not add up and were recomputed"):
        _assert_fast_equals_exact(case.model.booster, frame)


def test_top_three_fields_agree_with_exact_treeshap_grouped_the_same_way(case: ScoringCase, frame: pd.DataFrame) -> None:
    spec = case.model.spec
    index = FieldIndex(spec)
    exact = np.asarray(case.model.booster.predict(frame, pred_contrib=True))
    fast = explainer_for(case.model.booster).contributions(frame)

    def top3(contrib: np.ndarray) -> np.ndarray:
        grouped = index.group(contrib)
        order = np.argsort(-np.abs(grouped), axis=1, kind="stable")[:, :3]
        return order * np.where(np.take_along_axis(grouped, order, axis=1) >= 0, 1, -1)  # field and sign

    agree = (top3(fast) == top3(exact)).all(axis=1).mean()
    assert len(frame) > 5000
    assert agree >= 0.999
    assert top_reasons(spec, frame, fast, index=index) == top_reasons(spec, frame, exact, index=index)


@pytest.mark.parametrize("zero_as_missing", [False, True])
def test_fast_contributions_follow_lightgbm_on_missing_values_and_categories(zero_as_missing: bool) -> None:
    rng = np.random.default_rng(3)
    n = 3000
    x = pd.DataFrame(
        {
            "a": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
            "b": np.where(rng.random(n) < 0.3, 0.0, rng.exponential(size=n)),
            "c": pd.Categorical(rng.choice(["x", "y", "z", None], size=n), categories=["x", "y", "z"]),
        }
    )
    y = (np.nan_to_num(x["a"].to_numpy()) + x["b"].to_numpy() + (x["c"] == "y").to_numpy() + rng.normal(size=n) > 1).astype(int)
    params = {"objective": "binary", "num_leaves": 15, "verbosity": -1, "zero_as_missing": zero_as_missing, "min_data_per_group": 5, "cat_smooth": 1}
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=30)
    _assert_fast_equals_exact(booster, x)


def test_an_unsupported_model_falls_back_to_pred_contrib() -> None:
    rng = np.random.default_rng(4)
    x = pd.DataFrame({"a": rng.normal(size=600), "b": rng.normal(size=600)})
    y = np.digitize(x["a"] + rng.normal(size=600), [-0.5, 0.5])  # three classes: not a binary booster
    booster = lgb.train({"objective": "multiclass", "num_class": 3, "verbosity": -1}, lgb.Dataset(x, y), num_boost_round=5)
    explainer = TreeExplainer(booster)
    assert not explainer.supported
    result = explainer.explain(x)
    assert not result.fast and result.recomputed == 0
    assert np.array_equal(result.values, booster.predict(x, pred_contrib=True))
