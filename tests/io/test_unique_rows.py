"""Duplicate events are counted once without a hash table of whole rows: the result is exactly
polars' `unique(maintain_order=True)`, row for row and in order."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from propensity.io._export import unique_rows


def _events(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "contact_id": [f"C{i}" for i in rng.integers(0, 50, n)],
            "occurred_at": [datetime(2025, 1, 1 + int(d)) for d in rng.integers(0, 5, n)],
            "event_type": rng.choice(["visit", "email_open", None], n).tolist(),
        }
    )


def test_unique_rows_keeps_each_distinct_event_once_at_its_first_place() -> None:
    events = _events(5_000, 1)  # 50 contacts x 5 days x 3 types: most rows repeat an earlier one
    got = unique_rows(events)
    assert got.equals(events.unique(maintain_order=True))
    assert 0 < got.height < 750
    # rows that differ only in one column (or a null) are all kept
    near = pl.DataFrame({"contact_id": ["a", "a", "a", "a"], "occurred_at": [datetime(2025, 1, 1)] * 4, "event_type": ["x", "y", None, "x"]})
    assert unique_rows(near).equals(near.head(3))


def test_a_table_without_duplicates_is_returned_as_it_is() -> None:
    events = _events(5_000, 2).unique(maintain_order=True)
    assert unique_rows(events) is events
