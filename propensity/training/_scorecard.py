"""Points learned from data: an integer-points scorecard a marketing-automation tool can load.

Many teams can only deploy points. Instead of guessing them, the scorecard learns them from the same
point-in-time training leads as the model: every rule is a band of one business input

* `event`: how many events of a type the contact had in a trailing window (1, 2, 3-4, 5-9, 10+),
* `account`: the same for the contact's account (engaged contacts, high-intent events, earlier outcomes),
* `attribute`: a level of a category (job-title seniority, industry, lead source) or a band of a
  number (employee count between two quantiles; "unknown" is a band of its own),

and a lead's score is the sum of the points of the bands it falls in. The points come from an L2
logistic regression on those band indicators (counts as "at least k" steps, so each step adds to the
one below), are made monotone in the count by pooling adjacent violators, and scaled so that
`points_per_doubling` points double the odds, then rounded to integers. The CSV has one row per band
with the points to award when a lead is in it.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from propensity._config import ScorecardConfig
from propensity.features._spec import FeatureDef, FeatureSpec, event_label

__all__ = ["Rule", "Scorecard", "fit_scorecard", "SCORECARD_COLUMNS", "COUNT_STEPS"]

SCORECARD_COLUMNS = ("rule", "field", "event_type", "window_days", "band", "min", "max", "points", "feature", "description")
COUNT_STEPS = (1, 2, 3, 5, 10)  # bands 1, 2, 3-4, 5-9, 10+
_MIN_SHARE = 0.002  # a band needs this share of the training leads (else it merges with the one below)
_ACCOUNT_SOURCES = ("engaged", "high_intent_events", "high_intent_contacts")
_MAX_WINDOW_FOR_POINTS = 90  # longer windows are lifetime-like: left to the model
_RULE_KINDS = ("count", "account", "category")  # the feature kinds a rule is learned from (`_inputs`)


@dataclass(frozen=True)
class Rule:
    rule: str  # event | account | attribute
    field: str  # the business input, e.g. "pricing_page_view" or "employee_count"
    event_type: str
    window_days: int | None
    band: str  # "2-3", "10+", "vp", "200-999", "unknown"
    low: float | None  # numeric bands: inclusive lower bound
    high: float | None  # numeric bands: exclusive upper bound (None: open)
    points: int
    feature: str  # the model feature the band is read from
    description: str

    def mask(self, values: np.ndarray) -> np.ndarray:
        if self.low is None and self.high is None:  # a category level or "unknown"
            if self.band == "unknown":
                return pd.isna(values)
            return values.astype(object) == self.band
        v = values.astype(np.float64)
        out = ~np.isnan(v)
        if self.low is not None:
            out &= v >= self.low
        if self.high is not None:
            out &= v < self.high
        return out

    def to_row(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "field": self.field,
            "event_type": self.event_type,
            "window_days": "" if self.window_days is None else self.window_days,
            "band": self.band,
            "min": "" if self.low is None else _num(self.low),
            "max": "" if self.high is None else _num(self.high - 1 if self.rule != "attribute" else self.high),
            "points": self.points,
            "feature": self.feature,
            "description": self.description,
        }


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.6g}"


@dataclass(frozen=True)
class Scorecard:
    rules: tuple[Rule, ...]
    points_per_doubling: float

    def score(self, features: pl.DataFrame | pd.DataFrame, chunk_rows: int = 200_000) -> np.ndarray:
        """Total points per row of a feature table (the model's feature names). A polars table is read
        `chunk_rows` at a time, the rules' columns only: a backtest's millions of judged leads are
        never in pandas whole."""
        if isinstance(features, pl.DataFrame):
            columns = sorted({r.feature for r in self.rules if r.feature in features.columns})
            total = np.zeros(features.height, dtype=np.int64)
            for start in range(0, features.height if columns else 0, chunk_rows):
                total[start : start + chunk_rows] = self.score(features.slice(start, chunk_rows).select(columns).to_pandas())
            return total
        total = np.zeros(len(features), dtype=np.int64)
        for r in self.rules:
            if r.points and r.feature in features.columns:
                total += np.where(r.mask(features[r.feature].to_numpy()), r.points, 0)
        return total

    def to_frame(self) -> pl.DataFrame:
        rows = [r.to_row() for r in self.rules]
        return pl.DataFrame(rows, schema={c: pl.String for c in SCORECARD_COLUMNS}, orient="row") if rows else pl.DataFrame(
            schema={c: pl.String for c in SCORECARD_COLUMNS}
        )

    def write_csv(self, path: str | Path) -> Path:
        """The scorecard as CSV (one row per band), written atomically."""
        from propensity.io._atomic import atomic_path

        target = Path(path)
        with atomic_path(target) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(SCORECARD_COLUMNS))
            writer.writeheader()
            for r in self.rules:
                writer.writerow(r.to_row())
        return target


# ------------------------------------------------------------------ design
@dataclass
class _Input:
    fdef: FeatureDef
    rule: str
    field: str
    event_type: str
    window: int | None
    bands: list[tuple[str, float | None, float | None]]  # (label, low, high)
    thermometer: bool  # count steps: indicator "at least low"


def _count_bands(values: np.ndarray, n: int) -> list[tuple[str, float | None, float | None]]:
    steps = [s for s in COUNT_STEPS if (values >= s).sum() >= max(_MIN_SHARE * n, 5)]
    bands = []
    for i, s in enumerate(steps):
        nxt = steps[i + 1] if i + 1 < len(steps) else None
        label = f"{s}+" if nxt is None else (str(s) if nxt == s + 1 else f"{s}-{nxt - 1}")
        bands.append((label, float(s), None if nxt is None else float(nxt)))
    return bands


def _numeric_bands(values: np.ndarray, max_bands: int, n: int) -> list[tuple[str, float | None, float | None]]:
    v = values[~np.isnan(values)]
    bands: list[tuple[str, float | None, float | None]] = []
    if len(v) >= max(_MIN_SHARE * n, 5):
        edges = np.unique(np.quantile(v, np.linspace(0, 1, max_bands + 1)[1:-1]))
        edges = [float(_round_edge(e)) for e in edges]
        edges = sorted(set(edges))
        lows = [None, *edges]
        highs = [*edges, None]
        for lo, hi in zip(lows, highs, strict=True):
            label = f"< {_num(hi)}" if lo is None else (f">= {_num(lo)}" if hi is None else f"{_num(lo)}-{_num(hi)}")
            bands.append((label, lo if lo is not None else -math.inf, hi))
    if np.isnan(values).sum() >= max(_MIN_SHARE * n, 5):
        bands.append(("unknown", None, None))
    return bands


def _round_edge(x: float) -> float:
    """Quantile edges rounded to two significant digits: 187.3 -> 190, a band a person can type."""
    if x == 0 or not np.isfinite(x):
        return x
    digits = 1 - int(math.floor(math.log10(abs(x))))
    return round(x, digits)


def _inputs(spec: FeatureSpec, frame: pd.DataFrame, config: ScorecardConfig, positive_outcomes: Sequence[str]) -> list[_Input]:
    n = len(frame)
    out: list[_Input] = []
    for f in spec.features:
        if f.name not in frame.columns:
            continue
        if f.kind == "count" and f.window and f.window <= _MAX_WINDOW_FOR_POINTS:
            bands = _count_bands(frame[f.name].to_numpy(dtype=np.float64), n)
            if bands:
                out.append(_Input(f, "event", f.event_type or "", f.event_type or "", f.window, bands, True))
        elif f.kind == "account" and _account_rule(f, positive_outcomes):
            bands = _count_bands(np.nan_to_num(frame[f.name].to_numpy(dtype=np.float64)), n)
            if bands:
                out.append(_Input(f, "account", f.name, f.event_type or "", f.window, bands, True))
        elif f.kind == "category":
            values = frame[f.name].astype(object)
            counts = values.value_counts(dropna=True)
            levels = [str(k) for k, c in counts.items() if c >= max(_MIN_SHARE * n, 5)]
            if len(levels) >= 2 or (levels and values.isna().any()):
                bands = [(lv, None, None) for lv in sorted(levels)]
                if values.isna().sum() >= max(_MIN_SHARE * n, 5):
                    bands.append(("unknown", None, None))
                out.append(_Input(f, "attribute", (f.source or f.name).split(".")[-1], "", None, bands, False))
        elif f.kind == "numeric":
            bands = _numeric_bands(frame[f.name].to_numpy(dtype=np.float64), config.max_bands, n)
            if len(bands) >= 2:
                out.append(_Input(f, "attribute", (f.source or f.name).split(".")[-1], "", None, bands, False))
    return out


def _account_rule(f: FeatureDef, positive_outcomes: Sequence[str]) -> bool:
    src = f.source or ""
    if src in _ACCOUNT_SOURCES:
        return bool(f.window) and f.window <= _MAX_WINDOW_FOR_POINTS
    return src.startswith("outcome:") and src.split(":", 1)[1] in positive_outcomes


def _indicator(inp: _Input, band: tuple[str, float | None, float | None], values: np.ndarray) -> np.ndarray:
    label, lo, hi = band
    if inp.thermometer:  # "at least lo"
        return np.nan_to_num(values.astype(np.float64)) >= float(lo)  # type: ignore[arg-type]
    if lo is None and hi is None:
        return pd.isna(values) if label == "unknown" else values.astype(object) == label
    v = values.astype(np.float64)
    ok = ~np.isnan(v)
    if lo is not None:
        ok &= v >= lo
    if hi is not None:
        ok &= v < hi
    return ok


def _pava(values: np.ndarray, weights: np.ndarray, increasing: bool) -> np.ndarray:
    """Pool adjacent violators: the closest monotone sequence (weighted least squares)."""
    v = list(values if increasing else -values)
    w = list(weights)
    blocks = [[v[i], w[i], 1] for i in range(len(v))]
    i = 0
    while i < len(blocks) - 1:
        if blocks[i][0] > blocks[i + 1][0]:
            a, b = blocks[i], blocks[i + 1]
            total = a[1] + b[1]
            blocks[i] = [(a[0] * a[1] + b[0] * b[1]) / total if total else (a[0] + b[0]) / 2, total, a[2] + b[2]]
            del blocks[i + 1]
            i = max(i - 1, 0)
        else:
            i += 1
    out = np.concatenate([[b[0]] * b[2] for b in blocks]) if blocks else np.zeros(0)
    return out if increasing else -out


def _describe(inp: _Input, label: str) -> str:
    if inp.rule == "event":
        return f"{label} {event_label(inp.event_type, 1 if label == '1' else 2)} in the last {inp.window} days"
    if inp.rule == "account":
        from propensity.scoring._reasons import describe_kind

        return f"account: {label} {describe_kind(inp.fdef)}" + (f" in the last {inp.window} days" if inp.window else "")
    return f"{inp.field.replace('_', ' ')}: {label}"


def fit_scorecard(
    spec: FeatureSpec,
    frame: pl.DataFrame,
    y: np.ndarray,
    config: ScorecardConfig | None = None,
    *,
    positive_outcomes: Sequence[str] = ("opportunity",),
    seed: int = 0,
) -> Scorecard:
    """Learn integer points from point-in-time training leads (`frame` holds the model's features)."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    config = config or ScorecardConfig()
    pdf = frame.select([n for n in spec.names if n in frame.columns]).to_pandas()
    y = np.asarray(y).astype(np.int64)
    inputs = _inputs(spec, pdf, config, positive_outcomes)
    columns = []
    owners: list[tuple[int, int]] = []
    for i, inp in enumerate(inputs):
        values = pdf[inp.fdef.name].to_numpy()
        for j, band in enumerate(inp.bands):
            columns.append(sparse.csr_matrix(_indicator(inp, band, values).astype(np.float64).reshape(-1, 1)))
            owners.append((i, j))
    if not columns or len(np.unique(y)) < 2:
        return Scorecard((), config.points_per_doubling)
    x = sparse.hstack(columns).tocsr()
    # categories: drop no level (L2 keeps it identified); the most common level is the 0-point reference below
    lr = LogisticRegression(C=1.0 / max(config.l2, 1e-9), max_iter=2000, random_state=seed)
    lr.fit(x, y)
    coef = lr.coef_[0]
    scale = config.points_per_doubling / math.log(2.0)
    rules: list[Rule] = []
    for i, inp in enumerate(inputs):
        idx = [k for k, (o, _) in enumerate(owners) if o == i]
        c = coef[idx]
        values = pdf[inp.fdef.name].to_numpy()
        support = np.array([_band_mask(inp, b, values).sum() for b in inp.bands], dtype=np.float64)
        if inp.thermometer:
            level = np.cumsum(c)  # points of band j = sum of the steps up to j (0 events: 0 points)
            level = _pava(level, support, increasing=bool(level[-1] >= 0))
        else:
            ref = int(np.argmax(support))  # the most common level earns 0 points
            level = c - c[ref]
        for j, band in enumerate(inp.bands):
            label, lo, hi = band
            pts = int(round(float(level[j]) * scale))
            rules.append(
                Rule(
                    inp.rule, inp.field, inp.event_type, inp.window, label,
                    lo if (lo is None or np.isfinite(lo)) else None, hi, pts, inp.fdef.name, _describe(inp, label),
                )
            )
    return Scorecard(tuple(rules), config.points_per_doubling)


def _band_mask(inp: _Input, band: tuple[str, float | None, float | None], values: np.ndarray) -> np.ndarray:
    """Rows inside a band (not 'at least'): the support used to weigh monotone pooling and references."""
    label, lo, hi = band
    if inp.thermometer:
        v = np.nan_to_num(values.astype(np.float64))
        return (v >= float(lo)) & (True if hi is None else v < hi)  # type: ignore[arg-type,operator]
    return _indicator(inp, band, values)


def scorecard_for(ts: Any, config: Any) -> tuple[Scorecard, dict[str, float], np.ndarray]:
    """Fit on the oldest backtest fold's training cutoffs (whose label windows all closed before any
    judged cutoff); return the scorecard, its ranking metrics on the backtest's judged leads (the
    model's rows), and its points there."""
    from propensity.training._metrics import capture_at, ranking_metrics

    spec = ts.builder.spec_
    # the columns a rule can be learned from, of the rows read: not a copy of the whole training set
    columns = ["label", *(f.name for f in spec.features if f.kind in _RULE_KINDS)]
    fit_rows = ts.at(ts.plan.folds[0].fit, columns)
    card = fit_scorecard(
        spec,
        fit_rows,
        fit_rows["label"].to_numpy(),
        config.scorecard,
        positive_outcomes=config.label.positive_outcomes,
        seed=config.model.seed,
    )
    valid = ts.judged(columns)
    y = valid["label"].to_numpy()
    pts = card.score(valid)
    return card, {**ranking_metrics(y, pts), "capture_30": capture_at(y, pts, 0.30)}, pts
