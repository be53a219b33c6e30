"""Cutoffs, open leads and labels: the time rules of the contract.

A contact is an open lead at cutoff t when it exists (created_at <= t) and has no positive outcome
at or before t. It is positive when a positive outcome occurs in (t, t + horizon].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from propensity._config import LabelConfig, SplitConfig
from propensity._errors import PropensityError

__all__ = ["month_starts", "SplitPlan", "plan_split", "open_leads", "label_pairs", "converted_before"]


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
class SplitPlan:
    """Which cutoffs train, calibrate (and early-stop) and validate; all strictly forward in time."""

    train: tuple[datetime, ...]
    calibration: tuple[datetime, ...]
    valid: tuple[datetime, ...]

    @property
    def all(self) -> tuple[datetime, ...]:
        return self.train + self.calibration + self.valid

    def role(self, cutoff: datetime) -> str:
        if cutoff in self.valid:
            return "valid"
        return "calibration" if cutoff in self.calibration else "train"


def plan_split(data_start: datetime, data_end: datetime, label: LabelConfig, split: SplitConfig) -> SplitPlan:
    """Monthly cutoffs whose horizon has passed by `data_end`, split with purged gaps.

    A cutoff belongs to a later block only when every label window of the earlier block has closed
    by then, so no outcome used to fit a block is inside the period the next block is judged on.
    """
    horizon = timedelta(days=label.horizon_days)
    first = data_start + timedelta(days=split.min_history_days)
    matured = [t for t in month_starts(first, data_end) if t + horizon <= data_end]
    needed = split.valid_cutoffs + split.calibration_cutoffs + 1
    if len(matured) < split.valid_cutoffs:
        raise PropensityError(
            f"the export spans {data_start:%Y-%m-%d} to {data_end:%Y-%m-%d}: no monthly cutoff has a "
            f"fully observed {label.horizon_days}-day horizon after {split.min_history_days} days of history"
        )
    valid = matured[-split.valid_cutoffs :]
    calib_pool = [t for t in matured if t + horizon <= valid[0]]
    calibration = calib_pool[-split.calibration_cutoffs :]
    train_pool = [t for t in matured if calibration and t + horizon <= calibration[0]]
    train = train_pool[-split.max_train_cutoffs :]
    if not calibration or not train:
        raise PropensityError(
            f"the export spans {data_start:%Y-%m-%d} to {data_end:%Y-%m-%d}: too short for a forward split "
            f"with a {label.horizon_days}-day horizon (needs at least {needed} monthly cutoffs spaced by "
            f"the horizon; found {len(matured)} matured cutoffs)"
        )
    return SplitPlan(tuple(train), tuple(calibration), tuple(valid))


def _positive_outcomes(outcomes: pl.DataFrame | None, label: LabelConfig) -> pl.DataFrame:
    if outcomes is None:
        return pl.DataFrame(schema={"contact_id": pl.String, "occurred_at": pl.Datetime("us")})
    return outcomes.filter(pl.col("outcome").is_in(list(label.positive_outcomes))).select("contact_id", "occurred_at")


def converted_before(outcomes: pl.DataFrame | None, cutoff: datetime, label: LabelConfig) -> pl.Series:
    """contact_ids with a positive outcome at or before `cutoff`: no longer leads."""
    pos = _positive_outcomes(outcomes, label)
    return pos.filter(pl.col("occurred_at") <= cutoff)["contact_id"].unique()


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
