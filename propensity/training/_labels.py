"""Cutoffs, open leads and labels: the time rules of the contract.

A contact is an open lead at cutoff t when it exists (created_at <= t) and has no positive outcome
at or before t. It is positive when a positive outcome occurs in (t, t + horizon].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import polars as pl

from propensity._config import LabelConfig, SplitConfig
from propensity._errors import PropensityError

__all__ = ["month_starts", "Fold", "SplitPlan", "matured_cutoffs", "plan_split", "open_leads", "label_pairs"]


def month_starts(first: datetime, last: datetime) -> list[datetime]:
    """Month-start cutoffs (00:00 UTC on the 1st) in [first, last]."""
    year, month = first.year, first.month
    if (first.day, first.hour, first.minute, first.second, first.microsecond) != (1, 0, 0, 0, 0):
        month += 1
    out: list[datetime] = []
    while True:
        if month > 12:
            year, month = year + 1, 1
        t = datetime(year, month, 1)
        if t > last:
            return out
        out.append(t)
        month += 1


@dataclass(frozen=True)
class Fold:
    """One forward fold of the rolling-origin backtest: fitted on `fit`, judged on `judged`.

    Every label window of a fitted cutoff has closed by the first judged cutoff
    (`fit[-1] + horizon <= judged[0]`), so no outcome the fold learned from lies in the period it is
    judged on."""

    fit: tuple[datetime, ...]
    judged: tuple[datetime, ...]


@dataclass(frozen=True)
class SplitPlan:
    """Every matured monthly cutoff (the served model is fitted on all of them) and the backtest folds
    (expanding window, oldest first) that decide the settings and give every figure."""

    cutoffs: tuple[datetime, ...]
    folds: tuple[Fold, ...]

    @property
    def all(self) -> tuple[datetime, ...]:
        return self.cutoffs

    @property
    def judged(self) -> tuple[datetime, ...]:
        """The cutoffs some fold is judged on, oldest first."""
        return tuple(sorted({t for f in self.folds for t in f.judged}))

    def fold_of(self, cutoff: datetime) -> int:
        """The index of the fold judged on `cutoff`, -1 when no fold is."""
        return next((i for i, f in enumerate(self.folds) if cutoff in f.judged), -1)


def matured_cutoffs(data_start: datetime, data_end: datetime, label: LabelConfig, split: SplitConfig) -> list[datetime]:
    """Monthly cutoffs after `min_history_days` of history whose whole label window has passed by
    `data_end` (the newest `max_train_cutoffs` of them)."""
    horizon = timedelta(days=label.horizon_days)
    first = data_start + timedelta(days=split.min_history_days)
    matured = [t for t in month_starts(first, data_end) if t + horizon <= data_end]
    return matured[-split.max_train_cutoffs :] if split.max_train_cutoffs > 0 else matured  # 0: all (internal)


def plan_split(data_start: datetime, data_end: datetime, label: LabelConfig, split: SplitConfig) -> SplitPlan:
    """Every matured monthly cutoff, and a rolling-origin backtest on the newest of them.

    Fold k is judged on one matured cutoff c_k (the newest `backtest_folds` cutoffs that have any
    earlier cutoff to learn from) and fitted on every cutoff t with t + horizon <= c_k (an expanding
    window): each fold's training label windows have closed before the cutoff it is judged on.
    """
    horizon = timedelta(days=label.horizon_days)
    matured = matured_cutoffs(data_start, data_end, label, split)
    judged = [c for c in matured if any(t + horizon <= c for t in matured)][-split.backtest_folds :]
    if not judged:
        first = data_start + timedelta(days=split.min_history_days)
        every = matured_cutoffs(data_start, data_end, label, replace(split, max_train_cutoffs=0))
        if len(every) > len(matured):
            raise PropensityError(
                f"[split] max_train_cutoffs = {split.max_train_cutoffs} keeps the {len(matured)} newest of {len(every)} matured "
                f"cutoffs, too few for a forward backtest with a {label.horizon_days}-day horizon (a fold needs a cutoff whose "
                f"label window closes before the one it is judged on): raise it to at least "
                f"{2 + label.horizon_days // 28}"
            )
        need = split.min_history_days + 2 * label.horizon_days + 31
        raise PropensityError(
            f"the export's history spans {data_start:%Y-%m-%d} to {data_end:%Y-%m-%d} "
            f"({(data_end - data_start).days} days): a forward backtest with a {label.horizon_days}-day horizon "
            f"needs one monthly cutoff whose label window closes before a later one does; it found "
            f"{len(matured)} matured cutoff(s) (month starts from {first:%Y-%m-%d} whose {label.horizon_days} days "
            f"have passed). About {need} days of history are needed ([split] min_history_days "
            f"{split.min_history_days} + two horizons + a month); a shorter [label] horizon_days or "
            f"min_history_days also helps"
        )
    folds = tuple(Fold(tuple(t for t in matured if t + horizon <= c), (c,)) for c in judged)
    return SplitPlan(tuple(matured), folds)


def _positive_outcomes(outcomes: pl.DataFrame | None, label: LabelConfig) -> pl.DataFrame:
    if outcomes is None:
        return pl.DataFrame(schema={"contact_id": pl.String, "occurred_at": pl.Datetime("us")})
    return outcomes.filter(pl.col("outcome").is_in(list(label.positive_outcomes))).select("contact_id", "occurred_at")


def open_leads(
    contacts: pl.DataFrame, outcomes: pl.DataFrame | None, cutoffs: Sequence[datetime], label: LabelConfig
) -> pl.DataFrame:
    """(contact_id, account_id, cutoff) for every contact that is an open lead at each cutoff."""
    pos = _positive_outcomes(outcomes, label)
    first_pos = pos.group_by("contact_id").agg(pl.col("occurred_at").min().alias("_converted_at"))
    base = contacts.select("contact_id", "account_id", "created_at").join(first_pos, on="contact_id", how="left")
    frames = []
    for t in sorted(set(cutoffs)):
        frames.append(
            base.filter(
                (pl.col("created_at") <= t) & (pl.col("_converted_at").is_null() | (pl.col("_converted_at") > t))
            )
            .select("contact_id", "account_id")
            .with_columns(pl.lit(t, dtype=pl.Datetime("us")).alias("cutoff"))
        )
    if not frames:
        return pl.DataFrame(schema={"contact_id": pl.String, "account_id": pl.String, "cutoff": pl.Datetime("us")})
    return pl.concat(frames)


def label_pairs(pairs: pl.DataFrame, outcomes: pl.DataFrame | None, label: LabelConfig) -> pl.DataFrame:
    """Add `label` (0/1): a positive outcome in (cutoff, cutoff + horizon]."""
    pos = _positive_outcomes(outcomes, label)
    horizon = pl.duration(days=label.horizon_days)
    hits = (
        pairs.select("contact_id", "cutoff")
        .join(pos, on="contact_id", how="inner")
        .filter((pl.col("occurred_at") > pl.col("cutoff")) & (pl.col("occurred_at") <= pl.col("cutoff") + horizon))
        .select("contact_id", "cutoff")
        .unique()
        .with_columns(pl.lit(1, dtype=pl.Int8).alias("label"))
    )
    return pairs.join(hits, on=["contact_id", "cutoff"], how="left").with_columns(pl.col("label").fill_null(0))
