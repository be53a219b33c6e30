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
from propensity.io._export import CrmExport
from propensity.training._labels import SplitPlan

__all__ = ["FALLBACK_HINT", "InsufficientData", "PreflightResult", "cutoff_counts", "judge_counts", "preflight"]

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
    # train_* : every matured cutoff (what the served model learns from); valid_* : the backtest's
    # judged cutoffs; fold{k}_fit_positives: what fold k learns from
    counts: dict[str, int]
    warnings: tuple[str, ...]
    per_cutoff: pl.DataFrame  # cutoff, open_leads, positives, fold (-1: not judged)


def _label_text(config: Config) -> str:
    return f"{' or '.join(config.label.positive_outcomes)} within {config.label.horizon_days} days"


def cutoff_counts(export: CrmExport, config: Config, plan: SplitPlan) -> pl.DataFrame:
    """Open leads and positives (under the configured label) at every planned cutoff."""
    from propensity.training._training_set import labelled_pairs

    return (
        labelled_pairs(export, config, plan)
        .group_by("cutoff")
        .agg(pl.len().alias("open_leads"), pl.col("label").sum().cast(pl.Int64).alias("positives"), pl.col("fold").first())
        .sort("cutoff")
    )


def preflight(
    export: CrmExport, config: Config, plan: SplitPlan | None = None, per_cutoff: pl.DataFrame | None = None
) -> PreflightResult:
    """Count the positive and negative leads the model and the backtest would learn from; refuse
    (MistypedOutcome, InsufficientData) or warn per [preflight]. `per_cutoff`: the counts when
    counted elsewhere (`cutoff_counts`' columns, e.g. aggregated by Spark)."""
    from propensity.io._outcome_names import refuse_mistyped_outcomes
    from propensity.training._training_set import default_plan

    refuse_mistyped_outcomes(export.outcomes, config.label)  # a typo is named, not counted as "0 positives"
    plan = plan or default_plan(export, config)
    counted = per_cutoff if per_cutoff is not None else cutoff_counts(export, config, plan)
    result = judge_counts(config, plan, counted)
    for w in result.warnings:
        log.warning("warning: %s", w)
    return result


def judge_counts(config: Config, plan: SplitPlan, per_cutoff: pl.DataFrame) -> PreflightResult:
    """The preflight's rules on counted cutoffs (`cutoff_counts`): refuse (InsufficientData) or return
    the counts with their warnings (not logged)."""
    pos = int(per_cutoff["positives"].sum())
    neg = int(per_cutoff["open_leads"].sum()) - pos
    judged = per_cutoff.filter(pl.col("fold") >= 0)
    vpos = int(judged["positives"].sum())
    vneg = int(judged["open_leads"].sum()) - vpos
    counts = {"train_positives": pos, "train_negatives": neg, "valid_positives": vpos, "valid_negatives": vneg}
    by_cutoff = dict(zip(per_cutoff["cutoff"].to_list(), per_cutoff["positives"].to_list(), strict=True))
    for k, fold in enumerate(plan.folds):
        counts[f"fold{k}_fit_positives"] = int(sum(by_cutoff.get(t, 0) for t in fold.fit))

    p = config.preflight
    window = f"{plan.cutoffs[0]:%Y-%m-%d} .. {plan.cutoffs[-1]:%Y-%m-%d}"
    if pos < p.min_positives or neg < p.min_negatives:
        raise InsufficientData(
            f"too little to learn from: the {len(plan.cutoffs)} matured monthly cutoffs ({window}) hold {pos:,} positive "
            f"and {neg:,} negative open leads ({_label_text(config)}); at least {p.min_positives:,} positive and "
            f"{p.min_negatives:,} negative are needed ([preflight] min_positives, min_negatives). More history, a longer "
            f"[label] horizon_days or more [label] positive_outcomes give more positives (`propensity check DATA_DIR` "
            f"shows the counts per cutoff). {FALLBACK_HINT}"
        )
    if vpos == 0 or vneg == 0:
        raise InsufficientData(
            f"too little to judge a model: the backtest's judged cutoffs ({', '.join(f'{t:%Y-%m-%d}' for t in plan.judged)}) "
            f"hold {vpos:,} positive and {vneg:,} negative open leads ({_label_text(config)}); both are needed to "
            f"calibrate and judge a model. {FALLBACK_HINT}"
        )
    warnings = []
    if pos < p.warn_positives or neg < p.warn_negatives:
        warnings.append(
            f"only {pos:,} positive and {neg:,} negative leads at the matured cutoffs ({window}); below "
            f"{p.warn_positives:,} / {p.warn_negatives:,} the model and its backtest figures are unstable"
        )
    if len(plan.folds) < 2:
        warnings.append(
            f"the backtest has {len(plan.folds)} fold: its figures rest on one cutoff and the calibration is fitted on "
            "the same leads it is judged on; more history gives more folds"
        )
    return PreflightResult(plan, counts, tuple(warnings), per_cutoff)
