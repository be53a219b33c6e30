"""Reading an export on Spark: the tables found, validated, and dealt into buckets of whole accounts.

A folder holds each table as Parquet (`events.parquet`, a file or a Spark-written folder) or as a
Delta table (a folder `events/` with a `_delta_log`, read when `delta-spark` is importable). Spark
reads every table. The contacts, accounts and outcomes are brought to the driver and validated there
by the local `validate_export` (their spellings are merged, and leads matched to accounts, over the
whole table, as the local engine does). **The events never reach the driver**: each part of them is
checked and typed on an executor (`history_rows`, the local rules; a bad value comes back as the
local one-line `DataError`), joined to the known contacts, their spellings merged by a map counted
on Spark (`spelling_map`), deduplicated, and kept on Spark. The driver holds only their aggregates
(`EventSummary`: rows, first and last, per type and month), from which the plan, the check's lines
and the feature vocabulary are read.

Each row also gets `_bucket`: a hash of its account (of the contact when it has none), so a bucket
holds whole accounts and every feature, the buying committee's included, is computed on an executor
as on the whole export (`bucket_export` rebuilds a bucket's typed `CrmExport` there).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from propensity._errors import DataError, UsageError
from propensity.io._event_summary import EventSummary
from propensity.io._export import (
    TABLES,
    CrmExport,
    ReadReport,
    history_rows,
    is_pii_column,
    normalize_column_name,
    validate_export,
)
from propensity.io._spelling import spelling_map

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkExport", "bucket_export", "bucket_key", "delta_available", "read_spark_export", "spark_table_paths", "read_spark_table"]

_EVENT_COLUMNS = ("contact_id", "occurred_at", "event_type")
_SPARK_TYPES = {pl.String: "string", pl.Float64: "double", pl.Int64: "bigint", pl.Boolean: "boolean"}


def delta_available() -> bool:
    """Whether `delta-spark` is importable (Delta tables can then be read)."""
    return importlib.util.find_spec("delta") is not None


def spark_table_paths(folder: str | Path) -> dict[str, tuple[str, Path]]:
    """{table: ("parquet" | "delta", path)} of the export in `folder`; contacts and events are required."""
    d = Path(folder).expanduser()
    if not d.is_dir():
        raise UsageError(f"no such folder: {d}")
    found: dict[str, tuple[str, Path]] = {}
    for p in sorted(d.iterdir()):
        stem, suffix = p.stem.lower(), p.suffix.lower()
        if suffix == ".parquet" and stem in TABLES:
            kind, table = "parquet", stem
        elif p.is_dir() and p.name.lower() in TABLES and (p / "_delta_log").is_dir():
            kind, table = "delta", p.name.lower()
        else:
            continue
        if table in found:
            raise DataError(str(d), None, f"ambiguous {table} table: both {found[table][1].name} and {p.name}")
        if kind == "delta" and not delta_available():
            raise UsageError(f"{p}: a Delta table: --engine spark reads it with delta-spark installed (pip install delta-spark)")
        found[table] = (kind, p)
    for table in ("contacts", "events"):
        if table not in found:
            raise UsageError(f"--engine spark reads Parquet tables: {d} has no {table}.parquet (nor a Delta table {table}/)")
    return found


def read_spark_table(spark: SparkSession, kind: str, path: Path) -> DataFrame:
    """One table as a Spark frame, its personal-data columns never read (all-null strings instead)."""
    from pyspark.errors import PySparkException
    from pyspark.sql import functions as F

    try:
        frame = spark.read.format("delta").load(str(path)) if kind == "delta" else spark.read.parquet(str(path))
    except PySparkException as error:
        what = "a readable Delta table" if kind == "delta" else "a readable Parquet file"
        raise DataError(path.name, None, f"not {what}", example=str(error).strip().splitlines()[0]) from None
    table = path.stem.lower() if kind == "parquet" else path.name.lower()
    return frame.select(*[
        F.lit(None).cast("string").alias(c) if is_pii_column(table, normalize_column_name(c)) else F.col(f"`{c}`")
        for c in frame.columns
    ])


def bucket_key(account_id: Any, contact_id: Any, buckets: int) -> Any:
    """`_bucket`: a hash of the account, or of the contact when it has none."""
    from pyspark.sql import functions as F

    key = F.coalesce(account_id, F.concat(F.lit("\u0000"), contact_id))
    return F.pmod(F.xxhash64(key), F.lit(buckets)).cast("int")


def _spark_type(dtype: pl.DataType) -> str:
    return "timestamp_ntz" if isinstance(dtype, pl.Datetime) else _SPARK_TYPES.get(type(dtype), "string")


def _to_spark(spark: SparkSession, frame: pl.DataFrame) -> DataFrame:
    schema = ", ".join(f"`{c}` {_spark_type(t)}" for c, t in frame.schema.items())
    return spark.createDataFrame(frame.to_pandas(), schema=schema)


def _fingerprint(frames: Mapping[str, DataFrame]) -> str:
    """sha256 over each table's name, rows and the sum of its rows' hashes (computed on Spark: the
    same rows in any order and partitioning give the same fingerprint)."""
    from pyspark.sql import functions as F

    digest = hashlib.sha256()
    for table in sorted(frames):
        frame = frames[table]
        row_hash = F.xxhash64(*[F.col(f"`{c}`") for c in frame.columns]).cast("decimal(38,0)")
        n, total = frame.agg(F.count(F.lit(1)), F.sum(row_hash)).collect()[0]
        digest.update(f"{table}\0{n}\0{total}\0".encode())
    return digest.hexdigest()


# ------------------------------------------------------------------ the events, on the executors
def _event_columns(events: DataFrame, file: str) -> DataFrame:
    """The events' contract columns (names matched as the local reader matches them), else the local error."""
    from pyspark.sql import functions as F

    seen: dict[str, str] = {}
    for original in events.columns:
        name = normalize_column_name(original)
        if name in seen:
            raise DataError(file, name, "two columns have this name once case and spaces are ignored", example=original)
        seen[name] = original
    history_rows(pl.DataFrame(schema=dict.fromkeys(seen, pl.String)), "event_type", file)  # a missing column: the local error
    return events.select(*[F.col(f"`{seen[c]}`").alias(c) for c in _EVENT_COLUMNS])


def _clean_events(events: DataFrame, file: str) -> DataFrame:
    """Each part of the events checked and typed on an executor (`history_rows`); a part that breaks
    the contract becomes one row holding its error (`_error`, JSON)."""

    def clean(batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        from propensity.io._export import history_rows

        for pdf in batches:
            try:
                rows = history_rows(pl.from_pandas(pdf), "event_type", file)
            except DataError as e:
                problem = re.sub(r" in row \d+$", "", e.problem)  # a row of this part, not of the table
                example = None if e.example is None else str(e.example)
                error = json.dumps([e.file, e.column, problem, example])
                yield pd.DataFrame({"contact_id": [None], "occurred_at": [pd.NaT], "event_type": [None], "_error": [error]})
                return
            rows = rows.with_columns(pl.col("contact_id").str.strip_chars(), pl.lit(None, dtype=pl.String).alias("_error"))
            yield rows.to_pandas()

    return events.mapInPandas(clean, schema="contact_id string, occurred_at timestamp_ntz, event_type string, _error string")


def _raise_first_error(clean: DataFrame) -> None:
    from pyspark.sql import functions as F

    bad = clean.filter(F.col("_error").isNotNull()).select("_error").limit(1).collect()
    if bad:
        file, column, problem, example = json.loads(bad[0][0])
        raise DataError(file, column, problem, example=example)


def _event_summary(events: DataFrame) -> EventSummary:
    from pyspark.sql import functions as F

    rows, first, last = events.agg(F.count(F.lit(1)), F.min("occurred_at"), F.max("occurred_at")).collect()[0]
    most = events.groupBy("contact_id").count().agg(F.max("count")).collect()[0][0] or 0
    month = F.date_trunc("month", F.col("occurred_at")).cast("timestamp_ntz")
    by = events.groupBy("event_type", month.alias("month"), (F.col("occurred_at") == month).alias("exact")).count().collect()
    frame = pl.DataFrame(
        [(r["event_type"], r["month"], r["exact"], r["count"]) for r in by],
        schema={"event_type": pl.String, "month": pl.Datetime("us"), "exact": pl.Boolean, "len": pl.Int64},
        orient="row",
    )
    known_from = pl.when(pl.col("exact")).then(pl.col("month")).otherwise(pl.col("month").dt.offset_by("1mo"))
    by_type = frame.select("event_type", known_from.alias("known_from"), "len")
    return EventSummary(int(rows), first, last, int(most), by_type)


# ------------------------------------------------------------------ the export
@dataclass(frozen=True)
class SparkExport:
    """An export read on Spark: `export` is the driver's (contacts, accounts, outcomes validated, no
    event row, `event_summary` set); `frames` the validated tables on Spark, each with `_bucket`."""

    export: CrmExport
    frames: dict[str, DataFrame]
    layout: dict[str, list[tuple[str, pl.DataType]]]  # each table's columns and types, to rebuild a bucket

    def union(self, tables: tuple[str, ...]) -> DataFrame:
        """`tables` in one frame: `_bucket`, `_table` and each table's columns prefixed by its name."""
        from pyspark.sql import functions as F

        parts = []
        for table in tables:
            frame = self.frames.get(table)
            if frame is None:
                continue
            cols = [F.col(f"`{c}`").alias(f"{table}__{c}") for c, _ in self.layout[table]]
            parts.append(frame.select("_bucket", F.lit(table).alias("_table"), *cols))
        union = parts[0]
        for part in parts[1:]:
            union = union.unionByName(part, allowMissingColumns=True)
        return union

    def bucket_layout(self, tables: tuple[str, ...]) -> dict[str, list[tuple[str, pl.DataType]]]:
        return {t: self.layout[t] for t in tables if t in self.frames}


def bucket_export(pdf: Any, layout: Mapping[str, list[tuple[str, pl.DataType]]]) -> CrmExport | None:
    """A bucket's rows (`SparkExport.union`) as a typed `CrmExport` (None without contacts)."""
    frame = pl.from_pandas(pdf)
    tables: dict[str, pl.DataFrame] = {}
    for table, cols in layout.items():
        rows = frame.filter(pl.col("_table") == table)
        tables[table] = rows.select([pl.col(f"{table}__{c}").cast(t).alias(c) for c, t in cols])
    contacts = tables.get("contacts")
    if contacts is None or contacts.height == 0:
        return None
    events = tables.get("events", pl.DataFrame(schema={"contact_id": pl.String, "occurred_at": pl.Datetime("us"), "event_type": pl.String}))
    report = ReadReport(contacts.height, 0, events.height, 0, 0, 0, ())
    return CrmExport(
        contacts=contacts,
        accounts=tables.get("accounts", pl.DataFrame(schema={"account_id": pl.String})),
        events=events,
        outcomes=tables.get("outcomes"),
        source="spark",
        fingerprint="",
        report=report,
    )


def read_spark_export(
    spark: SparkSession,
    folder: str | Path,
    *,
    buckets: int,
    require_outcomes: bool = False,
    event_aliases: Mapping[str, str] | None = None,
    outcome_aliases: Mapping[str, str] | None = None,
) -> SparkExport:
    """Read and validate the export in `folder` on Spark (the events stay there; see the module)."""
    from pyspark.sql import functions as F

    paths = spark_table_paths(folder)
    if require_outcomes and "outcomes" not in paths:
        raise DataError(str(Path(folder).expanduser()), None, "no outcomes table (expected outcomes.parquet or a Delta table outcomes/)")
    raw = {t: read_spark_table(spark, kind, p) for t, (kind, p) in paths.items()}
    names = {t: p.name for t, (_, p) in paths.items()}
    small = {t: pl.from_arrow(raw[t].toArrow()) for t in raw if t != "events"}
    small["events"] = pl.DataFrame(schema=dict.fromkeys(_EVENT_COLUMNS, pl.String))
    driver = validate_export(
        small, names=names, source=str(folder), fingerprint="", require_outcomes=require_outcomes,
        event_aliases=event_aliases, outcome_aliases=outcome_aliases,
    )
    tables = {"contacts": driver.contacts, "accounts": driver.accounts}
    if driver.outcomes is not None:
        tables["outcomes"] = driver.outcomes
    layout = {t: list(f.schema.items()) for t, f in tables.items()}
    layout["events"] = [("contact_id", pl.String()), ("occurred_at", pl.Datetime("us")), ("event_type", pl.String())]
    frames = {t: _to_spark(spark, f) for t, f in tables.items()}
    frames["contacts"] = frames["contacts"].withColumn("_bucket", bucket_key(F.col("account_id"), F.col("contact_id"), buckets))
    frames["accounts"] = frames["accounts"].withColumn("_bucket", bucket_key(F.col("account_id"), F.lit(None).cast("string"), buckets))
    owners = frames["contacts"].select("contact_id", "_bucket")
    if "outcomes" in frames:
        frames["outcomes"] = frames["outcomes"].join(owners, "contact_id", "inner")

    clean = _clean_events(_event_columns(raw["events"], names["events"]), names["events"]).persist()
    _raise_first_error(clean)
    read = clean.count()
    known = clean.drop("_error").join(owners, "contact_id", "inner")
    spellings = known.groupBy("event_type").count().collect()
    changed, merges = spelling_map([r[0] for r in spellings], [r[1] for r in spellings], column="event_type",
                                   aliases={k: v.strip().lower() for k, v in (event_aliases or {}).items()})
    if changed:
        known = known.replace(changed, subset=["event_type"])
    events = known.dropDuplicates(["contact_id", "occurred_at", "event_type"]).persist()
    summary = _event_summary(events)
    n_known = known.count()
    clean.unpersist()
    frames["events"] = events

    kept = driver.report.merged_spellings
    report = replace(
        driver.report, events=summary.rows, events_unknown_contact=read - n_known, duplicate_events=n_known - summary.rows,
        merged_spellings=tuple(m for m in kept if m.column != "outcome") + merges + tuple(m for m in kept if m.column == "outcome"),
    )
    export = replace(driver, fingerprint=_fingerprint(raw), report=report, event_summary=summary)
    return SparkExport(export, frames, layout)
