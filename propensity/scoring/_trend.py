"""Trend and what moved: each lead against its previous scoring in the score history.

- `trend`: `up`, `down`, `steady` or `new` (never scored before), by the `[trend]` thresholds
  (`TrendConfig`): a grade change, or a change of score both absolute and relative.
- `moved_by`: the business fields whose contributions (log-odds, summed per field as in the reasons)
  changed the most since the previous scoring, signed ('+' raised the score, '-' lowered it) and in
  words at today's value: "- last pricing-page view 45 days ago; + 2 engaged contacts at the account
  in the last 30 days".

The history keeps, per lead and scoring, the contribution of every business field of at least
`STORED_MIN` (rounded to `STORED_DIGITS` decimals) as a compact JSON object; a field not stored counts
as 0 on the previous side.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl

from propensity._config import TrendConfig
from propensity.features._spec import FeatureSpec
from propensity.scoring._reasons import FieldIndex, field_texts

__all__ = ["STORED_DIGITS", "STORED_MIN", "TRENDS", "contributions_json", "moved_by", "trend_of"]

STORED_DIGITS = 4
STORED_MIN = 0.005
TRENDS = ("up", "down", "steady", "new")
_GRADE_RANK = {"D": 0, "C": 1, "B": 2, "A": 3}


def contributions_json(index: FieldIndex, grouped: np.ndarray) -> list[str]:
    """Per row, {field: contribution} of the fields with |contribution| >= STORED_MIN, as JSON."""
    rounded = np.round(grouped, STORED_DIGITS)
    if rounded.shape[0] == 0:
        return []
    frame = pl.DataFrame({f"c{j}": rounded[:, j] for j in range(rounded.shape[1])})
    # vectorised: one '"field":value' per kept field, joined (the shortest text that reads back the same float)
    pairs = [
        pl.when(pl.col(f"c{j}").abs() >= STORED_MIN).then(pl.lit(json.dumps(name) + ":") + pl.col(f"c{j}").cast(pl.String))
        for j, name in enumerate(index.fields)
    ]
    text = pl.lit("{") + pl.concat_str(pairs, separator=",", ignore_nulls=True) + pl.lit("}")
    return frame.select(text.alias("j"))["j"].to_list()


def trend_of(score: pl.Series, grade: pl.Series, previous_score: pl.Series, previous_grade: pl.Series, config: TrendConfig) -> pl.Series:
    """`up`, `down`, `steady`, or `new` where there is no previous score."""
    frame = pl.DataFrame([score.alias("s"), grade.alias("g"), previous_score.alias("ps"), previous_grade.alias("pg")])
    rank = lambda c: pl.col(c).replace_strict(_GRADE_RANK, default=None, return_dtype=pl.Int64)  # noqa: E731
    change = pl.col("s") - pl.col("ps")
    big = (change.abs() >= config.absolute) & (change.abs() >= config.relative * pl.col("ps"))
    grade_up = (rank("g") > rank("pg")).fill_null(False) & pl.lit(config.grade_change)
    grade_down = (rank("g") < rank("pg")).fill_null(False) & pl.lit(config.grade_change)
    expr = (
        pl.when(pl.col("ps").is_null() | pl.col("s").is_null()).then(pl.lit("new"))
        .when(grade_up).then(pl.lit("up"))
        .when(grade_down).then(pl.lit("down"))
        .when(big & (change > 0)).then(pl.lit("up"))
        .when(big & (change < 0)).then(pl.lit("down"))
        .otherwise(pl.lit("steady"))
    )
    return frame.select(expr.alias("trend")).to_series()


def moved_by(
    spec: FeatureSpec,
    frame: pd.DataFrame,
    contrib: np.ndarray,
    previous: list[str | None],
    config: TrendConfig,
    index: FieldIndex | None = None,
) -> list[str]:
    """Per row, the fields whose contribution changed most since `previous` (its stored JSON, None
    when never scored), signed, in words at the current value; "" when new or nothing moved enough."""
    index = index or FieldIndex(spec)
    grouped = index.group(contrib)
    n, n_fields = grouped.shape
    if all(p is None for p in previous):
        return [""] * n
    pos = {f: j for j, f in enumerate(index.fields)}
    before = np.zeros_like(grouped)
    known = np.zeros(n, dtype=bool)
    for i, text in enumerate(previous):
        if text is None:
            continue
        known[i] = True
        for f, c in json.loads(text).items():
            j = pos.get(f)
            if j is not None:
                before[i, j] = c
    delta = np.round(grouped, STORED_DIGITS) - before
    delta[~known] = 0.0
    k = min(config.fields, n_fields)
    # biggest |change| first; ties by field order (stable)
    order = np.argsort(-np.abs(delta), axis=1, kind="stable")[:, :k]
    rows = np.arange(n)
    parts: list[np.ndarray] = []
    for slot in range(k):
        fields = order[:, slot].copy()
        d = delta[rows, fields]
        fields[np.abs(d) < max(config.min_change, 1e-12)] = -1
        text = field_texts(spec, frame, contrib, fields, index)
        sign = np.where(d >= 0, "+ ", "- ").astype(object)
        parts.append(np.where(fields >= 0, sign + text, ""))
    out = []
    for i in range(n):
        out.append("; ".join(str(p[i]) for p in parts if p[i]))
    return out
