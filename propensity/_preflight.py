"""Minimum-data preflight: before any feature is built, count the leads a model would learn from.

A model fitted on a dozen positives ranks by noise and its calibration is a guess. Below the hard
minimum ([preflight] min_positives / min_negatives in the training window) training is refused with
the counts, exit code 2, and the way out (`propensity score DATA_DIR --points` keeps ranking leads by
the points table meanwhile); below the soft threshold it trains and says the model will be unstable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import polars as pl

from propensity._config import Config
from propensity._errors import PropensityError
from propensity._export import CrmExport
from propensity._labels import SplitPlan

__all__ = ["FALLBACK_HINT", "InsufficientData", "PreflightResult", "preflight"]

log = logging.getLogger("propensity")

# The way out a refusal names: rank the open leads by the hand-tuned points table meanwhile.
FALLBACK_HINT = (
    "Meanwhile `propensity score DATA_DIR --points --out FILE` ranks the open leads by the hand-tuned "
    "points table ([points] in the training config), labelled model_version 'points'"
)


class InsufficientData(PropensityError):
    """Too few positive or negative leads to learn from (exit code 2)."""


@dataclass(frozen=True)
class PreflightResult:
    plan: SplitPlan
    counts: dict[str, int]  # {role}_positives / {role}_negatives for train, calibration, valid
    warnings: tuple[str, ...]


def _label_text(config: Config) -> str:
    return f"{' or '.join(config.label.positive_outcomes)} within {config.label.horizon_days} days"


def preflight(export: CrmExport, config: Config, plan: SplitPlan | None = None) -> PreflightResult:
    """Count positives and negatives per role; refuse (InsufficientData) or warn per [preflight]."""
    from propensity._training_set import default_plan, labelled_pairs

    plan = plan or default_plan(export, config)
    per_role = labelled_pairs(export, config, plan).group_by("role").agg(
        pl.col("label").sum().alias("positives"), (pl.col("label") == 0).sum().alias("negatives")
    )
    counts = {f"{r}_{k}": 0 for r in ("train", "calibration", "valid") for k in ("positives", "negatives")}
    for row in per_role.iter_rows(named=True):
        counts[f"{row['role']}_positives"] = int(row["positives"])
        counts[f"{row['role']}_negatives"] = int(row["negatives"])

    p = config.preflight
    pos, neg = counts["train_positives"], counts["train_negatives"]
    window = f"{plan.train[0]:%Y-%m-%d} .. {plan.train[-1]:%Y-%m-%d}"
    if pos < p.min_positives or neg < p.min_negatives:
        raise InsufficientData(
            f"too little to learn from: the training window ({len(plan.train)} cutoffs, {window}) has {pos:,} positive "
            f"and {neg:,} negative leads ({_label_text(config)}); at least {p.min_positives:,} positive and "
            f"{p.min_negatives:,} negative are needed ([preflight] min_positives, min_negatives). {FALLBACK_HINT}"
        )
    for what in ("calibration", "valid"):
        if counts[f"{what}_positives"] == 0 or counts[f"{what}_negatives"] == 0:
            raise InsufficientData(
                f"too little to learn from: the {'validation' if what == 'valid' else what} cutoffs "
                f"({', '.join(f'{t:%Y-%m-%d}' for t in getattr(plan, what))}) have {counts[f'{what}_positives']:,} positive "
                f"and {counts[f'{what}_negatives']:,} negative leads ({_label_text(config)}); both are needed to "
                f"calibrate and judge a model. {FALLBACK_HINT}"
            )
    warnings = []
    if pos < p.warn_positives or neg < p.warn_negatives:
        warnings.append(
            f"only {pos:,} positive and {neg:,} negative leads in the training window ({window}); below "
            f"{p.warn_positives:,} / {p.warn_negatives:,} the model and its validation figures are unstable"
        )
    for w in warnings:
        log.warning("warning: %s", w)
    return PreflightResult(plan, counts, tuple(warnings))
