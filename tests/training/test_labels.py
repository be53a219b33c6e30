"""The time rules of the contract: open leads, the label window, the forward split."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from propensity._config import LabelConfig, SplitConfig
from propensity._errors import PropensityError
from propensity.training._labels import (
    label_pairs,
    month_starts,
    open_leads,
    plan_split,
)

T = datetime(2025, 4, 1)


def _labels(export, cutoffs, label=LabelConfig()):  # type: ignore[no-untyped-def]
    pairs = open_leads(export.contacts, export.outcomes, cutoffs, label)
    return dict(zip(pairs["contact_id"], label_pairs(pairs, export.outcomes, label)["label"]))


def test_contacts_converted_or_not_yet_created_are_not_open_leads(tiny_export) -> None:  # type: ignore[no-untyped-def]
    pairs = open_leads(tiny_export.contacts, tiny_export.outcomes, [T], LabelConfig())
    # C4 is created after T, C5 had its opportunity before T
    assert sorted(pairs["contact_id"]) == ["C1", "C2", "C3"]


def test_label_is_positive_outcome_within_horizon_after_cutoff(tiny_export) -> None:  # type: ignore[no-untyped-def]
    # C1: opportunity 44 days after T; C2: only an mql; C3: opportunity 105 days after T
    assert _labels(tiny_export, [T]) == {"C1": 1, "C2": 0, "C3": 0}


def test_label_window_bounds_are_open_at_cutoff_and_closed_at_horizon(tiny_export) -> None:  # type: ignore[no-untyped-def]
    # C1's opportunity on 2025-05-15: exactly 44 days after T; a 44-day horizon still counts it,
    # a 43-day horizon does not, and at the outcome instant itself C1 is no longer a lead.
    assert _labels(tiny_export, [T], LabelConfig(horizon_days=44))["C1"] == 1
    assert _labels(tiny_export, [T], LabelConfig(horizon_days=43))["C1"] == 0
    assert "C1" not in _labels(tiny_export, [datetime(2025, 5, 15)])


def test_positive_outcomes_are_configuration(tiny_export) -> None:  # type: ignore[no-untyped-def]
    label = LabelConfig(positive_outcomes=("mql",), horizon_days=90)
    # with mql as success, C2 is positive and C5 (no mql) is an open lead again
    got = _labels(tiny_export, [T], label)
    assert got == {"C1": 0, "C2": 1, "C3": 0, "C5": 0}


def test_month_starts_are_first_of_month_inside_range() -> None:
    got = month_starts(datetime(2025, 1, 15), datetime(2025, 4, 1))
    assert got == [datetime(2025, 2, 1), datetime(2025, 3, 1), datetime(2025, 4, 1)]


def test_backtest_folds_never_fit_a_label_window_that_reaches_their_judged_cutoff() -> None:
    plan = plan_split(datetime(2025, 1, 1), datetime(2026, 6, 30), LabelConfig(horizon_days=90), SplitConfig())
    # every month start from 2025-04-01 (60 days of history) whose 90 days passed by 2026-06-30
    assert plan.cutoffs[0] == datetime(2025, 4, 1) and plan.cutoffs[-1] == datetime(2026, 4, 1)
    assert len(plan.cutoffs) == 13
    assert plan.judged == (datetime(2026, 1, 1), datetime(2026, 2, 1), datetime(2026, 3, 1), datetime(2026, 4, 1))
    for fold in plan.folds:
        assert fold.fit[-1] + timedelta(days=90) <= fold.judged[0]
        # expanding window: everything whose label window closed before the judged cutoff
        assert fold.fit == tuple(t for t in plan.cutoffs if t + timedelta(days=90) <= fold.judged[0])
    assert [len(f.fit) for f in plan.folds] == [7, 8, 9, 10]


def test_the_newest_matured_cutoff_is_judged_and_fitted_by_the_served_model() -> None:
    plan = plan_split(datetime(2025, 1, 1), datetime(2026, 6, 30), LabelConfig(horizon_days=90), SplitConfig())
    assert plan.folds[-1].judged == (plan.cutoffs[-1],)
    assert plan.cutoffs[-1] + timedelta(days=90) <= datetime(2026, 6, 30) < datetime(2026, 5, 1) + timedelta(days=90)


def test_a_twelve_month_export_with_a_90_day_horizon_gets_a_backtest() -> None:
    # the real funnel of the issue: 2017-06-14 .. 2018-05-31
    plan = plan_split(datetime(2017, 6, 14), datetime(2018, 5, 31), LabelConfig(horizon_days=90), SplitConfig())
    assert plan.cutoffs == tuple(datetime(y, m, 1) for y, m in [(2017, 9), (2017, 10), (2017, 11), (2017, 12), (2018, 1), (2018, 2), (2018, 3)])
    assert [f.judged[0] for f in plan.folds] == [datetime(2017, 12, 1), datetime(2018, 1, 1), datetime(2018, 2, 1), datetime(2018, 3, 1)]
    assert plan.folds[0].fit == (datetime(2017, 9, 1),)


def test_split_refuses_an_export_too_short_for_the_horizon_and_says_what_it_needs() -> None:
    with pytest.raises(PropensityError, match=r"found 2 matured cutoff\(s\).*About 271 days of history are needed"):
        plan_split(datetime(2025, 1, 1), datetime(2025, 7, 30), LabelConfig(), SplitConfig())


def test_max_train_cutoffs_keeps_the_newest() -> None:
    plan = plan_split(datetime(2020, 1, 1), datetime(2026, 6, 30), LabelConfig(horizon_days=90), SplitConfig(max_train_cutoffs=6))
    assert plan.cutoffs == tuple(datetime(2025, m, 1) for m in range(11, 13)) + tuple(datetime(2026, m, 1) for m in range(1, 5))
    assert [f.judged[0].month for f in plan.folds] == [2, 3, 4]


def test_open_leads_returns_one_row_per_contact_and_cutoff(tiny_export) -> None:  # type: ignore[no-untyped-def]
    pairs = open_leads(tiny_export.contacts, tiny_export.outcomes, [T, datetime(2025, 3, 1)], LabelConfig())
    assert pairs.group_by("cutoff").len().sort("cutoff")["len"].to_list() == [4, 3]
    assert pairs.filter(pl.col("cutoff") == datetime(2025, 3, 1))["contact_id"].sort().to_list() == ["C1", "C2", "C3", "C5"]
