"""Reasons a rep can read: contributions summed per business field, rendered in words.

"pricing-page views" is one field, not four window columns: the field's contribution is the sum
of its columns' TreeSHAP values, and its text describes the column that moved the score most.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from propensity._feature_spec import FeatureDef, FeatureSpec, event_label

__all__ = ["FieldIndex", "describe", "top_reasons", "drivers"]

# name -> (singular, plural, text): "{n} {noun}..." and the noun phrase used in driver directions
_ACCOUNT_TEXT = {
    "acct_engaged_contacts_30d": ("engaged contact", "engaged contacts", " at the account in the last 30 days"),
    "acct_engaged_contacts_90d": ("engaged contact", "engaged contacts", " at the account in the last 90 days"),
    "acct_senior_engaged_30d": ("senior person", "senior people", " at the account engaged in the last 30 days"),
    "acct_contacts": ("contact", "contacts", " at the account"),
    "acct_high_intent_contacts_30d": ("person", "people", " at the account with high-intent activity in the last 30 days"),
    "acct_high_intent_events_90d": ("high-intent event", "high-intent events", " at the account in the last 90 days"),
}


def _account_text(name: str, n: int) -> str:
    singular, plural, tail = _ACCOUNT_TEXT.get(name, (name, name, ""))
    return f"{n} {singular if n == 1 else plural}{tail}"


class FieldIndex:
    """Which model columns make up each business field."""

    def __init__(self, spec: FeatureSpec) -> None:
        self.spec = spec
        self.fields = spec.fields()
        pos = {f: i for i, f in enumerate(self.fields)}
        self.column_field = np.array([pos[f.field] for f in spec.features], dtype=np.int64)

    def group(self, contrib: np.ndarray) -> np.ndarray:
        """(n, n_features [+ bias]) contributions -> (n, n_fields) sums."""
        out = np.zeros((contrib.shape[0], len(self.fields)), dtype=np.float64)
        for c, j in enumerate(self.column_field):  # column by column: the same sums as np.add.at, faster
            out[:, j] += contrib[:, c]
        return out


def _count(value: float) -> int:
    return 0 if value is None or (isinstance(value, float) and math.isnan(value)) else int(round(value))


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def describe(spec: FeatureSpec, f: FeatureDef, value: object) -> str:
    """One feature value in words."""
    if f.kind == "count":
        n = _count(value)  # type: ignore[arg-type]
        return f"{n or 'no'} {event_label(f.event_type or '', n)} in the last {f.window} days"
    if f.kind == "recency":
        what = event_label(f.event_type, 1) if f.event_type else "activity"
        if _missing(value):
            return f"no {what} yet"
        d = int(float(value))  # type: ignore[arg-type]
        return f"last {what} today" if d == 0 else f"last {what} {d} day{'s' if d != 1 else ''} ago"
    if f.kind == "age":
        return "no activity yet" if _missing(value) else f"first touch {int(float(value))} days ago"  # type: ignore[arg-type]
    if f.kind == "trend":
        n = _count(value)  # type: ignore[arg-type]
        return f"activity {'up' if n > 0 else 'down' if n < 0 else 'flat'} ({n:+d} events, last {f.window} days vs the {f.window} before)"
    if f.kind == "distinct":
        return f"{_count(value)} kinds of activity in the last {f.window} days"  # type: ignore[arg-type]
    if f.kind == "account":
        return _account_text(f.name, _count(value))  # type: ignore[arg-type]
    label = spec.field_label(f.field)
    if _missing(value):
        return f"{label} unknown"
    if f.kind == "category":
        return f"{label}: {value}"
    if f.name == "contact_age_days":
        return f"in the CRM for {int(float(value))} days"  # type: ignore[arg-type]
    v = float(value)  # type: ignore[arg-type]
    return f"{label}: {v:,.0f}" if abs(v) >= 100 or v == int(v) else f"{label}: {v:,.2f}"


def top_reasons(spec: FeatureSpec, frame: pd.DataFrame, contrib: np.ndarray, k: int = 3, index: FieldIndex | None = None) -> list[str]:
    """For each row, its `k` strongest fields, signed ('+' raises, '-' lowers the score).

    Vectorised: the fields and their leading columns are chosen with numpy for all rows at once,
    and each distinct (column, value) is put in words once.
    """
    index = index or FieldIndex(spec)
    grouped = index.group(contrib)
    n, n_fields = grouped.shape
    k = min(k, n_fields)
    if n == 0 or k == 0:
        return [""] * n
    top = np.argsort(-np.abs(grouped), axis=1, kind="stable")[:, :k]
    n_feat = len(spec.features)
    absc = np.abs(contrib[:, :n_feat])
    rows = np.arange(n)
    feats = spec.features
    names = spec.names
    parts: list[np.ndarray] = []
    for slot in range(k):
        fields = top[:, slot]
        # the member column with the largest |contribution| inside the field (the first on ties)
        inside = index.column_field[None, :] == fields[:, None]
        column = np.argmax(np.where(inside, absc, -1.0), axis=1)
        sign = np.where(grouped[rows, fields] >= 0, "+ ", "- ").astype(object)
        text = np.empty(n, dtype=object)
        for c in np.unique(column):
            at = np.flatnonzero(column == c)
            codes, uniques = pd.factorize(frame[names[c]].iloc[at], use_na_sentinel=True)
            values = pd.Series(uniques).to_numpy(dtype=object)
            # one phrase per distinct value, the last for a missing one (code -1)
            phrases = np.array([describe(spec, feats[c], v) for v in values] + [describe(spec, feats[c], None)], dtype=object)
            text[at] = phrases[codes]
        parts.append(sign + text)
    joined = parts[0]
    for more in parts[1:]:
        joined = joined + "; " + more
    return joined.tolist()


def drivers(spec: FeatureSpec, frame: pd.DataFrame, contrib: np.ndarray) -> pd.DataFrame:
    """Global drivers by business field: share of mean |contribution| and direction in words."""
    index = FieldIndex(spec)
    grouped = index.group(contrib)
    strength = np.abs(grouped).mean(axis=0)
    total = strength.sum() or 1.0
    rows = []
    for j, field_name in enumerate(index.fields):
        cols = np.flatnonzero(index.column_field == j)
        main = spec.features[cols[int(np.argmax(np.abs(contrib[:, cols]).mean(axis=0)))]]
        rows.append(
            {
                "field": field_name,
                "driver": spec.field_label(field_name),
                "importance": float(strength[j] / total),
                "direction": _direction(spec, main, frame[main.name], grouped[:, j]),
            }
        )
    return pd.DataFrame(rows).sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def _direction(spec: FeatureSpec, f: FeatureDef, values: pd.Series, contrib: np.ndarray) -> str:
    if f.kind == "category":
        frame = pd.DataFrame({"v": values.astype("object"), "c": contrib})
        means = frame.dropna().groupby("v", observed=True)["c"].mean().sort_values()
        if means.empty:
            return "no effect"
        hi, lo = means.index[-1], means.index[0]
        return f"highest for {hi}, lowest for {lo}"
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    ok = ~np.isnan(v)
    label = describe_kind(f)
    if ok.sum() < 3 or np.std(v[ok]) == 0:
        return f"{label}: no spread"
    r = pd.Series(v[ok]).rank().corr(pd.Series(contrib[ok]).rank())
    if f.kind in ("recency", "age"):
        return f"a more recent {label} raises the score" if r < 0 else f"a more recent {label} lowers the score"
    if f.kind == "trend":
        return "rising activity raises the score" if r >= 0 else "rising activity lowers the score"
    return f"more {label} raises the score" if r >= 0 else f"more {label} lowers the score"


def describe_kind(f: FeatureDef) -> str:
    """The noun phrase of a feature in driver directions."""
    if f.kind == "recency":
        return event_label(f.event_type, 1) if f.event_type else "activity"
    if f.kind == "age":
        return "first touch"
    if f.event_type:
        return event_label(f.event_type)
    if f.kind == "account":
        singular, plural, tail = _ACCOUNT_TEXT.get(f.name, (f.name, f.name, ""))
        return plural + tail.split(" in the last")[0]
    if f.name == "contact_age_days":
        return "time in the CRM"
    return f.field.replace("_", " ")
