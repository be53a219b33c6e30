"""The training set built on Spark: labels, preflight counts, sampling, features and points on the executors.

Each bucket of whole accounts (`SparkExport.union`) runs the local code on its rows: `labelled_pairs`
(the open leads at each monthly cutoff and their labels), the seeded hash keep of `keep_expression`
(row by row, so the same rows as the local engine), `FeatureBuilder.transform` with the vocabulary
fitted on the driver from the export's aggregates, and `points_scores` for the judged rows. The
preflight's counts per cutoff are summed from the buckets' counts. Only the training matrix (every
kept or judged row) is collected to the driver, where LightGBM fits it (`propensity.training._train`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import polars as pl

from propensity.engines._spark_read import SparkExport, bucket_export
from propensity.training._training_set import (
    POINTS_COLUMN,
    TrainingSet,
    default_plan,
    training_set_of_parts,
)

if TYPE_CHECKING:
    from propensity._config import Config
    from propensity.features._builder import FeatureBuilder
    from propensity.training._labels import SplitPlan
    from propensity.training._preflight import PreflightResult

__all__ = ["spark_cutoff_counts", "spark_training", "spark_training_set"]

log = logging.getLogger("propensity")

_LABELLED = ("contact_id string, account_id string, cutoff timestamp_ntz, label tinyint, fold tinyint, keep boolean")


def spark_cutoff_counts(sx: SparkExport, config: Config, plan: SplitPlan) -> pl.DataFrame:
    """`cutoff_counts` (cutoff, open_leads, positives, fold), counted on the executors and summed."""
    tables = ("contacts", "outcomes")
    layout = sx.bucket_layout(tables)

    def count(pdf: Any) -> Any:
        from propensity.training._training_set import labelled_pairs

        export = bucket_export(pdf, layout)
        schema = {"cutoff": pl.Datetime("us"), "open_leads": pl.Int64, "positives": pl.Int64}
        if export is None:
            return pl.DataFrame(schema=schema).to_pandas()
        labelled = labelled_pairs(export, config, plan)
        counts = labelled.group_by("cutoff").agg(pl.len().cast(pl.Int64).alias("open_leads"), pl.col("label").sum().cast(pl.Int64).alias("positives"))
        return counts.to_pandas()

    parts = sx.union(tables).groupBy("_bucket").applyInPandas(count, schema="cutoff timestamp_ntz, open_leads long, positives long")
    frame = pl.from_arrow(parts.toArrow())
    assert isinstance(frame, pl.DataFrame)
    return (
        frame.with_columns(pl.col("cutoff").cast(pl.Datetime("us")))
        .group_by("cutoff")
        .agg(pl.col("open_leads").sum().cast(pl.UInt32), pl.col("positives").sum().cast(pl.Int64))
        .with_columns(pl.col("cutoff").map_elements(plan.fold_of, return_dtype=pl.Int8).alias("fold"))
        .sort("cutoff")
    )


def _schema(builder: FeatureBuilder) -> str:
    cols = [_LABELLED]
    for f in builder.spec_.features:
        cols.append(f"`{f.name}` {'string' if f.kind == 'category' else 'float'}")
    return ", ".join([*cols, f"{POINTS_COLUMN} double"])


def spark_training_set(sx: SparkExport, config: Config, plan: SplitPlan, builder: FeatureBuilder, rate: float) -> pl.DataFrame:
    """The kept or judged rows (`sampled_pairs`) with their features and, for the judged rows, the
    hand-tuned points, built on the executors and collected, in (cutoff, contact) order."""
    tables = ("contacts", "accounts", "events", "outcomes")
    layout = sx.bucket_layout(tables)
    spec_json = builder.spec_.to_json()
    schema = _schema(builder)

    def build(pdf: Any) -> Any:
        from propensity.features._spec import FeatureSpec
        from propensity.training._training_set import part_training_rows

        export = bucket_export(pdf, layout)
        if export is None:  # a bucket of accounts without contacts
            import pandas as pd

            return pd.DataFrame()
        return part_training_rows(export, config, plan, FeatureSpec.from_json(spec_json), rate).to_pandas()

    frame = pl.from_arrow(sx.union(tables).groupBy("_bucket").applyInPandas(build, schema=schema).toArrow())
    assert isinstance(frame, pl.DataFrame)
    casts = [pl.col("cutoff").cast(pl.Datetime("us")), pl.col("label").cast(pl.Int8), pl.col("fold").cast(pl.Int8)]
    casts += [pl.col(f.name).cast(pl.String if f.kind == "category" else pl.Float32) for f in builder.spec_.features]
    return frame.with_columns(casts).sort("cutoff", "contact_id")


def spark_training(sx: SparkExport, config: Config) -> tuple[PreflightResult, TrainingSet]:
    """The preflight (counts from Spark) and the training set built on Spark, for `train`."""
    from propensity.features._builder import FeatureBuilder
    from propensity.training._preflight import preflight
    from propensity.training._sampling import choose_rate

    export = sx.export
    plan = default_plan(export, config)
    checked = preflight(export, config, plan, per_cutoff=spark_cutoff_counts(sx, config, plan))
    builder = FeatureBuilder(config.features).fit(export, plan.cutoffs[-1])  # the vocabulary, from the events' aggregates
    positives = int(checked.per_cutoff["positives"].sum())
    negatives = int(checked.per_cutoff["open_leads"].sum()) - positives
    rate = choose_rate(positives, negatives, config.sampling)
    frame = spark_training_set(sx, config, plan, builder, rate)
    return checked, training_set_of_parts(frame, builder, plan, rate, checked.per_cutoff)
