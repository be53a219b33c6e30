"""Reasons a rep can read: contributions summed per business field, rendered in words.

"pricing-page views" is one field, not four window columns: the field's contribution is the sum
of its columns' TreeSHAP values, and its text describes the column that moved the score most.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from propensity.features._spec import FeatureDef, FeatureSpec, event_label

__all__ = [
    "Band",
    "FieldIndex",
    "band_text",
    "describe",
    "describe_kind",
    "department_text",
    "direction",
    "drivers",
    "field_texts",
    "is_days_since",
    "level_text",
    "odds_text",
    "outcome_text",
    "seniority_text",
    "top_reasons",
    "value_bands",
]

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
    "unknown": "no job title given",
}
_DEPARTMENT_TEXT = {"hr": "HR", "it": "IT", "customer_success": "customer success", "unknown": "no job title given", "other": "other function"}
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


def outcome_text(name: str) -> str:
    """'closed_won' -> 'closed-won deal' (an outcome name in words)."""
    return _outcome(name)


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


# a share of the account's activity or seniority is missing only when the lead has no account
_NO_ACCOUNT = "not linked to an account, so no colleagues' activity to weigh"


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
            return _NO_ACCOUNT
        return f"{100 * float(value):.0f}% of the account's activity in the last {f.window} days"  # type: ignore[arg-type]
    if f.kind == "seniority_share":
        if _missing(value):
            return _NO_ACCOUNT
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
        return f"{label}: {level_text(f, value)}"
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
                "direction": direction(spec, main, frame[main.name], grouped[:, j]),
            }
        )
    return pd.DataFrame(rows).sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


# A driver's direction is read from its bands: the leads with a value cut at the quintiles of the
# value (tied values stay together; a band smaller than MIN_BAND_SHARE of the leads joins the next),
# and, for a "days since" value, the leads with none ("never") as the last band. It is stated only
# when the mean contribution moves one way over the bands that hold at least MIN_BAND_SHARE of the
# leads (a step back smaller than WIGGLE of the spread is noise); otherwise "depends: highest at ...".
N_BANDS = 5
MIN_BAND_SHARE = 0.05
MIN_BAND_LEADS = 20
MIN_LEVEL_SHARE = 0.01  # a category level speaks for the direction from 1% of the leads (and 20 leads)
LITTLE_EFFECT = math.log(1.05)  # bands within x1.05 odds of each other: little effect
WIGGLE = 0.15


@dataclass(frozen=True)
class Band:
    """Leads whose value lies in [lo, hi] (or who have none, `never`) and their mean contribution (log-odds)."""

    lo: float
    hi: float
    leads: int
    effect: float
    never: bool = False


def value_bands(f: FeatureDef, values: object, contrib: np.ndarray) -> list[Band]:
    """The bands of a numeric driver's value, lowest value first (see the rule above)."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    c = np.asarray(contrib, dtype=np.float64)
    ok = ~np.isnan(v)
    bands: list[Band] = []
    if ok.any():
        x, cx = v[ok], c[ok]
        interior = np.unique(np.quantile(x, np.linspace(0.0, 1.0, N_BANDS + 1)[1:-1]))
        interior = interior[interior < x.max()]
        idx = np.searchsorted(interior, x, side="left")  # band i: interior[i-1] < x <= interior[i]
        counts = np.bincount(idx, minlength=len(interior) + 1)
        need = max(MIN_BAND_SHARE * len(v), 1.0)
        groups: list[list[int]] = []
        current: list[int] = []
        for i, k in enumerate(counts):
            if k:
                current.append(i)
                if counts[current].sum() >= need:
                    groups.append(current)
                    current = []
        if current:  # a small remainder at the top joins the band below it
            if groups:
                groups[-1].extend(current)
            else:
                groups.append(current)
        for g in groups:
            m = np.isin(idx, g)
            bands.append(Band(float(x[m].min()), float(x[m].max()), int(m.sum()), float(cx[m].mean())))
    if is_days_since(f) and (~ok).any():
        bands.append(Band(math.nan, math.nan, int((~ok).sum()), float(c[~ok].mean()), never=True))
    return bands


def odds_text(log_odds: float) -> str:
    """An effect on the margin as an odds multiplier: 0.59 -> 'x1.8'."""
    r = math.exp(log_odds)
    return f"x{r:.0f}" if r >= 9.95 else f"x{r:.1f}" if r >= 0.995 else f"x{r:.2f}"


def band_text(spec: FeatureSpec, f: FeatureDef, band: Band) -> str:
    """A band in words: 'last web visit 8 to 30 days ago', '0 to 3 email opens in the last 30 days'."""
    if band.never:
        return describe(spec, f, None)
    lo, hi = describe(spec, f, band.lo), describe(spec, f, band.hi)
    if lo == hi:
        return lo
    a, b = lo.split(" "), hi.split(" ")
    p = 0
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    q = 0
    while q < min(len(a), len(b)) - p and a[-1 - q] == b[-1 - q]:
        q += 1
    first, last = " ".join(a[p : len(a) - q]), " ".join(b[p : len(b) - q])
    first = "0" if first == "no" else first
    return " ".join(w for w in (*a[:p], f"{first} to {last}", *a[len(a) - q :]) if w)


def direction(spec: FeatureSpec, f: FeatureDef, values: pd.Series, contrib: np.ndarray) -> str:
    """Which way a driver pushes the score, in words, from its bands (categories: by level)."""
    if f.kind == "category":
        return _category_direction(f, values, contrib)
    label = describe_kind(f)
    bands = value_bands(f, values, contrib)
    need = max(MIN_BAND_LEADS, MIN_BAND_SHARE * len(contrib))
    usable = [b for b in bands if b.leads >= need]
    if len(usable) < 2:
        return f"{label}: too few leads with different values to tell"
    e = np.array([b.effect for b in usable])
    spread, diff = float(e.max() - e.min()), float(e[-1] - e[0])
    if spread < LITTLE_EFFECT:
        return f"{label}: little effect (within {odds_text(spread)} odds)"
    steps = np.diff(e)
    if abs(diff) < 0.5 * spread or bool(np.any(steps * np.sign(diff) < -WIGGLE * spread)):
        return f"depends: highest at {band_text(spec, f, usable[int(np.argmax(e))])} ({odds_text(float(e.max()))} odds)"
    raises = (diff < 0) if is_days_since(f) else (diff > 0)  # days since: a smaller value is more recent
    verb = "raises" if raises else "lowers"
    if is_days_since(f):
        text = f"a more recent {label} {verb} the score"
    elif f.kind == "trend":
        text = f"rising activity {verb} the score"
    else:
        text = f"more {label} {verb} the score"
    how = f"up to {odds_text(abs(diff))} odds" if raises else f"down to {odds_text(-abs(diff))} odds"
    return f"{text} ({how})"


def _category_direction(f: FeatureDef, values: pd.Series, contrib: np.ndarray) -> str:
    frame = pd.DataFrame({"v": pd.Series(values).astype("object").to_numpy(), "c": contrib})
    stats = frame.dropna().groupby("v", observed=True)["c"].agg(["mean", "size"])
    need = max(MIN_BAND_LEADS, MIN_LEVEL_SHARE * len(frame))
    means = stats.loc[stats["size"] >= need, "mean"].sort_values()
    if means.empty:
        means = stats["mean"].sort_values()
    if means.empty:
        return "no effect"
    if len(means) == 1:  # one level, else unknown: the level against the unknown
        level, unknown = level_text(f, means.index[0]), frame.loc[frame["v"].isna(), "c"]
        if unknown.empty:
            return f"{level} only: no effect"
        return f"{'higher' if means.iloc[0] >= unknown.mean() else 'lower'} for {level} than when unknown"
    hi, lo = level_text(f, means.index[-1]), level_text(f, means.index[0])
    return f"highest for {hi} ({odds_text(float(means.iloc[-1]))} odds), lowest for {lo} ({odds_text(float(means.iloc[0]))} odds)"


def level_text(f: FeatureDef, level: object) -> str:
    """A category level as shown: job-title codes in words, the export's own values without underscores."""
    if f.source == "job_title" and f.name == "title_seniority":
        return seniority_text(str(level))
    if f.source == "job_title" and f.name == "title_department":
        return department_text(str(level))
    return " ".join(str(level).replace("_", " ").split())


def is_days_since(f: FeatureDef) -> bool:
    """The value counts days since something (a smaller value is more recent; none means never)."""
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
