"""Compiled loops (numba) behind `_event_index`: a hash table, a counting sort, one cutoff's scan.

Imported only when features are built (numba costs ~0.3 s to import); compiled code is cached
beside this file, so only the first run on a machine pays the compilation (a few seconds). The
loops release the GIL, so indexing events overlaps with parsing job titles.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numba import prange

from propensity.features._time_units import DAY_US, NO_EVENT

__all__ = ["build_table", "lookup", "group_by_contact", "window_stats"]


@nb.njit(cache=True, nogil=True)
def _build(a, b):  # type: ignore[no-untyped-def]
    n = a.shape[0]
    size = 2
    while size < 2 * n:
        size *= 2
    ka = np.zeros(size, np.uint64)
    kb = np.zeros(size, np.uint64)
    rows = np.full(size, -1, np.int64)
    mask = np.uint64(size - 1)
    for i in range(n):
        j = a[i] & mask
        while rows[j] >= 0:
            if ka[j] == a[i] and kb[j] == b[i]:
                return ka, kb, rows, False
            j = (j + np.uint64(1)) & mask
        ka[j] = a[i]
        kb[j] = b[i]
        rows[j] = i
    return ka, kb, rows, True


def _readonly(*arrays: np.ndarray) -> list[np.ndarray]:
    """Read-only views: numba compiles (and caches) one version per writeable flag, and arrays
    from polars come either way; one flag, one compiled version."""
    views = []
    for a in arrays:
        v = a.view()
        v.flags.writeable = False
        views.append(v)
    return views


def build_table(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """An open-addressing table from the hash pairs (a[i], b[i]) to i; None if two pairs are equal."""
    ka, kb, rows, ok = _build(*_readonly(a, b))
    return (ka, kb, rows) if ok else None


def lookup(ka: np.ndarray, kb: np.ndarray, rows: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The row of each hash pair (a[i], b[i]) in the table (`build_table`), -1 when absent."""
    return _lookup(*_readonly(ka, kb, rows, a, b))


def group_by_contact(cid: np.ndarray, etype: np.ndarray, ts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events of known contacts and types, contact by contact and oldest first: (offsets, ts, etype)."""
    return _group(*_readonly(cid.astype(np.int32, copy=False), etype.astype(np.int16, copy=False), ts.astype(np.int64, copy=False)), n)


def window_stats(offsets, ts, etype, now, windows, n_types, half_life, hi, span_lo):  # type: ignore[no-untyped-def]
    """One cutoff's scan (see `_event_index.WindowStats`): every contact's events up to `now`."""
    return _window_stats(*_readonly(offsets, ts, etype), int(now), *_readonly(windows), int(n_types), float(half_life), *_readonly(hi), int(span_lo))


@nb.njit(cache=True, nogil=True, parallel=True)
def _lookup(ka, kb, rows, a, b):  # type: ignore[no-untyped-def]
    mask = np.uint64(ka.shape[0] - 1)
    out = np.empty(a.shape[0], np.int32)
    for i in prange(a.shape[0]):
        j = a[i] & mask
        r = -1
        while rows[j] >= 0:
            if ka[j] == a[i] and kb[j] == b[i]:
                r = rows[j]
                break
            j = (j + np.uint64(1)) & mask
        out[i] = r
    return out


@nb.njit(cache=True, nogil=True)
def _group(cid, etype, ts, n):  # type: ignore[no-untyped-def]
    offsets = np.zeros(n + 1, np.int64)
    for i in range(cid.shape[0]):
        if cid[i] >= 0 and etype[i] >= 0:
            offsets[cid[i] + 1] += 1
    for c in range(n):
        offsets[c + 1] += offsets[c]
    pos = offsets[:-1].copy()
    m = offsets[n]
    ts_out = np.empty(m, np.int64)
    et_out = np.empty(m, np.int16)
    for i in range(cid.shape[0]):
        c = cid[i]
        if c >= 0 and etype[i] >= 0:
            p = pos[c]
            ts_out[p] = ts[i]
            et_out[p] = etype[i]
            pos[c] = p + 1
    # exports are usually in time order already; sort the contacts that are not
    for c in range(n):
        lo, hi = offsets[c], offsets[c + 1]
        ordered = True
        for i in range(lo + 1, hi):
            if ts_out[i] < ts_out[i - 1]:
                ordered = False
                break
        if not ordered:
            order = np.argsort(ts_out[lo:hi], kind="mergesort")
            ts_out[lo:hi] = ts_out[lo:hi][order]
            et_out[lo:hi] = et_out[lo:hi][order]
    return offsets, ts_out, et_out


@nb.njit(cache=True, nogil=True, parallel=True)
def _window_stats(offsets, ts, etype, now, windows, n_types, half_life, hi, span_lo):  # type: ignore[no-untyped-def]
    n = offsets.shape[0] - 1
    n_win = windows.shape[0]
    counts = np.zeros((n, n_types, n_win + 1), np.int32)
    every = np.zeros((n, n_win + 1), np.int32)
    high = np.zeros((n, n_win + 1), np.int32)
    last = np.full((n, n_types), NO_EVENT, np.int64)
    first = np.full(n, NO_EVENT, np.int64)
    decay = np.zeros(n)
    decay_hi = np.zeros(n)
    span_decay = np.zeros(n)
    span_decay_hi = np.zeros(n)
    for c in prange(n):
        lo = offsets[c]
        end = lo + np.searchsorted(ts[lo : offsets[c + 1]], now, side="right")
        if end > lo:
            first[c] = ts[lo]
        d = 0.0
        dh = 0.0
        sd = 0.0
        sdh = 0.0
        for i in range(lo, end):
            t = etype[i]
            age = now - ts[i]
            b = 0
            while b < n_win and age >= windows[b]:
                b += 1
            counts[c, t, b] += 1
            last[c, t] = ts[i]
            w = 0.5 ** ((age / DAY_US) / half_life)
            d += w
            if hi[t]:
                dh += w
            if ts[i] > span_lo:
                sd += w
                if hi[t]:
                    sdh += w
        # from "in bucket b" to "inside window b" (and, last, all events up to now); totals over types
        for t in range(n_types):
            for b in range(1, n_win + 1):
                counts[c, t, b] += counts[c, t, b - 1]
            for b in range(n_win + 1):
                every[c, b] += counts[c, t, b]
                if hi[t]:
                    high[c, b] += counts[c, t, b]
        decay[c] = d
        decay_hi[c] = dh
        span_decay[c] = sd
        span_decay_hi[c] = sdh
    return counts, every, high, last, first, decay, decay_hi, span_decay, span_decay_hi
