"""The hand-tuned points a model replaces: lifetime points per event plus profile bonuses.

Scored on the same (contact, cutoff) pairs as the model, with the same cutoff rule, so every
training run can put model and points side by side.

They are also the fallback when no model can be trained yet (`propensity score DATA_DIR --points`,
`score_by_points`): the same columns as a model's scores, labelled `model_version = "points"`, with
`score` left empty because points are not a probability; `score_100` is the points total clipped
to 1-100; grades and percentiles are relative to the run's own open leads; the reasons are the
three rules that gave the most points.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from propensity._config import GradeConfig, LabelConfig, PointsConfig
from propensity.features._titles import parse_titles
from propensity.io._export import CrmExport

if TYPE_CHECKING:
    from propensity.scoring._batch import ScoreRun

__all__ = ["POINTS_VERSION", "points_components", "points_scores", "relative_grades", "score_by_points"]

POINTS_VERSION = "points"  # the model_version of scores from the points table
NO_POINTS = "no points: no scored activity, title or company-size bonus"
_RULE_ORDER = {"event": 0, "title": 1, "size": 2}
_TITLE_WORDS = {
    "c_level": "C-level",
    "vp": "VP",
    "director": "director",
    "head": "head-of-function",
    "manager": "manager",
    "senior": "senior",
    "individual": "individual-contributor",
    "student": "student",
    "unknown": "unknown",
}


def points_scores(export: CrmExport, pairs: pl.DataFrame, config: PointsConfig) -> pl.DataFrame:
    """(contact_id, cutoff, points) for every pair; events after the cutoff never count."""
    table = pl.DataFrame(
        {"event_type": list(config.events), "pts": [float(v) for v in config.events.values()]},
        schema={"event_type": pl.String, "pts": pl.Float64},
    )
    ev = export.events.join(table, on="event_type", how="inner").select("contact_id", "occurred_at", "pts")
    keys = pairs.select("contact_id", "cutoff").unique()
    # one cutoff at a time, its window's events only: joining every event to every cutoff of its
    # contact first made the training's peak memory (4.8 GB for a chunk of 100,000 contacts)
    counted = [pl.DataFrame(schema={"contact_id": pl.String, "cutoff": pl.Datetime("us"), "activity": pl.Float64})]
    for (cutoff,), leads in keys.partition_by("cutoff", as_dict=True).items():
        seen = ev.filter(pl.col("occurred_at") <= cutoff)
        if config.window_days is not None:
            seen = seen.filter(pl.col("occurred_at") > cutoff - timedelta(days=config.window_days))  # type: ignore[operator]
        joined = leads.join(seen, on="contact_id", how="inner")
        counted.append(joined.group_by("contact_id", "cutoff").agg(pl.col("pts").sum().alias("activity")).cast(counted[0].schema))
    activity = pl.concat(counted)

    contacts = export.contacts.select("contact_id", "account_id")
    seniority = parse_titles(export.contacts["job_title"])["title_seniority"] if "job_title" in export.contacts.columns else None
    if seniority is not None:
        contacts = contacts.with_columns(seniority.alias("seniority"))
    else:
        contacts = contacts.with_columns(pl.lit("unknown").alias("seniority"))
    title_bonus = pl.col("seniority").replace_strict(
        {k: float(v) for k, v in config.title_bonus.items()}, default=0.0, return_dtype=pl.Float64
    )
    size_expr = pl.lit(0.0)
    for threshold, bonus in sorted(config.size_bonus.items(), key=lambda kv: float(kv[0])):
        size_expr = pl.when(pl.col("employee_count") >= float(threshold)).then(float(bonus)).otherwise(size_expr)
    sizes = export.accounts.select("account_id", "employee_count") if "employee_count" in export.accounts.columns else None
    profile = contacts.with_columns(title_bonus.alias("title_pts"))
    if sizes is not None:
        profile = profile.join(sizes, on="account_id", how="left").with_columns(size_expr.fill_null(0.0).alias("size_pts"))
    else:
        profile = profile.with_columns(pl.lit(0.0).alias("size_pts"))
    return (
        pairs.select("contact_id", "cutoff")
        .join(activity, on=["contact_id", "cutoff"], how="left")
        .join(profile.select("contact_id", "title_pts", "size_pts"), on="contact_id", how="left")
        .select(
            "contact_id",
            "cutoff",
            (pl.col("activity").fill_null(0.0) + pl.col("title_pts").fill_null(0.0) + pl.col("size_pts").fill_null(0.0)).alias(
                "points"
            ),
        )
    )


def _seniority(export: CrmExport) -> pl.DataFrame:
    contacts = export.contacts.select("contact_id", "account_id")
    if "job_title" in export.contacts.columns:
        return contacts.with_columns(parse_titles(export.contacts["job_title"])["title_seniority"].alias("seniority"))
    return contacts.with_columns(pl.lit("unknown").alias("seniority"))


def points_components(export: CrmExport, pairs: pl.DataFrame, config: PointsConfig) -> pl.DataFrame:
    """Where each pair's points come from: (contact_id, cutoff, rule, points, text), one row per rule
    that gave points (rule: event, title or size). The points of a pair add up to `points_scores`."""
    from propensity.features._spec import event_label

    schema = {"contact_id": pl.String, "cutoff": pl.Datetime("us"), "rule": pl.String, "points": pl.Float64, "text": pl.String}
    keys = pairs.select("contact_id", "cutoff").unique()
    labels = pl.DataFrame(
        {
            "event_type": list(config.events),
            "each": [float(v) for v in config.events.values()],
            "one": [event_label(e, 1) for e in config.events],
            "many": [event_label(e, 2) for e in config.events],
        },
        schema={"event_type": pl.String, "each": pl.Float64, "one": pl.String, "many": pl.String},
    )
    joined = (
        export.events.join(labels, on="event_type", how="inner")
        .select("contact_id", "occurred_at", "event_type", "each", "one", "many")
        .join(keys, on="contact_id", how="inner")
        .filter(pl.col("occurred_at") <= pl.col("cutoff"))
    )
    within = ""
    if config.window_days is not None:
        joined = joined.filter(pl.col("occurred_at") > pl.col("cutoff") - timedelta(days=config.window_days))
        within = f" in the last {config.window_days} days"
    events = (
        joined.group_by("contact_id", "cutoff", "event_type")
        .agg(pl.len().alias("n"), pl.col("each").first(), pl.col("one").first(), pl.col("many").first())
        .select(
            "contact_id",
            "cutoff",
            pl.lit("event").alias("rule"),
            (pl.col("n").cast(pl.Float64) * pl.col("each")).alias("points"),
            pl.format("{} {}" + within, pl.col("n"), pl.when(pl.col("n") == 1).then("one").otherwise("many")).alias("text"),
        )
    )
    people = keys.join(_seniority(export), on="contact_id", how="left")
    bonus = {k: float(v) for k, v in config.title_bonus.items()}
    words = pl.col("seniority").replace_strict(_TITLE_WORDS, default=pl.col("seniority"), return_dtype=pl.String)
    titles = people.filter(pl.col("seniority").is_in(list(bonus))).select(
        "contact_id",
        "cutoff",
        pl.lit("title").alias("rule"),
        pl.col("seniority").replace_strict(bonus, return_dtype=pl.Float64).alias("points"),
        (words + pl.lit(" title")).alias("text"),
    )
    parts = [events.cast(schema), titles.cast(schema)]  # type: ignore[arg-type]
    if "employee_count" in export.accounts.columns and config.size_bonus:
        steps = sorted(((float(t), float(b)) for t, b in config.size_bonus.items()), reverse=True)
        sized = people.join(export.accounts.select("account_id", "employee_count"), on="account_id", how="inner")
        threshold: pl.Expr = pl.lit(None, dtype=pl.Float64)
        for t, _ in reversed(steps):  # the largest threshold reached wins
            threshold = pl.when(pl.col("employee_count") >= t).then(pl.lit(t)).otherwise(threshold)
        sized = sized.with_columns(threshold.alias("_threshold")).filter(pl.col("_threshold").is_not_null())
        parts.append(
            sized.select(
                "contact_id",
                "cutoff",
                pl.lit("size").alias("rule"),
                pl.col("_threshold").replace_strict(dict(steps), return_dtype=pl.Float64).alias("points"),
                pl.col("_threshold").replace_strict({t: f"{t:,.0f}+ employees at the account" for t, _ in steps}, return_dtype=pl.String).alias("text"),
            ).cast(schema)  # type: ignore[arg-type]
        )
    return pl.concat(parts).filter(pl.col("points") != 0).sort("contact_id", "cutoff", "rule", "text")


def _amount(x: pl.Expr) -> pl.Expr:
    """Points as text: whole numbers without decimals, others with up to two."""
    return pl.when(x == x.round(0)).then(x.cast(pl.Int64).cast(pl.String)).otherwise(x.round(2).cast(pl.String))


def relative_grades(points: np.ndarray, config: GradeConfig) -> tuple[np.ndarray, np.ndarray]:
    """(grade, percentile) of each value against the values themselves (no validation population).

    A is the top `a` share, B the next `b`, C the next `c`: a value's share is the share of values at
    or above it, so tied values share a grade and a tie across a boundary takes the lower grade (the
    many leads without points are D, not A). Percentile: share (0-100) of values at or below.
    """
    v = np.asarray(points, dtype=np.float64)
    n = len(v)
    if n == 0:
        return np.array([], dtype=object), np.array([], dtype=np.int16)
    ordered = np.sort(v)
    at_or_above = (n - np.searchsorted(ordered, v, side="left")) / n
    at_or_below = np.searchsorted(ordered, v, side="right") / n
    eps = 1e-9
    grade = np.where(
        at_or_above <= config.a + eps,
        "A",
        np.where(at_or_above <= config.a + config.b + eps, "B", np.where(at_or_above <= config.a + config.b + config.c + eps, "C", "D")),
    )
    return grade.astype(object), np.floor(100 * at_or_below + eps).astype(np.int16)


def score_by_points(
    export: CrmExport,
    points: PointsConfig,
    label: LabelConfig,
    *,
    as_of: datetime | None = None,
    grades: GradeConfig | None = None,
) -> ScoreRun:
    """Rank every open lead at `as_of` by the hand-tuned points table: the fallback when no model
    can be trained yet. The same columns as `score_leads` (SCORE_COLUMNS), best first:

    * `score` is empty (points are not a probability), `model_version` is "points";
    * `score_100` is the points total clipped to 1-100;
    * `grade` and `percentile` are relative to this run's open leads (`relative_grades`);
    * `reasons`: the three rules that gave the most points, signed ("+ 30 points: 2 pricing-page views").

    An open lead without `created_at` is rejected as in `score_leads`; nothing is lost.
    """
    from propensity.scoring._batch import (
        REJECT_NO_CREATED_AT,
        SCORE_COLUMNS,
        ScoreRun,
        account_match_of,
        default_as_of,
    )
    from propensity.training._labels import open_leads

    as_of = as_of or default_as_of(export)
    dated = export.contacts.filter(pl.col("created_at").is_not_null())
    undated = export.contacts.filter(pl.col("created_at").is_null()).with_columns(pl.lit(as_of, dtype=pl.Datetime("us")).alias("created_at"))
    leads = open_leads(dated, export.outcomes, [as_of], label).sort("contact_id")
    rejects = open_leads(undated, export.outcomes, [as_of], label).select("contact_id", pl.lit(REJECT_NO_CREATED_AT).alias("reason")).sort("contact_id")
    pairs = leads.select("contact_id", "cutoff")
    totals = points_scores(export, pairs, points)
    parts = points_components(export, pairs, points)
    reasons = (
        parts.with_columns(
            pl.col("rule").replace_strict(_RULE_ORDER, return_dtype=pl.Int8).alias("_order"),
            (
                pl.when(pl.col("points") >= 0).then(pl.lit("+ ")).otherwise(pl.lit("- "))
                + _amount(pl.col("points").abs())
                + pl.when(pl.col("points").abs() == 1).then(pl.lit(" point: ")).otherwise(pl.lit(" points: "))
                + pl.col("text")
            ).alias("_reason"),
        )
        .sort(["contact_id", pl.col("points").abs(), "_order", "text"], descending=[False, True, False, False])
        .group_by("contact_id", maintain_order=True)
        .agg(pl.col("_reason").head(3).str.join("; ").alias("reasons"))
    )
    value = totals["points"].to_numpy()
    grade, percentile = relative_grades(value, grades or GradeConfig())
    scored = (
        leads.select("contact_id", "account_id")
        .join(
            totals.select(
                "contact_id",
                "points",
                pl.Series("score_100", np.clip(np.round(value), 1, 100).astype(np.int16)),
                pl.Series("grade", grade, dtype=pl.String),
                pl.Series("percentile", percentile, dtype=pl.Int16),
            ),
            on="contact_id",
            how="left",
        )
        .join(reasons, on="contact_id", how="left")
        .with_columns(
            pl.lit(None, dtype=pl.Float64).alias("score"),
            pl.col("reasons").fill_null(NO_POINTS),
            pl.lit(POINTS_VERSION).alias("model_version"),
            # no probability, so no trend: points runs are not compared with a previous scoring
            pl.lit(None, dtype=pl.Float64).alias("previous_score"),
            pl.lit(None, dtype=pl.String).alias("trend"),
            pl.lit(None, dtype=pl.String).alias("moved_by"),
        )
        .join(account_match_of(export), on="contact_id", how="left")
        .sort(["points", "contact_id"], descending=[True, False])
        .select(SCORE_COLUMNS)
    )
    if scored.height != leads.height:  # every open lead is scored or rejected: nothing is lost
        raise RuntimeError(f"points: scored {scored.height} of {leads.height} open leads")
    return ScoreRun(scored, as_of, export.contacts.height, leads.height + rejects.height, rejects)
