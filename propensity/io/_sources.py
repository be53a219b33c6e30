"""Read a CRM export from a folder of CSV or Parquet tables.

A folder holds one file per table, named after it: ``contacts.csv`` or ``contacts.parquet``,
likewise ``accounts``, ``events`` and ``outcomes``. Other files are ignored. CSV is read with every
column as text, so `validate_export` can say exactly which value breaks the contract.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from propensity._errors import DataError, UsageError
from propensity.io._export import (
    EMAIL_COLUMNS,
    TABLES,
    CrmExport,
    is_pii_column,
    normalize_column_name,
    validate_export,
)

__all__ = ["SUFFIXES", "checked_fingerprint", "fingerprint_files", "read_export", "read_table", "read_csv_table", "table_files"]

SUFFIXES = (".csv", ".parquet")
"""The file types a table may come as."""

_BLOCK = 1 << 20  # 1 MiB


def read_export(
    path: str | Path,
    *,
    require_outcomes: bool = False,
    created_at_required: bool = True,
    event_aliases: Mapping[str, str] | None = None,
    outcome_aliases: Mapping[str, str] | None = None,
) -> CrmExport:
    """Read, validate and fingerprint the export in folder ``path``.

    Raises `UsageError` when ``path`` is not an existing folder, and `DataError` when a table is
    missing, ambiguous (both ``.csv`` and ``.parquet``) or unreadable (not UTF-8, a row with
    more fields than the header, a broken Parquet file), or breaks the contract.
    ``created_at_required=False`` (scoring) keeps a blank contact ``created_at`` as null. The
    aliases map a spelling to the event type or outcome it means (see `validate_export`).
    """
    folder = Path(path).expanduser()
    if not folder.exists():
        raise UsageError(f"no such folder: {folder}")
    if not folder.is_dir():
        raise UsageError(
            f"not a folder: {folder} (give the folder holding contacts.csv, events.csv, ...)"
        )
    try:
        files = table_files(folder)
    except OSError as error:
        raise UsageError(f"cannot read folder {folder}: {error.strerror}") from None
    needed = ["contacts", "events"] + (["outcomes"] if require_outcomes else [])
    for table in needed:
        if table not in files:
            hint = "; it may be empty, but it must exist" if table == "events" else ""
            expected = f"expected {table}.csv or {table}.parquet{hint}"
            raise DataError(str(folder), None, f"no {table} table ({expected})")
    fingerprint = checked_fingerprint(files, str(folder))
    tables = {table: read_table(file) for table, file in files.items()}
    return validate_export(
        tables,
        names={table: file.name for table, file in files.items()},
        source=str(folder),
        fingerprint=fingerprint,
        require_outcomes=require_outcomes,
        created_at_required=created_at_required,
        event_aliases=event_aliases,
        outcome_aliases=outcome_aliases,
    )


def checked_fingerprint(files: Mapping[str, Path], source: str) -> str:
    """`fingerprint_files`, an unreadable file being one DataError naming it (`source` when unnamed)."""
    try:
        return fingerprint_files(files)
    except OSError as error:
        name = Path(error.filename).name if error.filename else source
        raise DataError(name, None, f"cannot be read: {error.strerror}") from None


def fingerprint_files(files: Mapping[str, Path]) -> str:
    """sha256 (hex) over each table's name, size and bytes, in table-name order."""
    digest = hashlib.sha256()
    for table in sorted(files):
        file = files[table]
        digest.update(f"{table}\0{file.stat().st_size}\0".encode())
        with file.open("rb") as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
    return digest.hexdigest()


def table_files(folder: Path) -> dict[str, Path]:
    """The table files in ``folder`` (names matched case-insensitively), one per table."""
    found: dict[str, list[Path]] = {}
    for entry in sorted(folder.iterdir()):
        stem, suffix = entry.stem.lower(), entry.suffix.lower()
        if stem in TABLES and suffix in SUFFIXES:
            found.setdefault(stem, []).append(entry)
    files: dict[str, Path] = {}
    for table, entries in found.items():
        if len(entries) > 1:
            listed = " and ".join(entry.name for entry in entries)
            raise DataError(str(folder), None, f"ambiguous {table} table: both {listed}")
        if not entries[0].is_file():
            raise DataError(entries[0].name, None, "is not a regular file")
        files[table] = entries[0]
    return files


def read_table(file: Path) -> pl.DataFrame:
    if file.suffix.lower() == ".parquet":
        return _read_parquet(file)
    return read_csv_table(file)


def _read_parquet(file: Path) -> pl.DataFrame:
    """The table, with personal-data columns never loaded: they stay as all-null columns of the same
    name (no memory), so validation still names them as dropped. The contacts' email column is the
    exception: validation keeps its domain for lead-to-account matching, then drops it."""
    table = next((t for t in TABLES if file.stem.lower() == t), "")
    try:
        names = pl.read_parquet_schema(file)
        normal = {n: normalize_column_name(n) for n in names}
        email = next((n for c in EMAIL_COLUMNS for n in names if normal[n] == c), None) if table == "contacts" else None
        pii = [n for n in names if n != email and is_pii_column(table, normal[n])]
        if not pii:
            return pl.read_parquet(file)
        frame = pl.read_parquet(file, columns=[n for n in names if n not in pii])
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias(n) for n in pii).select(list(names))
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise DataError(
            file.name, None, "not a readable Parquet file", example=_first_line(error)
        ) from None


def read_csv_table(file: Path) -> pl.DataFrame:
    try:
        frame = pl.read_csv(file, infer_schema=False)
    except pl.exceptions.NoDataError:
        raise DataError(file.name, None, "the file is empty (no header row)") from None
    except (pl.exceptions.PolarsError, OSError) as error:
        raise _csv_error(file, error) from None
    for column in frame.columns:  # polars renames a repeated header "x" to "x_duplicated_0"
        first, marker, number = column.rpartition("_duplicated_")
        if marker and number.isdigit() and first in frame.columns:
            raise DataError(file.name, first, "two columns have this name", example=first)
    return frame


def _csv_error(file: Path, error: Exception) -> DataError:
    """Explain why polars could not read ``file``: bad UTF-8, a ragged row, or its own words."""
    bad_byte = _invalid_utf8(file)
    if bad_byte is not None:
        offset, line = bad_byte
        return DataError(
            file.name, None, f"not valid UTF-8 at byte {offset} (line {line}); save it as UTF-8"
        )
    ragged = _ragged_row(file)
    if ragged is not None:
        line, fields, header = ragged
        return DataError(
            file.name, None, f"line {line} has {fields} fields but the header has {header}"
        )
    return DataError(file.name, None, "could not be read as CSV", example=_first_line(error))


def _invalid_utf8(file: Path) -> tuple[int, int] | None:
    """(byte offset, 1-based line) of the first invalid UTF-8 sequence, or None if all valid."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    consumed = 0  # bytes before the current block
    lines = 1
    with file.open("rb") as handle:
        while True:
            block = handle.read(_BLOCK)
            pending = decoder.getstate()[0]  # bytes of a sequence split across blocks
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as error:
                start = consumed - len(pending) + error.start
                before = (pending + block)[: error.start]
                return start, lines + before.count(b"\n")
            if not block:
                return None
            consumed += len(block)
            lines += block.count(b"\n")


def _ragged_row(file: Path) -> tuple[int, int, int] | None:
    """(line, fields, header fields) of the first row with more fields than the header."""
    with file.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        for row in reader:
            if len(row) > len(header):
                return reader.line_num, len(row), len(header)
    return None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
