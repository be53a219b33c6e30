"""The hand-tuned points a model replaces: lifetime points per event plus profile bonuses.

Scored on the same (contact, cutoff) pairs as the model, with the same cutoff rule, so every
training run can put model and points side by side.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from propensity._config import PointsConfig
from propensity._export import CrmExport
from propensity._titles import parse_titles

__all__ = ["points_scores"]


def points_scores(export: CrmExport, pairs: pl.DataFrame, config: PointsConfig) -> pl.DataFrame:
    """(contact_id, cutoff, points) for every pair; events after the cutoff never count."""
    table = pl.DataFrame(
        {"event_type": list(config.events), "pts": [float(v) for v in config.events.values()]},
        schema={"event_type": pl.String, "pts": pl.Float64},
    )
    ev = export.events.join(table, on="event_type", how="inner").select("contact_id", "occurred_at", "pts")
    keys = pairs.select("contact_id", "cutoff").unique()
    joined = keys.join(ev, on="contact_id", how="inner").filter(pl.col("occurred_at") <= pl.col("cutoff"))
    if config.window_days is not None:
        joined = joined.filter(pl.col("occurred_at") > pl.col("cutoff") - timedelta(days=config.window_days))
    activity = joined.group_by("contact_id", "cutoff").agg(pl.col("pts").sum().alias("activity"))

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
