"""The gate that decides whether a model goes into service: beat the points, be calibrated, clear the
floors, and (for a challenger) do not lose to the champion on leads neither was fitted on."""

from __future__ import annotations

from datetime import datetime

import pytest

from propensity._config import GateConfig
from propensity.training._gate import judge, last_fitted_cutoff

POINTS = {"roc_auc": 0.66, "capture_10": 0.25}


def _figures(**over: float) -> dict[str, float]:
    base = {"pr_auc": 0.05, "capture_10": 0.45, "ece": 0.004, "roc_auc": 0.80, "auc_z": 9.0, "pr_lift": 2.5}
    return {**base, **over}


def test_a_first_model_that_beats_the_points_by_the_margins_is_promoted_and_says_which_rule() -> None:
    # the case: 2.5x PR AUC lift, which the old 3x floor refused although it beat the points
    decision = judge(_figures(), None, GateConfig(), points=POINTS)
    assert decision.promote is True
    assert decision.rule.startswith("first model: beats the hand-tuned points by the [gate] margins")
    names = [c.name for c in decision.checks]
    assert names[:2] == ["ROC AUC vs points", "top-10% capture vs points"]


@pytest.mark.parametrize(
    ("over", "failed"),
    [
        ({"roc_auc": 0.67}, "ROC AUC vs points"),  # above the points, but by less than the 0.02 margin
        ({"capture_10": 0.24}, "top-10% capture vs points"),
        ({"ece": 0.05}, "calibration (ECE)"),
    ],
)
def test_a_model_that_does_not_beat_the_points_or_is_uncalibrated_is_refused_by_that_rule(over: dict[str, float], failed: str) -> None:
    decision = judge(_figures(**over), None, GateConfig(), points=POINTS)
    assert decision.promote is False
    assert [c.name for c in decision.failed] == [failed]
    assert decision.rule.startswith(f"refused by '{failed}'")


def test_the_floors_are_configuration_a_team_can_change() -> None:
    assert judge(_figures(pr_lift=2.5), None, GateConfig(min_pr_lift=3.0), points=POINTS).promote is False
    assert judge(_figures(pr_lift=2.5), None, GateConfig(), points=POINTS).promote is True
    assert judge(_figures(roc_auc=0.67), None, GateConfig(points_auc_margin=0.0), points=POINTS).promote is True


def test_a_challenger_is_compared_with_the_champion_on_the_basis_given() -> None:
    on_fresh = _figures(pr_auc=0.02)  # the challenger on the fresh cutoffs only
    decision = judge(_figures(), _figures(pr_auc=0.05), GateConfig(), points=POINTS, basis="fresh", challenger_on_basis=on_fresh)
    assert [c.name for c in decision.failed] == ["PR AUC vs champion"]
    assert decision.to_dict()["basis"] == "fresh"


def test_the_newest_cutoff_a_model_saw_reads_refitted_and_older_models() -> None:
    assert last_fitted_cutoff({"fitted_cutoffs": ["2025-01-01T00:00:00", "2025-06-01T00:00:00"]}) == datetime(2025, 6, 1)
    old = {"training_window": {"last_cutoff": "2025-03-01T00:00:00"}, "calibration_cutoffs": ["2025-07-01T00:00:00"]}
    assert last_fitted_cutoff(old) == datetime(2025, 7, 1)
    assert last_fitted_cutoff({}) is None
