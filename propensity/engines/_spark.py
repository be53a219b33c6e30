"""The Spark engine's session and scoring (``--engine spark``).

Scoring: Spark reads the export's tables (`propensity.engines._spark_read`) and deals whole accounts
into buckets (a hash of the account, or of the contact when it has none). Each bucket is one pandas
group on an executor, where the *local* code runs on it: `validate_export`, `FeatureBuilder` built
from the model's `FeatureSpec`, and `score_leads`. A bucket holds whole accounts, so every feature
(the buying committee's included) equals the one computed on the whole export: the scores are the
local ones, by construction, and tested to be. Training on Spark: `propensity.engines._spark_train`.

Scores are written by Spark as a Parquet dataset (a folder of part files, globally sorted best
first); rejects go beside it as ``<out>.rejects.csv``. Each lead's previous scoring (the score history,
read on the driver: one row per lead) travels to the executors with the model, so `previous_score`,
`trend` and `moved_by` are the local ones; the scored rows come back to the driver in batches for the
history (`on_scores`). Spark is an optional extra:
``pip install propensity[spark]``. The model travels to the executors as LightGBM's text model and
JSON (no pickle of the model itself).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from propensity._errors import UsageError
from propensity.engines._spark_read import (
    SparkExport,
    bucket_key,
    delta_available,
    read_spark_export,
    read_spark_table,
    spark_table_paths,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from propensity._config import TrendConfig
    from propensity._model import PropensityModel
    from propensity.io._export import CrmExport

__all__ = ["spark_session", "read_on_spark", "score_with_spark", "spark_as_of", "check_spark_output", "DEFAULT_BUCKETS"]

DEFAULT_BUCKETS = 16
HISTORY_BATCH = 50_000  # scored rows brought to the driver at a time for the score history


def spark_session(app: str = "propensity") -> SparkSession:
    """A Spark session (the active one, else local mode on every core) with UTC timestamps."""
    import os
    import sys

    # the executors' Python is this one (the one with propensity and its dependencies)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError("--engine spark needs pyspark: pip install 'propensity[spark]'") from None
    builder = SparkSession.builder
    if delta_available():  # Delta tables: the extension, its catalog and (from pip) its jars
        from delta import configure_spark_with_delta_pip

        builder = configure_spark_with_delta_pip(
            builder.config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
            .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        )
    return (
        builder.appName(app)
        .master("local[*]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", str(DEFAULT_BUCKETS))
        .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def read_on_spark(folder: str | Path, *, buckets: int = DEFAULT_BUCKETS, **options: Any) -> SparkExport:
    """`read_spark_export` in this process's Spark session (`spark_session`)."""
    return read_spark_export(spark_session(), folder, buckets=buckets, **options)


# ------------------------------------------------------------- the buckets
def _bucketed(spark: SparkSession, folder: str | Path, buckets: int) -> tuple[DataFrame, dict[str, list[str]]]:
    """All raw tables in one frame: `_bucket`, `_table` and each table's columns prefixed by its name."""
    from pyspark.sql import functions as F

    frames = {t: read_spark_table(spark, kind, p) for t, (kind, p) in spark_table_paths(folder).items()}
    owner = frames["contacts"].select(F.col("contact_id").alias("_cid"), bucket_key(F.col("account_id"), F.col("contact_id"), buckets).alias("_bucket"))
    columns: dict[str, list[str]] = {}
    parts = []
    for table, frame in frames.items():
        columns[table] = list(frame.columns)
        renamed = frame.select(*[F.col(f"`{c}`").alias(f"{table}__{c}") for c in frame.columns])
        if table == "contacts":
            keyed = renamed.withColumn("_bucket", bucket_key(F.col("contacts__account_id"), F.col("contacts__contact_id"), buckets))
        elif table == "accounts":
            keyed = renamed.withColumn("_bucket", bucket_key(F.col("accounts__account_id"), F.lit(None).cast("string"), buckets))
        else:
            keyed = renamed.join(owner, renamed[f"{table}__contact_id"] == owner["_cid"], "inner").drop("_cid")
        parts.append(keyed.withColumn("_table", F.lit(table)))
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part, allowMissingColumns=True)
    return union, columns


def _bucket_export(pdf: Any, columns: dict[str, list[str]]) -> CrmExport | None:
    """The bucket's rows as a validated export (the local validation, typed tables)."""
    from propensity.io._export import validate_export

    frame = pl.from_pandas(pdf)
    tables: dict[str, pl.DataFrame | None] = {}
    for table, cols in columns.items():
        rows = frame.filter(pl.col("_table") == table).select([pl.col(f"{table}__{c}").alias(c) for c in cols])
        tables[table] = rows
    contacts = tables.get("contacts")
    if contacts is None or contacts.height == 0:
        return None
    names = {t: f"{t}.parquet" for t in tables}
    return validate_export(tables, names=names, source="spark", fingerprint="", created_at_required=False)


@dataclass(frozen=True)
class _ModelText:
    """A model as plain text, for the executors."""

    booster: str
    spec: str
    calibration: dict[str, float]
    metadata: str
    views: dict[str, str] | None = None  # the fit and engagement views (propensity.scoring._views), as text

    @classmethod
    def of(cls, model: PropensityModel) -> _ModelText:
        cal = {"a": model.calibration.a, "b": model.calibration.b}
        views = model.views.to_texts() if model.views is not None else None
        return cls(model.booster.model_to_string(), model.spec.to_json(), cal, json.dumps(model.metadata, default=str), views)

    def load(self) -> PropensityModel:
        import lightgbm as lgb

        from propensity._model import PlattCalibration, PropensityModel
        from propensity.features._spec import FeatureSpec
        from propensity.scoring._views import FitEngagement

        spec = FeatureSpec.from_json(self.spec)
        return PropensityModel(
            lgb.Booster(model_str=self.booster),
            spec,
            PlattCalibration(self.calibration["a"], self.calibration["b"]),
            json.loads(self.metadata),
            FitEngagement.from_texts(self.views, spec.names) if self.views is not None else None,
        )


# ------------------------------------------------------------------ scoring
_SCORED = (
    "contact_id string, account_id string, score double, score_100 short, grade string, percentile short, "
    "reasons string, model_version string, previous_score double, trend string, moved_by string, account_match string, "
    "contributions string, reject_reason string"
)
_VIEWS_SCORED = ", fit double, fit_grade string, engagement double, engagement_level byte, fit_engagement string"


def spark_as_of(spark: SparkSession, folder: str | Path, as_of: datetime | None = None) -> datetime:
    """`as_of`, else the export's latest event time (as the local scoring's default)."""
    from pyspark.sql import functions as F

    if as_of is not None:
        return as_of
    kind, path = spark_table_paths(folder)["events"]
    latest = read_spark_table(spark, kind, path).agg(F.max("occurred_at")).collect()[0][0]
    if latest is None:
        raise UsageError("--engine spark: the export has no events; give --as-of")
    return latest.replace(tzinfo=None) if isinstance(latest, datetime) else latest  # type: ignore[no-any-return]


def spark_scores(
    spark: SparkSession,
    folder: str | Path,
    model: PropensityModel,
    *,
    model_version: str,
    as_of: datetime | None = None,
    buckets: int = DEFAULT_BUCKETS,
    previous: pl.DataFrame | None = None,
    trend: TrendConfig | None = None,
) -> tuple[DataFrame, datetime]:
    """A Spark frame of every open lead's score (or reject reason), and the as-of date used.
    `previous` and `trend` as in `score_leads` (each lead's previous scoring, the thresholds)."""
    union, columns = _bucketed(spark, folder, buckets)
    as_of = spark_as_of(spark, folder, as_of)
    text = _ModelText.of(model)
    when = as_of
    schema = _SCORED + (_VIEWS_SCORED if model.views is not None else "")

    def score(pdf: Any) -> Any:
        from propensity.scoring._batch import score_leads
        from propensity.scoring._views import VIEW_SCHEMA

        export = _bucket_export(pdf, columns)
        empty = {c.split(" ")[0]: None for c in schema.split(", ")}
        if export is None:
            return pl.DataFrame(schema={k: pl.String for k in empty}).to_pandas().iloc[0:0]
        m = _cached(text)
        run = score_leads(export, m, model_version=model_version, as_of=when, previous=previous, trend=trend)
        scored = run.for_history().with_columns(pl.lit(None, dtype=pl.String).alias("reject_reason"))
        rejects = run.rejects.select(
            "contact_id",
            pl.lit(None, dtype=pl.String).alias("account_id"),
            pl.lit(None, dtype=pl.Float64).alias("score"),
            pl.lit(None, dtype=pl.Int16).alias("score_100"),
            pl.lit(None, dtype=pl.String).alias("grade"),
            pl.lit(None, dtype=pl.Int16).alias("percentile"),
            pl.lit(None, dtype=pl.String).alias("reasons"),
            pl.lit(model_version).alias("model_version"),
            pl.lit(None, dtype=pl.Float64).alias("previous_score"),
            pl.lit(None, dtype=pl.String).alias("trend"),
            pl.lit(None, dtype=pl.String).alias("moved_by"),
            pl.lit(None, dtype=pl.String).alias("account_match"),
            pl.lit(None, dtype=pl.String).alias("contributions"),
            pl.col("reason").alias("reject_reason"),
            *[pl.lit(None, dtype=VIEW_SCHEMA[c]).alias(c) for c in empty if c in VIEW_SCHEMA],
        )
        return pl.concat([scored.select(rejects.columns), rejects], how="vertical_relaxed").to_pandas()

    return union.groupBy("_bucket").applyInPandas(score, schema=schema), as_of


_LOADED: dict[int, Any] = {}


def _cached(text: _ModelText) -> PropensityModel:
    key = hash(text.booster)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = text.load()
    return _LOADED[key]  # type: ignore[no-any-return]


def score_with_spark(
    folder: str | Path,
    model: PropensityModel,
    out: str | Path,
    *,
    model_version: str,
    as_of: datetime | None = None,
    spark: SparkSession | None = None,
    buckets: int = DEFAULT_BUCKETS,
    previous: pl.DataFrame | None = None,
    trend: TrendConfig | None = None,
    on_scores: Callable[[pl.DataFrame], object] | None = None,
) -> str:
    """Score on Spark into the Parquet dataset `out` (best first); rejects to ``<out>.rejects.csv``.

    `previous` and `trend` give `previous_score`, `trend` and `moved_by` as in `score_leads`;
    `on_scores` (e.g. a score-history run's `add`) receives the scored rows with their `contributions`,
    in batches of at most `HISTORY_BATCH`. Returns a one-line summary.
    """
    from pyspark.sql import functions as F

    from propensity.io._atomic import write_table
    from propensity.scoring._batch import score_columns

    target = check_spark_output(out)
    spark_table_paths(folder)  # refuse a CSV export before starting Spark
    spark = spark or spark_session()
    frame, as_of = spark_scores(spark, folder, model, model_version=model_version, as_of=as_of, buckets=buckets,
                                previous=previous, trend=trend)
    frame = frame.cache()
    try:
        scores = frame.filter(F.col("reject_reason").isNull()).select(*score_columns(model))
        scores.orderBy(F.col("score").desc(), F.col("contact_id").asc()).write.mode("overwrite").parquet(str(target))
        if on_scores is not None:
            _to_driver(frame.filter(F.col("reject_reason").isNull()).select(*score_columns(model), "contributions"), on_scores)
        rejects = pl.from_pandas(frame.filter(F.col("reject_reason").isNotNull()).select("contact_id", F.col("reject_reason").alias("reason")).toPandas())
        write_table(rejects.sort("contact_id") if rejects.height else pl.DataFrame(schema={"contact_id": pl.String, "reason": pl.String}),
                    target.with_name(f"{target.stem}.rejects.csv"))
        n = frame.filter(F.col("reject_reason").isNull()).count()
    finally:
        frame.unpersist()
    return f"scored {n:,} open leads ({rejects.height:,} rejected) as of {as_of:%Y-%m-%d %H:%M}"


def check_spark_output(out: str | Path) -> Path:
    """The output path, refused unless it is a Parquet dataset (`.parquet`)."""
    target = Path(out)
    if target.suffix.lower() != ".parquet":
        raise UsageError(f"{target}: --engine spark writes Parquet: the output must end in .parquet")
    return target


def _to_driver(frame: DataFrame, on_rows: Callable[[pl.DataFrame], object]) -> None:
    """`frame`'s rows to `on_rows` on the driver, at most HISTORY_BATCH at a time (bounded memory)."""
    from propensity.scoring._views import VIEW_SCHEMA

    schema = {"contact_id": pl.String, "account_id": pl.String, "score": pl.Float64, "score_100": pl.Int16, "grade": pl.String,
              "percentile": pl.Int16, "reasons": pl.String, "model_version": pl.String, "previous_score": pl.Float64,
              "trend": pl.String, "moved_by": pl.String, "account_match": pl.String, "contributions": pl.String,
              **{c: t for c, t in VIEW_SCHEMA.items() if c in frame.columns}}  # the views, when the model has them
    batch: list[tuple[Any, ...]] = []
    for row in frame.select(*schema).toLocalIterator():
        batch.append(tuple(row))
        if len(batch) >= HISTORY_BATCH:
            on_rows(pl.DataFrame(batch, schema=schema, orient="row"))
            batch = []
    if batch:
        on_rows(pl.DataFrame(batch, schema=schema, orient="row"))
