"""Reasons a rep can read: contributions summed per business field, rendered in words.

"pricing-page views" is one field, not four window columns: the field's contribution is the sum
of its columns' TreeSHAP values, and its text describes the column that moved the score most.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from propensity.features._spec import FeatureDef, FeatureSpec, event_label

__all__ = ["FieldIndex", "describe", "describe_kind", "department_text", "drivers", "field_texts", "seniority_text", "top_reasons"]

# Job-title codes (propensity.features._titles) and outcome names in words.
_SENIORITY_TEXT = {
    "c_level": "C-level",
    "vp": "VP",
    "director": "director",
    "head": "head of function",
    "manager": "manager",
    "senior": "senior",
    "individual": "individual contributor",
    "student": "student",
    "unknown": "unknown",
}
_DEPARTMENT_TEXT = {"hr": "HR", "it": "IT", "customer_success": "customer success"}
# seniority bands of the engaged committee (propensity.features._builder.SENIORITY_BANDS; "senior" is a legacy band)
_BAND_TEXT = {
    "executive": ("executive (C-level or VP)", "executives (C-level or VP)"),
    "director": ("director or head", "directors or heads"),
    "manager": ("manager", "managers"),
    "staff": ("staff member", "staff members"),
    "senior": ("senior person", "senior people"),
}
# outcome -> (with an article, bare)
_OUTCOME_TEXT = {
    "mql": ("an MQL", "MQL"),
    "sql": ("an SQL", "SQL"),
    "sal": ("an SAL", "SAL"),
    "opportunity": ("an opportunity", "opportunity"),
    "closed_won": ("a closed-won deal", "closed-won deal"),
    "closed_lost": ("a closed-lost deal", "closed-lost deal"),
}
# account aggregates of models trained before `source` named them (as in propensity.features._builder)
_LEGACY_ACCOUNT = {
    "acct_engaged_contacts_30d": ("engaged", 30),
    "acct_engaged_contacts_90d": ("engaged", 90),
    "acct_senior_engaged_30d": ("engaged:senior", 30),
    "acct_contacts": ("contacts", None),
    "acct_high_intent_contacts_30d": ("high_intent_contacts", 30),
    "acct_high_intent_events_90d": ("high_intent_events", 90),
}


def _words(code: str) -> str:
    return code.replace("_", " ").strip()


def seniority_text(code: str) -> str:
    """'c_level' -> 'C-level'."""
    return _SENIORITY_TEXT.get(code, _words(code))


def department_text(code: str) -> str:
    """'customer_success' -> 'customer success', 'hr' -> 'HR'."""
    return _DEPARTMENT_TEXT.get(code, _words(code))


def _outcome(name: str, article: bool = False) -> str:
    with_article, bare = _OUTCOME_TEXT.get(name, (f"a {_words(name)} outcome", f"{_words(name)} outcome"))
    return with_article if article else bare


def _plural(n: float, singular: str, plural: str) -> str:
    return singular if n == 1 else plural


def _account_kind(f: FeatureDef) -> tuple[str, int | None]:
    """(source, window) of an account aggregate, legacy names included."""
    if f.source:
        return f.source, f.window
    return _LEGACY_ACCOUNT.get(f.name, ("", f.window))


def _days_ago(d: int) -> str:
    return "today" if d == 0 else f"{d} day{'s' if d != 1 else ''} ago"


def _pace(value: float, window: int | None, trend_days: int, at: str) -> str:
    """An acceleration value (events in the last `window` days minus the pace of the rest of the trend window)."""
    w = window or 7
    v = float(value)
    way = "above" if v >= 0.5 else "below" if v <= -0.5 else "at"
    return f"activity{at} in the last {w} days {way} the pace of the {max(trend_days - w, 1)} days before ({v:+.0f} events)"


def _decayed(value: object, what: str, half_life: float) -> str:
    if _missing(value) or float(value) < 0.05:  # type: ignore[arg-type]
        return f"no recent {what}"
    return f"about {float(value):.1f} recent {what} (an event counts half after {half_life:g} days)"  # type: ignore[arg-type]


def _account_text(spec: FeatureSpec, f: FeatureDef, value: object) -> str:
    """An account aggregate in words: '3 engaged contacts at the account in the last 30 days'."""
    src, w = _account_kind(f)
    within = f" in the last {w} days" if w else ""
    if src.startswith("outcome_recency:"):
        o = _outcome(src.split(":", 1)[1])
        if _missing(value):
            return f"no {o} at the account yet"
        return f"last {o} at the account {_days_ago(int(float(value)))}"  # type: ignore[arg-type]
    if src in ("decay", "decay_high_intent"):
        return _decayed(value, ("high-intent events" if src == "decay_high_intent" else "events") + " at the account", spec.decay_half_life_days)
    if src == "trend":
        n = _count(value)  # type: ignore[arg-type]
        return f"account activity {'up' if n > 0 else 'down' if n < 0 else 'flat'} ({n:+d} events, last {w} days vs the {w} before)"
    if src == "accel":
        return _pace(0.0 if _missing(value) else float(value), w, spec.trend_days, " at the account")  # type: ignore[arg-type]
    n = _count(value)  # type: ignore[arg-type]
    if src.startswith("outcome:"):
        o = _outcome(src.split(":", 1)[1], article=True)
        return f"{n or 'nobody'}{'' if not n else ' ' + _plural(n, 'person', 'people')} at the account with {o} so far"
    noun = _account_noun(src)
    if noun is None:  # an aggregate this version does not know: its business field and value
        return f"{spec.field_label(f.field)}: {n}"
    singular, plural, tail = noun
    return f"{n or 'no'} {_plural(n, singular, plural)}{tail}{within}"


def _account_noun(src: str) -> tuple[str, str, str] | None:
    """(singular, plural, tail) of a countable account aggregate, without its window."""
    if src == "contacts":
        return "contact", "contacts", " at the account"
    if src == "engaged":
        return "engaged contact", "engaged contacts", " at the account"
    if src.startswith("engaged:"):
        singular, plural = _BAND_TEXT.get(src.split(":", 1)[1], (_words(src.split(":", 1)[1]), _words(src.split(":", 1)[1])))
        return singular, plural, " engaged at the account"
    if src == "departments":
        return "department", "departments", " engaged at the account"
    if src.startswith("department:"):
        d = department_text(src.split(":", 1)[1])
        return f"person from {d}", f"people from {d}", " engaged at the account"
    if src == "events":
        return "event", "events", " at the account"
    if src == "high_intent_events":
        return "high-intent event", "high-intent events", " at the account"
    if src == "high_intent_contacts":
        return "person", "people", " at the account with high-intent activity"
    if src.startswith("outcome:"):
        return "person", "people", f" at the account with {_outcome(src.split(':', 1)[1], article=True)}"
    return None


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
    """One feature value in words a rep can read (no column names, no codes)."""
    if f.kind == "count":
        n = _count(value)  # type: ignore[arg-type]
        return f"{n or 'no'} {event_label(f.event_type or '', n)} in the last {f.window} days"
    if f.kind == "recency":
        what = event_label(f.event_type, 1) if f.event_type else "activity"
        if _missing(value):
            return f"no {what} yet"
        return f"last {what} {_days_ago(int(float(value)))}"  # type: ignore[arg-type]
    if f.kind == "age":
        return "no activity yet" if _missing(value) else f"first touch {_days_ago(int(float(value)))}"  # type: ignore[arg-type]
    if f.kind == "trend":
        n = _count(value)  # type: ignore[arg-type]
        return f"activity {'up' if n > 0 else 'down' if n < 0 else 'flat'} ({n:+d} events, last {f.window} days vs the {f.window} before)"
    if f.kind == "accel":
        return _pace(0.0 if _missing(value) else float(value), f.window, spec.trend_days, "")  # type: ignore[arg-type]
    if f.kind == "distinct":
        n = _count(value)  # type: ignore[arg-type]
        return f"{n or 'no'} {_plural(n, 'kind', 'kinds')} of activity in the last {f.window} days"
    if f.kind == "decay":
        return _decayed(value, "high-intent events" if f.source == "high_intent" else "events", spec.decay_half_life_days)
    if f.kind == "flag":
        what = event_label(f.event_type or "", 1)
        return f"{what} on record" if _count(value) > 0 else f"no {what} on record"  # type: ignore[arg-type]
    if f.kind == "outcome":
        o = _outcome(f.event_type or "")
        return f"no {o} yet" if _missing(value) else f"last {o} {_days_ago(int(float(value)))}"  # type: ignore[arg-type]
    if f.kind == "share":
        if _missing(value):
            return "no account to compare with"
        return f"{100 * float(value):.0f}% of the account's activity in the last {f.window} days"  # type: ignore[arg-type]
    if f.kind == "seniority_share":
        if _missing(value):
            return "no account to compare with"
        return f"{100 * float(value):.0f}% of the seniority in the account's engaged committee (last {f.window} days)"  # type: ignore[arg-type]
    if f.kind == "lag":
        if _missing(value):
            return "no activity since entering the CRM"
        d = int(round(float(value)))  # type: ignore[arg-type]
        return f"first activity {abs(d)} day{'s' if abs(d) != 1 else ''} {'before' if d < 0 else 'after'} entering the CRM"
    if f.kind == "account":
        return _account_text(spec, f, value)
    label = spec.field_label(f.field)
    if _missing(value):
        return f"{label} unknown"
    if f.kind == "category":
        return f"{label}: {_level_text(f, value)}"
    if f.name == "contact_age_days":
        d = int(float(value))  # type: ignore[arg-type]
        return f"in the CRM for {d} day{'s' if d != 1 else ''}"
    v = float(value)  # type: ignore[arg-type]
    return f"{label}: {v:,.0f}" if abs(v) >= 100 or v == int(v) else f"{label}: {v:,.2f}"


def field_texts(spec: FeatureSpec, frame: pd.DataFrame, contrib: np.ndarray, fields: np.ndarray, index: FieldIndex | None = None) -> np.ndarray:
    """Row i's business field `fields[i]` in words (an object array; "" where `fields[i]` < 0): the
    field's member column with the largest |contribution| in that row (the first on ties), described
    at the row's value. Each distinct (column, value) is put in words once."""
    index = index or FieldIndex(spec)
    n = contrib.shape[0]
    text = np.full(n, "", dtype=object)
    wanted = np.flatnonzero(fields >= 0)
    if wanted.size == 0:
        return text
    n_feat = len(spec.features)
    absc = np.abs(contrib[wanted, :n_feat])
    inside = index.column_field[None, :] == fields[wanted, None]
    column = np.argmax(np.where(inside, absc, -1.0), axis=1)
    feats, names = spec.features, spec.names
    for c in np.unique(column):
        at = wanted[column == c]
        codes, uniques = pd.factorize(frame[names[c]].iloc[at], use_na_sentinel=True)
        values = pd.Series(uniques).to_numpy(dtype=object)
        # one phrase per distinct value, the last for a missing one (code -1)
        phrases = np.array([describe(spec, feats[c], v) for v in values] + [describe(spec, feats[c], None)], dtype=object)
        text[at] = phrases[codes]
    return text


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
    rows = np.arange(n)
    parts: list[np.ndarray] = []
    for slot in range(k):
        fields = top[:, slot]
        sign = np.where(grouped[rows, fields] >= 0, "+ ", "- ").astype(object)
        parts.append(sign + field_texts(spec, frame, contrib, fields, index))
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
        if len(means) == 1:  # one level, else unknown: the level against the unknown
            level, unknown = _level_text(f, means.index[0]), frame.loc[frame["v"].isna(), "c"]
            if unknown.empty:
                return f"{level} only: no effect"
            return f"{'higher' if means.iloc[0] >= unknown.mean() else 'lower'} for {level} than when unknown"
        hi, lo = _level_text(f, means.index[-1]), _level_text(f, means.index[0])
        return f"highest for {hi}, lowest for {lo}"
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    ok = ~np.isnan(v)
    label = describe_kind(f)
    if ok.sum() < 3 or np.std(v[ok]) == 0:
        return f"{label}: no spread"
    r = pd.Series(v[ok]).rank().corr(pd.Series(contrib[ok]).rank())
    if _is_days_since(f):  # days since: a smaller value is more recent
        return f"a more recent {label} raises the score" if r < 0 else f"a more recent {label} lowers the score"
    if f.kind == "trend":
        return "rising activity raises the score" if r >= 0 else "rising activity lowers the score"
    return f"more {label} raises the score" if r >= 0 else f"more {label} lowers the score"


def _level_text(f: FeatureDef, level: object) -> str:
    """A category level as shown: job-title codes in words, the export's own values as they are."""
    if f.source == "job_title" and f.name == "title_seniority":
        return seniority_text(str(level))
    if f.source == "job_title" and f.name == "title_department":
        return department_text(str(level))
    return str(level)


def _is_days_since(f: FeatureDef) -> bool:
    return f.kind in ("recency", "age", "outcome") or (f.kind == "account" and _account_kind(f)[0].startswith("outcome_recency:"))


def describe_kind(f: FeatureDef) -> str:
    """The noun phrase of a feature in driver directions ('more {it} raises the score')."""
    if f.kind == "recency":
        return event_label(f.event_type, 1) if f.event_type else "activity"
    if f.kind == "age":
        return "first touch"
    if f.kind == "outcome":
        return _outcome(f.event_type or "")
    if f.kind == "account":
        src, _ = _account_kind(f)
        if src.startswith("outcome_recency:"):
            return f"{_outcome(src.split(':', 1)[1])} at the account"
        if src in ("decay", "decay_high_intent"):
            return f"recent {'high-intent ' if src == 'decay_high_intent' else ''}activity at the account (older events count less)"
        if src == "trend":
            return "growth of the account's activity"
        if src == "accel":
            return "acceleration of the account's activity"
        noun = _account_noun(src)
        return noun[1] + noun[2] if noun else f.field.replace("_", " ")
    if f.kind == "accel":
        return "acceleration of activity"
    if f.kind == "decay":
        return f"recent {'high-intent ' if f.source == 'high_intent' else ''}activity (older events count less)"
    if f.kind == "flag":
        return event_label(f.event_type or "")
    if f.kind == "share":
        return "share of the account's activity"
    if f.kind == "seniority_share":
        return "share of the engaged committee's seniority"
    if f.kind == "lag":
        return "time from entering the CRM to the first activity"
    if f.event_type:
        return event_label(f.event_type)
    if f.name == "contact_age_days":
        return "time in the CRM"
    return f.field.replace("_", " ")
