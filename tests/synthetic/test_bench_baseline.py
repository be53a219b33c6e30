"""The one-page LightGBM of the quality benchmark (benchmarks/baseline.py): its window counts stop at
the cutoff and it trains only on cutoffs whose horizon has matured."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from benchmarks.baseline import monthly_cutoffs, window_features

T = datetime(2025, 4, 1)


def test_window_counts_stop_at_the_cutoff() -> None:
    events = pl.DataFrame(
        {
            # C1: a visit 3 days, 20 days and 60 days before the cutoff, one 100 days before, one after it.
            # C2: a download 1 day after the cutoff only.
            "contact_id": ["C1", "C1", "C1", "C1", "C1", "C2"],
            "occurred_at": [T - timedelta(days=3), T - timedelta(days=20), T - timedelta(days=60),
                            T - timedelta(days=100), T + timedelta(days=1), T + timedelta(days=1)],
            "event_type": ["web_visit"] * 5 + ["content_download"],
        }
    ).sample(fraction=1.0, shuffle=True, seed=1)
    pairs = pl.DataFrame({"contact_id": ["C1", "C2"], "cutoff": [T, T]})
    got = window_features(events, pairs, ["content_download", "web_visit"]).sort("contact_id")
    assert got.select("web_visit_7d", "web_visit_30d", "web_visit_90d").rows() == [(1, 2, 3), (0, 0, 0)]
    assert got["content_download_90d"].to_list() == [0, 0]
    assert got["days_since_last_event"].to_list() == [3.0, None]


def test_training_cutoffs_are_month_starts_whose_horizon_matured() -> None:
    cutoffs = monthly_cutoffs(datetime(2024, 1, 5), datetime(2025, 3, 27), 90)
    assert cutoffs[0] == datetime(2024, 2, 1)
    assert cutoffs[-1] == datetime(2024, 12, 1)  # 2025-01-01 + 90 days passes 2025-03-27
    assert len(cutoffs) == 11
