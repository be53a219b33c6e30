"""Negative downsampling: every positive lead and a seeded fraction of the negatives are fitted on.

Open leads are 90-99% negatives. Fitting on every positive and a fraction `rate` of the negatives
would shift a model's log-odds by log(1 / rate); each kept negative is weighted 1 / rate instead (the
weighting of He et al., "Practical Lessons from Predicting Clicks on Ads at Facebook", 2014, whose
correction q = p / (p + (1 - p) / rate) it makes unnecessary), so the boosting and its
early-stopping log loss estimate those of every lead. The calibration is then exact by construction:
it is fitted on the out-of-time margins of *every* lead of the backtest's judged cutoffs (never
sampled), and the served model is fitted at the same rate as the fold models it learned from.

A row is kept by a seeded hash of its (contact_id, cutoff), so the same export, config and seed keep
the same rows in any order and on any machine. Rows of the judged cutoffs are all built (they are
judged and calibrated on); only the `keep` ones are fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from propensity._config import SamplingConfig

__all__ = ["Sampling", "choose_rate", "keep_draw", "keep_expression", "mark_kept", "row_weights", "thin_negatives"]

_HASH_SCALE = float(2**64)


@dataclass(frozen=True)
class Sampling:
    rate: float  # the fraction of negative leads fitted on (1.0: all)
    positives: int
    negatives: int
    kept_negatives: int

    def to_dict(self) -> dict[str, float | int]:
        return {"negative_rate": self.rate, "positives": self.positives, "negatives": self.negatives, "kept_negatives": self.kept_negatives}


def row_weights(y: np.ndarray, kept: np.ndarray, rate: float) -> np.ndarray | None:
    """LightGBM row weights under downsampling (None without it): 1 for a positive, 1 / rate for a kept
    negative (it stands for the negatives left out), 0 for a row never fitted on. Fitting and the
    early-stopping log loss of the judged rows then estimate those of every lead."""
    if rate >= 1.0 and kept.all():
        return None
    w = np.where(y == 1, 1.0, 1.0 / rate)
    return np.where(kept, w, 0.0)


def choose_rate(positives: int, negatives: int, config: SamplingConfig) -> float:
    """The configured rate, or (`negative_rate = 0`, automatic) the largest rate that keeps the rows
    fitted on within `max_rows`, never fewer than `min_negatives_per_positive` negatives per positive."""
    if config.negative_rate > 0:
        return float(config.negative_rate)
    if positives + negatives <= config.max_rows or negatives == 0:
        return 1.0
    wanted = max(config.max_rows - positives, config.min_negatives_per_positive * positives)
    return float(min(1.0, wanted / negatives))


def keep_expression(rate: float, seed: int) -> pl.Expr:
    """`keep`: a positive, or a negative whose seeded hash of (contact_id, cutoff) falls below `rate`
    (row by row, so any partition of the rows, e.g. Spark's, keeps the same ones)."""
    return ((pl.col("label") == 1) | (keep_draw(seed) < rate)).alias("keep")


def mark_kept(labelled: pl.DataFrame, config: SamplingConfig, seed: int) -> tuple[pl.DataFrame, Sampling]:
    """`labelled` (contact_id, cutoff, label, ...) with a boolean `keep`: every positive, and each
    negative with probability `rate` by a seeded hash of (contact_id, cutoff)."""
    positives = int(labelled["label"].sum())
    negatives = labelled.height - positives
    rate = choose_rate(positives, negatives, config)
    if rate >= 1.0:
        kept = labelled.with_columns(pl.lit(True).alias("keep"))
        return kept, Sampling(1.0, positives, negatives, negatives)
    kept = labelled.with_columns(keep_expression(rate, seed))
    kept_negatives = int(kept.filter(pl.col("keep") & (pl.col("label") == 0)).height)
    return kept, Sampling(rate, positives, negatives, kept_negatives)


def keep_draw(seed: int) -> pl.Expr:
    """Each row's seeded uniform draw in [0, 1) from its (contact_id, cutoff): a negative is kept at
    rate r when its draw is below r, so a lower rate keeps a subset of the rows a higher one keeps."""
    return pl.struct("contact_id", "cutoff").hash(seed).cast(pl.Float64) / _HASH_SCALE


def thin_negatives(
    keys: pl.DataFrame, y: np.ndarray, kept: np.ndarray, rate: float, per_positive: int, seed: int
) -> tuple[np.ndarray, float]:
    """`kept` (rows fitted on at negative rate `rate`) thinned to at most `per_positive` negatives per
    positive, every positive kept: (the rows, the negative rate they stand for), for `row_weights`.
    The same draws as `mark_kept`, so the thinned negatives are a subset of the kept ones."""
    positives = int(y[kept].sum())
    negatives = int(kept.sum()) - positives
    if negatives == 0 or positives * per_positive >= negatives:
        return kept, rate
    thinner = rate * positives * per_positive / negatives
    draw = keys.select(keep_draw(seed)).to_series().to_numpy()
    return kept & ((y == 1) | (draw < thinner)), thinner
