"""The one-page LightGBM: what a data scientist writes in an afternoon, the bar the model must clear.

Per (contact, monthly cutoff): counts of each event type in the last 7, 30 and 90 days, days since
the last event and since the contact was created, and the contact's and account's attribute
columns (strings as categories, numbers as they are). Trained on every matured monthly cutoff of
the export (label: a positive outcome within the horizon, open leads only) with plain LightGBM
defaults and a fixed number of rounds; scored at the export date. Polars and LightGBM only: none
of propensity's feature code.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

__all__ = ["baseline_scores", "monthly_cutoffs", "window_features"]

WINDOWS = (7, 30, 90)
ROUNDS = 300
_NOT_ATTRIBUTES = {"contact_id", "account_id", "created_at", "name"}


def monthly_cutoffs(first: datetime, cut: datetime, horizon_days: int) -> list[datetime]:
    """Month starts after `first` whose horizon has matured by `cut`."""
    out, t = [], datetime(first.year, first.month, 1)
    while True:
        t = datetime(t.year + t.month // 12, t.month % 12 + 1, 1)
        if t + timedelta(days=horizon_days) > cut:
            return out
        out.append(t)


def _open_pairs(contacts: pl.DataFrame, positives: pl.DataFrame, cutoffs: list[datetime], horizon_days: int) -> pl.DataFrame:
    """(contact_id, cutoff, label) for the contacts open at each cutoff."""
    first = positives.group_by("contact_id").agg(pl.col("occurred_at").min().alias("won_at"))
    base = contacts.select("contact_id", "created_at").join(first, on="contact_id", how="left")
    frames = [
        base.filter((pl.col("created_at") <= t) & (pl.col("won_at").is_null() | (pl.col("won_at") > t))).select(
            "contact_id",
            pl.lit(t, dtype=pl.Datetime("us")).alias("cutoff"),
            (pl.col("won_at") <= t + timedelta(days=horizon_days)).fill_null(False).cast(pl.Int8).alias("label"),
        )
        for t in cutoffs
    ]
    return pl.concat(frames)


def window_features(events: pl.DataFrame, pairs: pl.DataFrame, event_types: list[str]) -> pl.DataFrame:
    """Per pair (contact_id, cutoff): `<type>_<w>d` counts and `days_since_last_event`."""
    parts = []
    for (t,), group in pairs.group_by("cutoff", maintain_order=True):
        seen = events.filter(pl.col("occurred_at") <= t)
        recent = seen.filter(pl.col("occurred_at") > t - timedelta(days=max(WINDOWS)))
        age = (pl.lit(t) - pl.col("occurred_at")).dt.total_seconds() / 86_400
        counts = recent.group_by("contact_id").agg(
            (age.filter(pl.col("event_type") == kind) <= w).sum().alias(f"{kind}_{w}d") for kind in event_types for w in WINDOWS
        )
        last = seen.group_by("contact_id").agg(((pl.lit(t) - pl.col("occurred_at").max()).dt.total_seconds() / 86_400).alias("days_since_last_event"))
        parts.append(group.join(counts, on="contact_id", how="left").join(last, on="contact_id", how="left"))
    names = [f"{kind}_{w}d" for kind in event_types for w in WINDOWS]
    return pl.concat(parts, how="diagonal_relaxed").with_columns(pl.col(names).fill_null(0))


def _frame(pairs: pl.DataFrame, contacts: pl.DataFrame, accounts: pl.DataFrame, events: pl.DataFrame, event_types: list[str]) -> pl.DataFrame:
    rows = window_features(events, pairs, event_types).join(contacts, on="contact_id", how="left")
    if accounts.height:
        rows = rows.join(accounts, on="account_id", how="left")
    return rows.with_columns(((pl.col("cutoff") - pl.col("created_at")).dt.total_seconds() / 86_400).alias("days_since_created"))


def baseline_scores(
    contacts: pl.DataFrame,
    accounts: pl.DataFrame,
    events: pl.DataFrame,
    outcomes: pl.DataFrame,
    *,
    cut: datetime,
    positive_outcomes: list[str],
    horizon_days: int = 90,
    seed: int = 0,
) -> tuple[pl.DataFrame, int]:
    """(contact_id, baseline) for every lead open at `cut`, and the number of training cutoffs."""
    import lightgbm as lgb

    positives = outcomes.filter(pl.col("outcome").is_in(positive_outcomes))
    first = events["occurred_at"].min() if events.height else contacts["created_at"].min()
    cutoffs = monthly_cutoffs(first, cut, horizon_days)  # type: ignore[arg-type]
    pairs = _open_pairs(contacts, positives, [*cutoffs, cut], horizon_days)
    event_types = sorted(events["event_type"].unique().to_list())
    rows = _frame(pairs, contacts, accounts, events, event_types)
    columns = [c for c in rows.columns if c not in _NOT_ATTRIBUTES | {"cutoff", "label"}]
    frame = rows.select(columns).with_columns(pl.col(pl.String).cast(pl.Categorical)).to_pandas()  # one mapping
    train = (rows["cutoff"] < cut).to_numpy()
    params = {"objective": "binary", "verbose": -1, "seed": seed, "num_threads": 2}
    booster = lgb.train(params, lgb.Dataset(frame[train], label=rows["label"].to_numpy()[train]), num_boost_round=ROUNDS)
    p = booster.predict(frame[~train])
    scored = rows.filter(pl.col("cutoff") == cut).select("contact_id").with_columns(pl.Series("baseline", np.asarray(p, dtype=np.float64)))
    return scored, len(cutoffs)
