"""What the driver knows of an events table that stays on a cluster: its aggregates, not its rows.

`--engine spark` validates, deduplicates and scans the events on the executors; the driver-side
`CrmExport` then holds no event row, only an `EventSummary` (counted by Spark) from which the
history span, the preflight's plan, `check`'s event types and the feature vocabulary are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

__all__ = ["EventSummary"]


@dataclass(frozen=True)
class EventSummary:
    """Counts of a validated, deduplicated events table (of known contacts only)."""

    rows: int
    first: datetime | None
    last: datetime | None
    most_per_contact: int  # events of the busiest contact
    # event_type, known_from (the first month start at or after occurred_at: the event is known at a
    # monthly cutoff t, `occurred_at <= t`, exactly when known_from <= t), len
    by_type: pl.DataFrame

    def type_counts(self, up_to: datetime | None = None) -> pl.DataFrame:
        """(event_type, len): events per type with `occurred_at <= up_to` (a month start), or all."""
        frame = self.by_type
        if up_to is not None:
            if (up_to.day, up_to.hour, up_to.minute, up_to.second, up_to.microsecond) != (1, 0, 0, 0, 0):
                raise ValueError(f"event counts are kept by month: {up_to} is not a month start")
            frame = frame.filter(pl.col("known_from") <= up_to)
        return frame.group_by("event_type").agg(pl.col("len").sum().cast(pl.UInt32))
