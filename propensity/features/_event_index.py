"""Events indexed by contact, once per transform, so every cutoff is one pass of compiled code.

Building features at a cutoff means, for each contact, looking at its events up to the cutoff.
`EventIndex` does the slow part once for all cutoffs: it gives every event its contact's row
(`KeyIndex`: a hash table over the contacts' ids) and its event-type code, and lays the events
out contact by contact, oldest first (a counting sort). A cutoff is then a binary search per
contact, and `window_stats` reads only the events up to it, in parallel over contacts.

Keys are matched on two independent 64-bit hashes of the id (128 bits: a false match would need
two ids to agree on both, about one chance in 10^28 for a million ids); if two of the *known*
ids ever share both hashes, `KeyIndex` says so instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from propensity.features._time_units import DAY_US, NO_EVENT

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["KeyIndex", "EventIndex", "WindowStats", "NO_EVENT", "DAY_US", "epoch_us"]

_SEEDS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F)


def epoch_us(t: datetime) -> int:
    """A naive UTC datetime as epoch microseconds (what `occurred_at.dt.epoch("us")` gives)."""
    return int((t - datetime(1970, 1, 1)).total_seconds()) * 1_000_000 + t.microsecond


def _hashes(values: pl.Series) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    key = pl.col("k")
    both = values.cast(pl.String).to_frame("k").select(key.hash(_SEEDS[0]).alias("a"), key.hash(_SEEDS[1]).alias("b"))
    return both["a"].to_numpy(), both["b"].to_numpy()


class KeyIndex:
    """Row positions of string keys (contact ids, event types): `positions(values)` gives the
    row of each value in `keys`, or -1 when it is not one of them (or is null)."""

    def __init__(self, keys: pl.Series) -> None:
        from propensity.features import _kernels

        a, b = _hashes(keys)
        self.size = len(keys)
        self._table = _kernels.build_table(a, b)
        if self._table is None:
            raise ValueError("two different keys share a 128-bit hash")  # pragma: no cover - astronomically rare

    def positions(self, values: pl.Series) -> NDArray[np.int32]:
        from propensity.features import _kernels

        a, b = _hashes(values)
        out = _kernels.lookup(*self._table, a, b)
        if values.null_count():
            out[values.is_null().to_numpy()] = -1
        return out


@dataclass(frozen=True)
class WindowStats:
    """Per contact at one cutoff (arrays indexed by contact row; W = len(windows)).

    counts[c, t, i]: events of type t inside windows[i] (i < W), and up to the cutoff (i = W);
    every[c, i] / high[c, i]: the same over all types / the high-intent types;
    last[c, t]: epoch microseconds of the last event of type t (`NO_EVENT` without one);
    first[c]: of the first event (`NO_EVENT` without one); decay / decay_hi: sum of
    0.5 ** (age in days / half-life) over all (high-intent) events; span_decay / span_decay_hi:
    the same over events younger than the span."""

    counts: NDArray[np.int32]
    every: NDArray[np.int32]
    high: NDArray[np.int32]
    last: NDArray[np.int64]
    first: NDArray[np.int64]
    decay: NDArray[np.float64]
    decay_hi: NDArray[np.float64]
    span_decay: NDArray[np.float64]
    span_decay_hi: NDArray[np.float64]


class EventIndex:
    """A contact's events, oldest first: those of contact row c are `ts[offsets[c]:offsets[c+1]]`
    (epoch microseconds) with their type codes `etype` (only known contacts and types are kept)."""

    def __init__(self, offsets: NDArray[np.int64], ts: NDArray[np.int64], etype: NDArray[np.int16], n_types: int) -> None:
        self.offsets, self.ts, self.etype, self.n_types = offsets, ts, etype, n_types

    @classmethod
    def build(cls, events: pl.DataFrame, contacts: KeyIndex, event_types: tuple[str, ...]) -> EventIndex:
        """Index `events` (contact_id, event_type, occurred_at) by the rows of `contacts`."""
        from propensity.features import _kernels

        cid = contacts.positions(events["contact_id"])
        etype = KeyIndex(pl.Series(list(event_types), dtype=pl.String)).positions(events["event_type"]).astype(np.int16)
        ts = events["occurred_at"].dt.epoch("us").to_numpy()
        offsets, ts_sorted, et_sorted = _kernels.group_by_contact(cid, etype, ts, contacts.size)
        return cls(offsets, ts_sorted, et_sorted, len(event_types))

    def window_stats(
        self, now: int, windows_us: list[int], half_life_days: float, high_intent: list[int], span_us: int
    ) -> WindowStats:
        """Everything the engagement and committee features need at cutoff `now` (epoch µs)."""
        from propensity.features import _kernels

        hi = np.zeros(max(self.n_types, 1), dtype=np.bool_)
        hi[high_intent] = True
        wins = np.asarray(sorted(windows_us), dtype=np.int64)
        out = _kernels.window_stats(self.offsets, self.ts, self.etype, now, wins, self.n_types, float(half_life_days), hi, now - span_us)
        return WindowStats(*out)
