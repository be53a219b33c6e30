"""Events indexed by contact and one cutoff's compiled scan (`_event_index`, `_kernels`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from propensity._config import FeatureConfig, LabelConfig
from propensity.features._builder import FeatureBuilder
from propensity.features._event_index import NO_EVENT, EventIndex, KeyIndex
from propensity.io._sources import read_export
from propensity.training._labels import open_leads

DAY = 86_400_000_000
NOW = datetime(2025, 4, 1)


def _us(t: datetime) -> int:
    return int((t - datetime(1970, 1, 1)).total_seconds()) * 1_000_000


def _events(rows: list[tuple[str, str, datetime]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"contact_id": pl.String, "event_type": pl.String, "occurred_at": pl.Datetime("us")}, orient="row")


def test_key_index_gives_each_key_its_row_and_minus_one_for_unknown_or_null() -> None:
    keys = KeyIndex(pl.Series(["C3", "C1", "C2"]))
    got = keys.positions(pl.Series(["C1", "C9", None, "C3", "C2", "C1", ""]))
    assert got.tolist() == [1, -1, -1, 0, 2, 1, -1]


def test_events_out_of_time_order_are_indexed_oldest_first_per_contact() -> None:
    # C1: three events given newest first; C2: one event; an unknown contact and an unknown type are left out
    events = _events([
        ("C1", "open", NOW - timedelta(days=1)),
        ("C2", "visit", NOW - timedelta(days=3)),
        ("C1", "visit", NOW - timedelta(days=5)),
        ("CX", "open", NOW - timedelta(days=2)),
        ("C1", "open", NOW - timedelta(days=9)),
        ("C2", "webinar", NOW - timedelta(days=4)),
    ])
    index = EventIndex.build(events, KeyIndex(pl.Series(["C1", "C2", "C3"])), ("open", "visit"))
    assert index.offsets.tolist() == [0, 3, 4, 4]
    assert [(_us(NOW) - t) // DAY for t in index.ts.tolist()] == [9, 5, 1, 3]
    assert index.etype.tolist() == [0, 1, 0, 1]


def test_window_stats_put_each_event_in_its_window_and_never_see_the_future() -> None:
    # C1 opens at 1, 7 (exactly on the 7-day edge: outside it), 10, 40 and 400 days before NOW,
    # visits 2 days before and once a day after NOW (the future: never counted)
    ages = [1, 7, 10, 40, 400]
    events = _events(
        [("C1", "open", NOW - timedelta(days=a)) for a in ages]
        + [("C1", "visit", NOW - timedelta(days=2)), ("C1", "visit", NOW + timedelta(days=1))]
    )
    index = EventIndex.build(events, KeyIndex(pl.Series(["C1", "C2"])), ("open", "visit"))
    stats = index.window_stats(_us(NOW), [7 * DAY, 30 * DAY, 90 * DAY], 14.0, high_intent=[1], span_us=30 * DAY)
    # inside 7, 30 and 90 days, and up to NOW
    assert stats.counts[0].tolist() == [[1, 3, 4, 5], [1, 1, 1, 1]]
    assert stats.every[0].tolist() == [2, 4, 5, 6] and stats.high[0].tolist() == [1, 1, 1, 1]
    assert (_us(NOW) - stats.last[0, 0]) // DAY == 1 and (_us(NOW) - stats.last[0, 1]) // DAY == 2
    assert (_us(NOW) - stats.first[0]) // DAY == 400
    assert stats.decay[0] == pytest.approx(sum(0.5 ** (a / 14) for a in [*ages, 2]), rel=1e-12)
    assert stats.decay_hi[0] == pytest.approx(0.5 ** (2 / 14), rel=1e-12)
    assert stats.span_decay[0] == pytest.approx(sum(0.5 ** (a / 14) for a in [1, 7, 10, 2]), rel=1e-12)
    # C2 has no events: zero counts, no last or first event
    assert stats.counts[1].sum() == 0 and stats.every[1].sum() == 0 and stats.last[1].tolist() == [NO_EVENT, NO_EVENT] and stats.first[1] == NO_EVENT


def _plain_polars_engagement(events: pl.DataFrame, types: tuple[str, ...], windows: list[int], now: datetime, half_life: float) -> pl.DataFrame:
    """The same counts, recencies, first touch and decay, written the obvious way."""
    known = events.filter((pl.col("occurred_at") <= now) & pl.col("event_type").is_in(list(types)))
    age = (pl.lit(now) - pl.col("occurred_at")).dt.total_microseconds() / DAY
    exprs = []
    for e in types:
        for w in windows:
            exprs.append(((pl.col("event_type") == e) & (age < w)).sum().cast(pl.Float32).alias(f"n_{e}_{w}d"))
        exprs.append(age.filter(pl.col("event_type") == e).min().cast(pl.Float32).alias(f"days_since_{e}"))
    exprs += [
        age.max().cast(pl.Float32).alias("days_since_first_event"),
        (0.5 ** (age / half_life)).sum().cast(pl.Float32).alias("decay_engagement"),
    ]
    return known.group_by("contact_id").agg(exprs)


def test_engagement_features_equal_a_plain_polars_query_on_a_generated_export(small_crm) -> None:  # type: ignore[no-untyped-def]
    export = read_export(small_crm)
    cutoff = datetime(2026, 3, 1)
    builder = FeatureBuilder(FeatureConfig()).fit(export, cutoff)
    spec = builder.spec_
    pairs = open_leads(export.contacts, export.outcomes, [cutoff], LabelConfig()).select("contact_id", "cutoff")
    ours = builder.transform(export, pairs)
    plain = _plain_polars_engagement(export.events, spec.event_types, [7, 30, 90, 365], cutoff, spec.decay_half_life_days)
    both = ours.join(plain, on="contact_id", how="inner", suffix="_plain")
    assert both.height > 1000  # most open leads have events
    for col in [c for c in plain.columns if c != "contact_id"]:
        a, b = both[col].to_numpy(), both[f"{col}_plain"].to_numpy()
        np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=col)
    # leads without an event up to the cutoff: zero counts, no recency
    silent = ours.join(plain, on="contact_id", how="anti")
    assert silent.height > 0
    assert silent["n_web_visit_365d"].to_list() == [0.0] * silent.height
    assert silent["days_since_last_event"].null_count() == silent.height
