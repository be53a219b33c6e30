"""The account's buying committee at a cutoff: who at the account engaged, how senior, in which
departments, how much and how recently, and the account's earlier outcomes.

Stage 1 takes every person of the account known at the cutoff (created by then) with their own
event counts per window from the cutoff's scan (`WindowStats`); stage 2 aggregates them per
account. Decay-weighted account engagement counts events of the last `_DECAY_SPAN` half-lives
(older events weigh under 0.4 %).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from propensity.features._engagement import acceleration
from propensity.features._event_index import DAY_US, epoch_us
from propensity.features._titles import SENIORITY_RANK

if TYPE_CHECKING:
    from propensity.features._event_index import WindowStats
    from propensity.features._spec import FeatureDef, FeatureSpec

__all__ = ["SENIORITY_BANDS", "NOT_A_DEPARTMENT", "people_frame", "account_features", "decay_span_days", "account_source"]

_SENIOR_RANK = 4  # director, head and above
_DECAY_SPAN = 8  # half-lives after which an event's weight (0.4 %) is dropped from account sums
SENIORITY_BANDS: dict[str, tuple[str, ...]] = {
    "executive": ("c_level", "vp"),
    "director": ("director", "head"),
    "manager": ("manager",),
    "staff": ("senior", "individual"),
}
NOT_A_DEPARTMENT = ("unknown", "other")

# Account aggregates of models trained before `source` named them.
_LEGACY_ACCOUNT = {
    "acct_engaged_contacts_30d": "engaged",
    "acct_engaged_contacts_90d": "engaged",
    "acct_senior_engaged_30d": "engaged:senior",
    "acct_contacts": "contacts",
    "acct_high_intent_contacts_30d": "high_intent_contacts",
    "acct_high_intent_events_90d": "high_intent_events",
}


def account_source(f: FeatureDef) -> str:
    return f.source or _LEGACY_ACCOUNT.get(f.name, "")


def _wanted(spec: FeatureSpec) -> tuple[list[FeatureDef], dict[str, str]]:
    wanted = [f for f in spec.features if f.kind == "account"]
    return wanted, {f.name: account_source(f) for f in wanted}


def _trend_and_accel(spec: FeatureSpec) -> tuple[int | None, int | None]:
    wanted, sources = _wanted(spec)
    trend_w = next((f.window for f in wanted if sources[f.name] == "trend"), None)
    accel = next((f.window or 7 for f in wanted if sources[f.name] == "accel"), None)
    return trend_w, accel


def account_windows(spec: FeatureSpec) -> set[int]:
    """The windows (days) the account features count a person's events in."""
    wanted, _ = _wanted(spec)
    days = {f.window for f in wanted if f.window} | {
        f.window for f in spec.features if f.kind in ("share", "seniority_share") and f.window
    }
    trend_w, accel = _trend_and_accel(spec)
    if trend_w:
        days |= {trend_w, 2 * trend_w}
    if accel:
        days |= {accel, spec.trend_days}
    return {d for d in days if d}


def decay_span_days(spec: FeatureSpec) -> float:
    """How far back account sums look: the longest window (twice the trend's included), 8 half-lives."""
    half_life = max(float(spec.decay_half_life_days), 1e-6)
    return max([*account_windows(spec), _DECAY_SPAN * half_life])


def people_frame(contacts: pl.DataFrame) -> pl.DataFrame:
    """Contacts with an account (row `_cid` of `contacts`), their seniority band and department."""
    rank = pl.col("title_seniority").replace_strict(SENIORITY_RANK, default=-1, return_dtype=pl.Int8)
    band_of = {s: b for b, members in SENIORITY_BANDS.items() for s in members}
    return (
        contacts.with_row_index("_cid")
        .filter(pl.col("account_id").is_not_null())
        .select(
            "contact_id",
            "_cid",
            "account_id",
            "created_at",
            (rank >= _SENIOR_RANK).alias("senior"),
            rank.clip(lower_bound=1).cast(pl.Float32).alias("weight"),
            pl.col("title_seniority").replace_strict(band_of, default=None, return_dtype=pl.String).alias("band"),
            pl.col("title_department").alias("dept"),
        )
    )


def _person_counts(stats: WindowStats, cid: np.ndarray, spec: FeatureSpec, windows: list[int]) -> dict[str, np.ndarray]:
    """Stage 1: each person's events (all types, high-intent types) per window, decay, trend, acceleration."""
    every, high = stats.every[cid], stats.high[cid]
    at = {w: i for i, w in enumerate(windows)}
    f32 = np.float32
    cols: dict[str, np.ndarray] = {}
    for w in sorted(account_windows(spec)):
        cols[f"_n{w}"] = every[:, at[w]].astype(f32)
        cols[f"_hi{w}"] = high[:, at[w]].astype(f32)
    cols["_decay"] = stats.span_decay[cid]
    cols["_decay_hi"] = stats.span_decay_hi[cid]
    trend_w, accel = _trend_and_accel(spec)
    if trend_w:
        cols["_trend_recent"] = every[:, at[trend_w]].astype(f32)
        cols["_trend_before"] = (every[:, at[2 * trend_w]] - every[:, at[trend_w]]).astype(f32)
    if accel:
        cols["_accel"] = acceleration(every[:, at[accel]], every[:, at[spec.trend_days]], accel, spec.trend_days)
    return cols


def _account_exprs(spec: FeatureSpec) -> tuple[dict[str, pl.Expr], dict[str, pl.Expr]]:
    """Stage 2: the account features (by name) and the helpers the contact's shares divide by."""
    wanted, sources = _wanted(spec)
    exprs: dict[str, pl.Expr] = {}
    for f in wanted:
        src, w = sources[f.name], f.window or 0
        active = pl.col(f"_n{w}") > 0 if w else None
        if src == "engaged":
            exprs[f.name] = active.sum()  # type: ignore[union-attr]
        elif src == "engaged:senior":
            exprs[f.name] = (active & pl.col("senior")).sum()
        elif src.startswith("engaged:"):
            exprs[f.name] = (active & (pl.col("band") == src.split(":", 1)[1])).sum()
        elif src.startswith("department:"):
            exprs[f.name] = (active & (pl.col("dept") == src.split(":", 1)[1])).sum()
        elif src == "departments":
            exprs[f.name] = pl.col("dept").filter(active & ~pl.col("dept").is_in(list(NOT_A_DEPARTMENT))).n_unique()  # type: ignore[operator]
        elif src == "events":
            exprs[f.name] = pl.col(f"_n{w}").sum()
        elif src == "high_intent_events":
            exprs[f.name] = pl.col(f"_hi{w}").sum()
        elif src == "high_intent_contacts":
            exprs[f.name] = (pl.col(f"_hi{w}") > 0).sum()
        elif src == "decay":
            exprs[f.name] = pl.col("_decay").sum()
        elif src == "decay_high_intent":
            exprs[f.name] = pl.col("_decay_hi").sum()
        elif src == "trend":
            exprs[f.name] = pl.col("_trend_recent").sum() - pl.col("_trend_before").sum()
        elif src == "accel":
            exprs[f.name] = pl.col("_accel").cast(pl.Float64).sum()  # float64: the same sum in any order
    helpers: dict[str, pl.Expr] = {}
    for f in spec.features:
        if f.kind == "share":
            helpers[f"_acct_n{f.window}"] = pl.col(f"_n{f.window}").sum()
        elif f.kind == "seniority_share":
            helpers[f"_acct_weight{f.window}"] = pl.col("weight").filter(pl.col(f"_n{f.window}") > 0).sum()
    return exprs, helpers


def account_features(
    stats: WindowStats, people: pl.DataFrame, outcomes: pl.DataFrame | None, spec: FeatureSpec, t: datetime, windows: list[int]
) -> pl.DataFrame:
    """One row per account with a person known at `t`: the account features and share helpers."""
    now = epoch_us(t)
    known = people.filter(pl.col("created_at") <= t)
    engaged = known.with_columns(
        pl.Series(n, a) for n, a in _person_counts(stats, known["_cid"].to_numpy(), spec, windows).items()
    )
    wanted, sources = _wanted(spec)
    exprs, helpers = _account_exprs(spec)
    all_exprs = {**exprs, **helpers}
    out = engaged.group_by("account_id").agg(
        pl.len().cast(pl.Float32).alias("_acct_contacts"), *[e.cast(pl.Float32).alias(n) for n, e in all_exprs.items()]
    )
    for f in wanted:
        if sources[f.name] == "contacts":
            out = out.with_columns(pl.col("_acct_contacts").alias(f.name))
    if outcomes is not None:
        out = out.join(_account_outcomes(outcomes, known, wanted, sources, now), on="account_id", how="left")
        # a known account without such an outcome has zero of them (days-since stays unknown)
        counts = [f.name for f in wanted if sources[f.name].startswith("outcome:")]
        out = out.with_columns([pl.col(n).fill_null(0.0) for n in counts])
    return out.select("account_id", *[f.name for f in wanted if f.name in out.columns], *helpers)


def _account_outcomes(
    outcomes: pl.DataFrame, people: pl.DataFrame, wanted: list[FeatureDef], sources: dict[str, str], now: int
) -> pl.DataFrame:
    """Colleagues' outcomes known at `now`: how many had one, and days since the latest."""
    age = ((now - pl.col("ts")) / DAY_US).cast(pl.Float32)
    exprs = []
    for f in wanted:
        src = sources[f.name]
        if src.startswith("outcome:"):
            o = src.split(":", 1)[1]
            exprs.append(pl.col("contact_id").filter(pl.col("outcome") == o).n_unique().cast(pl.Float32).alias(f.name))
        elif src.startswith("outcome_recency:"):
            o = src.split(":", 1)[1]
            exprs.append(age.filter(pl.col("outcome") == o).min().alias(f.name))
    if not exprs:
        return people.select("account_id").unique()
    return (
        outcomes.filter(pl.col("ts") <= now)
        .join(people.select("contact_id", "account_id"), on="contact_id", how="inner")
        .group_by("account_id")
        .agg(exprs)
    )
