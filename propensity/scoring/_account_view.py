"""The account view: many teams sell to accounts, not people.

An account's score is the probability that at least one of its open leads converts within the
horizon, ``1 - prod(1 - p_i)`` over its contacts' calibrated probabilities (treating the contacts as
independent given their features: a slight overstatement when colleagues' chances move together).
Its grade and percentile are read against the account-level validation population stored at
training time (`metadata["account_grades"]`), so an A account means the same in every run. Beside
it: the engaged buying committee (contacts active in the last `committee_days`, by seniority and
department), its best lead and that lead's top reasons.

A scored lead without an `account_id` is a buying unit of its own: one row with `account_id` empty,
`open_leads` 1, its own probability and reasons, and its own activity as the "committee". So every
scored lead is in exactly one row: the rows' `open_leads` add up to the leads scored.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from propensity._config import GradeConfig
from propensity.features._titles import SENIORITY_RANK, parse_titles
from propensity.io._export import CrmExport
from propensity.scoring._grades import GradeScale

__all__ = ["ACCOUNT_COLUMNS", "account_probability", "account_grades", "account_scores", "committee_days_of"]

log = logging.getLogger("propensity")

ACCOUNT_COLUMNS = (
    "account_id",
    "score",
    "score_100",
    "grade",
    "percentile",
    "reasons",
    "model_version",
    "open_leads",
    "engaged_contacts",
    "engaged_seniority",
    "engaged_departments",
    "top_contact_id",
)

_SENIORITY_WORDS = {
    "c_level": ("C-level", "C-level"),
    "vp": ("VP", "VPs"),
    "director": ("director", "directors"),
    "head": ("head", "heads"),
    "manager": ("manager", "managers"),
    "senior": ("senior", "seniors"),
    "individual": ("individual contributor", "individual contributors"),
    "student": ("student", "students"),
    "unknown": ("unknown title", "unknown titles"),
}
_DEPARTMENT_WORDS = {"hr": "HR", "it": "IT"}
_LONE = "\x00"  # prefixes the contact_id of a lead without an account: its own buying unit (no account_id starts with it)
_DEFAULT_COMMITTEE_DAYS = 30


def committee_days_of(spec: Any) -> int:
    """The buying-committee window a model was trained with (its engaged-by-seniority/department
    features), else 30 days."""
    for f in getattr(spec, "features", ()):
        src = f.source or ""
        if f.kind == "account" and f.window and (src == "departments" or src.startswith(("engaged:", "department:"))):
            return int(f.window)
    return _DEFAULT_COMMITTEE_DAYS


def account_probability(scores: pl.DataFrame, *, by: tuple[str, ...] = ("account_id",)) -> pl.DataFrame:
    """P(at least one contact converts) per group: 1 - prod(1 - p) over the group's scored leads."""
    return (
        scores.filter(pl.col("account_id").is_not_null() & pl.col("score").is_finite())
        .group_by(*by)
        .agg(
            (1.0 - (1.0 - pl.col("score").clip(0.0, 1.0 - 1e-12)).log().sum().exp()).alias("score"),
            pl.len().alias("open_leads"),
            pl.col("contact_id").sort_by(["score", "contact_id"], descending=[True, False]).first().alias("top_contact_id"),
        )
    )


def account_grades(valid: pl.DataFrame, config: GradeConfig) -> tuple[GradeScale | None, dict[str, float]]:
    """Grade thresholds for accounts and account-level metrics, from the validation rows
    (contact_id, account_id, cutoff, score, label): an account is positive at a cutoff when any of
    its open leads converts within the horizon."""
    from propensity.training._metrics import probability_metrics

    per = account_probability(valid, by=("account_id", "cutoff"))
    if per.height == 0:
        return None, {}
    labels = valid.filter(pl.col("account_id").is_not_null()).group_by("account_id", "cutoff").agg(pl.col("label").max())
    joined = per.join(labels, on=["account_id", "cutoff"], how="left")
    metrics = probability_metrics(joined["label"].to_numpy(), joined["score"].to_numpy())
    return GradeScale.from_scores(per["score"].to_numpy(), config), metrics


def _committee(export: CrmExport, as_of: datetime, days: int) -> pl.DataFrame:
    """account_id, engaged_contacts, engaged_seniority, engaged_departments (activity in the window)."""
    contacts = export.contacts.filter(pl.col("account_id").is_not_null())
    if "job_title" in contacts.columns:
        titles = parse_titles(contacts["job_title"])
        contacts = contacts.with_columns(titles["title_seniority"], titles["title_department"])
    else:
        contacts = contacts.with_columns(pl.lit("unknown").alias("title_seniority"), pl.lit("unknown").alias("title_department"))
    active = (
        export.events.filter((pl.col("occurred_at") <= as_of) & (pl.col("occurred_at") > as_of - timedelta(days=days)))
        .select("contact_id")
        .unique()
    )
    engaged = contacts.join(active, on="contact_id", how="inner").select("account_id", "title_seniority", "title_department")
    if engaged.height == 0:
        return pl.DataFrame(
            schema={"account_id": pl.String, "engaged_contacts": pl.Int64, "engaged_seniority": pl.String, "engaged_departments": pl.String}
        )
    rows = []
    for (account,), part in engaged.group_by(["account_id"]):
        sen = part["title_seniority"].value_counts()
        sen = sen.with_columns(
            pl.col("title_seniority").replace_strict(SENIORITY_RANK, default=-1, return_dtype=pl.Int8).alias("_rank")
        ).sort(["_rank", "title_seniority"], descending=[True, False])
        seniority = ", ".join(
            f"{n} {_SENIORITY_WORDS.get(s, (s, s))[0 if n == 1 else 1]}" for s, n in sen.select("title_seniority", "count").iter_rows()
        )
        dep = part.filter(~pl.col("title_department").is_in(["unknown", "other"]))["title_department"].value_counts()
        departments = ", ".join(
            _DEPARTMENT_WORDS.get(d, d.replace("_", " ")) for d, _ in dep.sort(["count", "title_department"], descending=[True, False]).iter_rows()
        )
        rows.append({"account_id": account, "engaged_contacts": part.height, "engaged_seniority": seniority, "engaged_departments": departments})
    return pl.DataFrame(rows, schema={"account_id": pl.String, "engaged_contacts": pl.Int64, "engaged_seniority": pl.String, "engaged_departments": pl.String})


def account_scores(
    scores: pl.DataFrame,
    export: CrmExport,
    *,
    as_of: datetime,
    metadata: dict[str, Any],
    model_version: str,
    committee_days: int = 30,
    grades: GradeConfig | None = None,
) -> pl.DataFrame:
    """One row per account with at least one scored open lead, best first (ACCOUNT_COLUMNS); a
    scored lead without an account is a row of its own with `account_id` empty."""
    scores = scores.filter(pl.col("score").is_finite())
    lone = pl.col("account_id").is_null()
    units = scores.with_columns(pl.when(lone).then(pl.lit(_LONE) + pl.col("contact_id")).otherwise(pl.col("account_id")).alias("account_id"))
    contacts = export.contacts.with_columns(
        pl.when(lone).then(pl.lit(_LONE) + pl.col("contact_id")).otherwise(pl.col("account_id")).alias("account_id")
    )
    export = CrmExport(contacts, export.accounts, export.events, export.outcomes, export.source, export.fingerprint, export.report)
    per = account_probability(units)
    p = per["score"].to_numpy()
    stored = metadata.get("account_grades")
    if stored:
        scale = GradeScale.from_dict(stored)
    else:
        log.warning(
            "warning: this model has no account-level grade scale (trained before the account view): "
            "account grades and percentiles are relative to this run's accounts"
        )
        scale = GradeScale.from_scores(p if len(p) else np.zeros(1), grades or GradeConfig())
    reasons = scores.select(pl.col("contact_id").alias("top_contact_id"), "reasons")
    committee = _committee(export, as_of, committee_days)
    out = (
        per.with_columns(
            pl.Series("score_100", GradeScale.score_100(p), dtype=pl.Int16),
            pl.Series("grade", scale.grade(p), dtype=pl.String),
            pl.Series("percentile", scale.percentile(p), dtype=pl.Int16),
            pl.lit(model_version).alias("model_version"),
        )
        .join(reasons, on="top_contact_id", how="left")
        .join(committee, on="account_id", how="left")
        .with_columns(pl.col("engaged_contacts").fill_null(0), pl.col("engaged_seniority").fill_null(""), pl.col("engaged_departments").fill_null(""))
        .with_columns(pl.col("open_leads").cast(pl.Int64))
        .with_columns(pl.when(pl.col("account_id").str.starts_with(_LONE)).then(None).otherwise(pl.col("account_id")).alias("account_id"))
        .sort(["score", "account_id", "top_contact_id"], descending=[True, False, False], nulls_last=True)
    )
    if int(out["open_leads"].sum()) != scores.height:  # every scored lead is in exactly one row
        raise RuntimeError(f"account view: {int(out['open_leads'].sum())} leads in account rows != {scores.height} scored")
    return out.select(ACCOUNT_COLUMNS)
