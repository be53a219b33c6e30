"""The contact's own engagement at a cutoff, from one scan of its events (`WindowStats`).

Counts per event type and window, recency per type and of any event, first touch, trend and
acceleration (recent against earlier windows, as differences of the same window counts), breadth
(distinct types), decay-weighted engagement and ever-flags (an unsubscribe). Contacts without an
event up to the cutoff count zero and have no recency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from propensity.features._event_index import DAY_US, NO_EVENT

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from propensity.features._event_index import WindowStats
    from propensity.features._spec import FeatureSpec

__all__ = ["scan_windows", "engagement", "days_since", "trend", "acceleration"]


def scan_windows(spec: FeatureSpec, extra: set[int] | None = None) -> list[int]:
    """Every window (days) the contact's own features count events in, and `extra` (the account
    features' windows), shortest first."""
    days: set[int] = set(extra or ())
    for f in spec.features:
        if f.kind in ("count", "distinct", "share", "seniority_share") and f.window:
            days.add(f.window)
        if f.kind == "trend" and f.window:
            days |= {f.window, 2 * f.window}
        elif f.kind == "accel" and f.window:
            days |= {f.window, spec.trend_days}
    return sorted(days)


def days_since(now: int, ts: NDArray[np.int64]) -> NDArray[np.float32]:
    """Days from `ts` (epoch µs) to `now` as float32, NaN where there was no event."""
    none = ts == NO_EVENT
    return np.where(none, np.nan, (now - np.where(none, now, ts)) / DAY_US).astype(np.float32)


def trend(recent: NDArray, earlier: NDArray) -> NDArray[np.float32]:  # type: ignore[type-arg]
    """Events in the last window minus those in the window before (counts inside 1x and 2x the window)."""
    return recent.astype(np.float32) - (earlier - recent).astype(np.float32)


def acceleration(recent: NDArray, in_trend: NDArray, short: int, trend_days: int) -> NDArray[np.float32]:  # type: ignore[type-arg]
    """Events in the last `short` days minus the same span's share of the rest of the trend window."""
    rest = (in_trend - recent).astype(np.float32)
    return recent.astype(np.float32) - rest * np.float32(short / (trend_days - short))


def engagement(stats: WindowStats, spec: FeatureSpec, now: int, rows: NDArray[np.int64], windows: list[int]) -> pl.DataFrame:
    """The engagement features (and `_own_<w>d`, `_first_event_age` helpers) of contact `rows`
    (-1: a contact the export does not know, which has no events)."""
    known = rows >= 0
    r = np.where(known, rows, 0)
    cum = stats.counts[r]  # cum[:, t, i]: events of type t inside windows[i]; cum[:, t, -1]: all of them
    cum[~known] = 0
    every = np.where(known[:, None], stats.every[r], 0)
    last = np.where(known[:, None], stats.last[r], NO_EVENT)
    first = np.where(known, stats.first[r], NO_EVENT)
    at = {w: i for i, w in enumerate(windows)}
    codes = {e: i for i, e in enumerate(spec.event_types)}

    def total(w: int) -> NDArray[np.int32]:
        return every[:, at[w]]

    def f32(a: NDArray) -> NDArray[np.float32]:  # type: ignore[type-arg]
        return a.astype(np.float32)

    out: dict[str, NDArray] = {}  # type: ignore[type-arg]
    for f in spec.features:
        if f.kind == "count":
            out[f.name] = f32(cum[:, codes[f.event_type], at[f.window]])  # type: ignore[index]
        elif f.kind == "recency" and f.event_type is not None:
            out[f.name] = days_since(now, last[:, codes[f.event_type]])
        elif f.kind == "recency":
            out[f.name] = days_since(now, last.max(axis=1))
        elif f.kind == "age":
            out[f.name] = days_since(now, first)
        elif f.kind == "trend":
            w = f.window or 0
            out[f.name] = trend(total(w), total(2 * w))
        elif f.kind == "accel":
            short = f.window or 0
            out[f.name] = acceleration(total(short), total(spec.trend_days), short, spec.trend_days)
        elif f.kind == "distinct":
            out[f.name] = f32((cum[:, :, at[f.window]] > 0).sum(axis=1))  # type: ignore[index]
        elif f.kind == "decay":
            decay = stats.decay_hi if f.source == "high_intent" else stats.decay
            out[f.name] = f32(np.where(known, decay[r], 0.0))
        elif f.kind == "flag":
            code = codes.get(f.event_type or "")
            out[f.name] = f32(cum[:, code, -1] > 0) if code is not None else np.zeros(len(r), np.float32)
    for w in sorted({f.window for f in spec.features if f.kind in ("share", "seniority_share") and f.window}):
        out[f"_own_{w}d"] = f32(total(w))
    if any(f.kind == "lag" for f in spec.features):
        out["_first_event_age"] = days_since(now, first)
    return pl.DataFrame([pl.Series(name, a, nan_to_null=True) for name, a in out.items()])
