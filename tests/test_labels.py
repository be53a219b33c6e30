"""The time rules of the contract: open leads, the label window, the forward split."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from propensity._config import LabelConfig, SplitConfig
from propensity._errors import PropensityError
from propensity._labels import label_pairs, month_starts, open_leads, plan_split

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


def test_split_blocks_are_purged_so_no_label_window_overlaps_the_next_block() -> None:
    plan = plan_split(datetime(2025, 1, 1), datetime(2026, 6, 30), LabelConfig(horizon_days=90), SplitConfig())
    assert plan.valid == (datetime(2026, 3, 1), datetime(2026, 4, 1))
    assert plan.calibration == (datetime(2025, 11, 1), datetime(2025, 12, 1))
    assert plan.train[0] == datetime(2025, 4, 1) and plan.train[-1] == datetime(2025, 8, 1)
    from datetime import timedelta

    assert plan.train[-1] + timedelta(days=90) <= plan.calibration[0]
    assert plan.calibration[-1] + timedelta(days=90) <= plan.valid[0]


def test_split_refuses_an_export_too_short_for_the_horizon() -> None:
    with pytest.raises(PropensityError, match=r"too short for a forward split with a 90-day horizon"):
        plan_split(datetime(2025, 1, 1), datetime(2025, 9, 30), LabelConfig(), SplitConfig())


def test_open_leads_returns_one_row_per_contact_and_cutoff(tiny_export) -> None:  # type: ignore[no-untyped-def]
    pairs = open_leads(tiny_export.contacts, tiny_export.outcomes, [T, datetime(2025, 3, 1)], LabelConfig())
    assert pairs.group_by("cutoff").len().sort("cutoff")["len"].to_list() == [4, 3]
    assert pairs.filter(pl.col("cutoff") == datetime(2025, 3, 1))["contact_id"].sort().to_list() == ["C1", "C2", "C3", "C5"]
