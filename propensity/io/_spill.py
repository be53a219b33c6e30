"""An export folder's events read in batches and spilled by chunk of contacts, never all in memory.

Streamed scoring (`propensity.scoring._stream`) and streamed training (`propensity.training._streamed`)
read an export the same way: the small tables (contacts, accounts, outcomes) whole, and the events
table one record batch at a time, validated as `read_export` validates it, each row appended to the
Arrow file of the chunk its contact belongs to (`chunk_plan`: whole accounts per chunk, so a chunk's
account features see the whole buying committee).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from propensity._errors import DataError, UsageError
from propensity.io._export import normalize_column_name

__all__ = ["EVENT_COLUMNS", "ExportFolder", "Spilled", "chunk_plan", "event_batches", "export_folder", "spill_events"]

EVENT_BATCH_ROWS = 2_000_000  # event rows read per batch
EVENT_COLUMNS = ("contact_id", "occurred_at", "event_type")


@dataclass(frozen=True)
class ExportFolder:
    source: str
    files: dict[str, Path]


def chunk_plan(contacts: pl.DataFrame, chunk_size: int) -> pl.DataFrame:
    """(contact_id, chunk): whole accounts per chunk, about `chunk_size` contacts each.

    A contact without an account is its own group. Groups go in key order, and a group starts in
    the chunk its first contact falls in, so a chunk holds at most one group more than asked.
    """
    key = pl.coalesce(pl.col("account_id"), pl.lit("\x00") + pl.col("contact_id")).alias("_group")
    keyed = contacts.select("contact_id", key)
    groups = (
        keyed.group_by("_group")
        .len()
        .sort("_group")
        .with_columns(((pl.col("len").cum_sum() - pl.col("len")) // chunk_size).cast(pl.UInt32).alias("chunk"))
    )
    # renumber densely: 0, 1, 2, ...
    groups = groups.with_columns(pl.col("chunk").rank("dense").cast(pl.UInt32).sub(1).alias("chunk"))
    return keyed.join(groups.select("_group", "chunk"), on="_group", how="left").select("contact_id", "chunk")


def export_folder(path: str | Path) -> ExportFolder:
    from propensity.io._sources import table_files

    folder = Path(path).expanduser()
    if not folder.exists():
        raise UsageError(f"no such folder: {folder}")
    if not folder.is_dir():
        raise UsageError(f"not a folder: {folder} (give the folder holding contacts.csv, events.csv, ...)")
    try:
        files = table_files(folder)
    except OSError as error:
        raise UsageError(f"cannot read folder {folder}: {error.strerror}") from None
    for table in ("contacts", "events"):
        if table not in files:
            hint = "; it may be empty, but it must exist" if table == "events" else ""
            raise DataError(str(folder), None, f"no {table} table (expected {table}.csv or {table}.parquet{hint})")
    return ExportFolder(str(folder), files)


def event_batches(file: Path) -> Iterator[pl.DataFrame]:
    """The events table in record batches, only its contract columns (names as in the file)."""
    if file.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            handle = pq.ParquetFile(file)
            names = handle.schema_arrow.names
            wanted = [n for n in names if normalize_column_name(n) in EVENT_COLUMNS]
            for batch in handle.iter_batches(batch_size=EVENT_BATCH_ROWS, columns=wanted):
                yield pl.from_arrow(batch)  # type: ignore[misc]
        except (OSError, ValueError) as error:
            raise DataError(file.name, None, "not a readable Parquet file", example=str(error).splitlines()[0]) from None
        return
    try:
        header = pl.read_csv(file, n_rows=0, infer_schema=False).columns
    except pl.exceptions.NoDataError:
        raise DataError(file.name, None, "the file is empty (no header row)") from None
    except (pl.exceptions.PolarsError, OSError):
        from propensity.io._sources import read_csv_table

        read_csv_table(file)  # raises the precise DataError
        raise
    wanted = [n for n in header if normalize_column_name(n) in EVENT_COLUMNS]
    try:
        for batch in pl.scan_csv(file, infer_schema=False).select(wanted).collect_batches(chunk_size=EVENT_BATCH_ROWS):
            yield batch
    except (pl.exceptions.PolarsError, OSError):
        from propensity.io._sources import read_csv_table

        read_csv_table(file)  # raises the precise DataError (bad UTF-8, a ragged row)
        raise


@dataclass
class Spilled:
    rows: int = 0
    unknown_contact: int = 0
    latest: datetime | None = None
    after: int | None = None
    types: dict[str, int] | None = None  # rows per event type


def spill_events(
    file: Path,
    known_contacts: pl.Series,
    plan: pl.DataFrame,
    spill: Path,
    as_of: datetime | None,
) -> Spilled:
    """Validate the events batch by batch and append each row to its chunk's Arrow file."""
    import pyarrow as pa

    from propensity.io._export import clean_history

    counts = Spilled(after=0 if as_of is not None else None)
    writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
    sinks: dict[int, pa.OSFile] = {}
    offset = 0
    types: dict[str, int] = {}
    try:
        for raw in event_batches(file):
            renamed = raw.rename({c: normalize_column_name(c) for c in raw.columns})
            try:
                clean, missing = clean_history(renamed, "event_type", file.name, known_contacts)
            except DataError as error:
                raise shift_rows(error, offset) from None
            offset += raw.height
            counts.rows += clean.height
            counts.unknown_contact += missing
            if clean.height == 0:
                continue
            latest = clean["occurred_at"].max()
            if isinstance(latest, datetime) and (counts.latest is None or latest > counts.latest):
                counts.latest = latest
            if as_of is not None:
                counts.after = (counts.after or 0) + int((clean["occurred_at"] > as_of).sum())
            for t, n in clean.group_by("event_type").len().iter_rows():
                types[str(t)] = types.get(str(t), 0) + int(n)
            useful = clean.join(plan, on="contact_id", how="inner")
            for (chunk,), piece in useful.partition_by("chunk", as_dict=True, maintain_order=False).items():
                table = piece.drop("chunk").to_arrow()
                c = int(chunk)  # type: ignore[arg-type]
                if c not in writers:
                    sinks[c] = pa.OSFile(str(spill / f"events-{c}.arrow"), "wb")
                    writers[c] = pa.ipc.new_file(sinks[c], table.schema, options=pa.ipc.IpcWriteOptions(compression="lz4"))
                writers[c].write_table(table)
    finally:
        for c, writer in writers.items():
            writer.close()
            sinks[c].close()
    counts.types = types
    return counts


def shift_rows(error: DataError, offset: int) -> DataError:
    """A batch's row numbers are counted from the batch: count them from the file's first row."""
    import re

    if offset == 0:
        return error
    problem = re.sub(r"\brow (\d+)", lambda m: f"row {int(m.group(1)) + offset}", error.problem)
    return DataError(error.file, error.column, problem, example=error.example)
