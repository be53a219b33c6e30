"""Statistical signs of an outcome in disguise that a single-column ROC AUC misses.

A post-outcome column can rank leads only moderately well overall and still give the answer away
for part of them. Two tests, each on one column and the target:

- **a deciding value**: one value of the column (a category, an exact number such as 0, or
  "missing") covers a meaningful share of the leads and, among them, at least 99% share one target
  value, far from the base rate (a call duration of 0 means the lead was never reached, so never
  converted). A binomial tail makes sure a small group is not pure by chance.
- **outside the other class's range**: most converted leads sit beyond the 99th (or below the 1st)
  percentile of the non-converted ones, as a timestamp written at conversion does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["StatSettings", "deciding_value", "outside_range"]


@dataclass(frozen=True)
class StatSettings:
    purity: float = 0.99  # share of one target value among the rows with the deciding value
    min_share: float = 0.01  # the value covers at least this share of the rows
    min_rows: int = 30  # ... and at least this many
    p_value: float = 1e-6  # binomial tail: so pure a group this size is not chance
    tail: float = 0.99  # percentile of the non-converted leads that marks their range
    outside: float = 0.5  # share of converted leads beyond it
    min_positives: int = 30


def _levels(values: pd.Series) -> pd.Series:
    """Each row's value as a string key: numbers by their exact value, missing as its own key."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        v = pd.to_numeric(values, errors="coerce")
        return v.map(lambda x: "(missing)" if pd.isna(x) else f"{x:g}")
    return values.astype("object").map(lambda x: "(missing)" if x is None or pd.isna(x) else str(x))


def _level_counts(values: pd.Series, y: np.ndarray) -> pd.DataFrame:
    """Leads ("count") and positives ("sum") per string key of `_levels`: grouped on the raw values
    first, so only the distinct values are turned into strings, not every row."""
    raw = pd.Series(y).groupby(values.reset_index(drop=True), dropna=False, observed=True, sort=False).agg(["sum", "count"])
    keys = _levels(pd.Series(raw.index, dtype=values.dtype)).to_numpy()
    return raw.groupby(keys, sort=True).sum()


def deciding_value(values: pd.Series, y: np.ndarray, settings: StatSettings = StatSettings()) -> str:
    """Why one value of the column decides the target ("" when none does)."""
    from scipy.stats import binom

    y = np.asarray(y).astype(np.int64)
    n = len(y)
    base = float(y.mean())
    frame = _level_counts(values, y)
    need = max(settings.min_rows, int(np.ceil(settings.min_share * n)))
    found = []
    frame = frame[(frame["count"] >= need) & (frame["count"] < n)]
    for key, count, pos in zip(frame.index, frame["count"].astype(int), frame["sum"].astype(int)):
        count, pos = int(count), int(pos)
        for outcome, hits, p_other in ((0, count - pos, base), (1, pos, 1.0 - base)):
            others = count - hits
            if hits / count < settings.purity or p_other < 10 * (1.0 - settings.purity):
                continue  # not pure, or the other outcome is too rare overall to tell
            if binom.cdf(others, count, p_other) > settings.p_value:
                continue
            word = "converted" if outcome == 1 else "not converted"
            found.append((count, f"value {key!r} decides it: {hits / count:.1%} of its {count:,} leads ({count / n:.0%}) {word}"))
    if not found:
        return ""
    return max(found)[1]


def outside_range(values: pd.Series, y: np.ndarray, settings: StatSettings = StatSettings()) -> str:
    """Why converted leads sit outside the non-converted range ("" when they do not)."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return ""
    y = np.asarray(y).astype(np.int64)
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    ok = ~np.isnan(v)
    pos, neg = v[ok & (y == 1)], v[ok & (y == 0)]
    if len(pos) < settings.min_positives or len(neg) < settings.min_positives:
        return ""
    hi, lo = np.quantile(neg, settings.tail), np.quantile(neg, 1.0 - settings.tail)
    above, below = float((pos > hi).mean()), float((pos < lo).mean())
    pct = round(100 * settings.tail)
    if above >= settings.outside:
        return f"{above:.0%} of converted leads lie above the {pct}th percentile of the others"
    if below >= settings.outside:
        return f"{below:.0%} of converted leads lie below the {100 - pct}th percentile of the others"
    return ""
