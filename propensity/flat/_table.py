"""Read a flat lead table (one row per lead) and turn its columns into model features.

Many teams have no event history, only a table with one row per lead: pre-aggregated columns
(visits, time on site, last activity, source) and a converted flag. This module reads such a table
whatever its dialect (separator ``,`` ``;`` tab or ``|``, UTF-8 with or without BOM, else
Windows-1252/Latin-1, quoted fields, CRLF, a trailing empty column), turns placeholder values such
as "Select" into missing, infers each column's type (number, yes/no flag, category, date,
identifier or free text) and learns a `FeatureSpec` whose features read the original columns
(`FeatureDef.source`), so scoring a new table rebuilds exactly the training features.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from propensity._errors import DataError, UsageError
from propensity.features._identifiers import hash_like
from propensity.features._spec import FeatureDef, FeatureSpec
from propensity.io._export import is_pii_column, normalize_column_name

__all__ = [
    "DEFAULT_PLACEHOLDERS",
    "FEATURE_KINDS",
    "OTHER",
    "ColumnProfile",
    "FlatTable",
    "binary_target",
    "fit_flat_spec",
    "flat_features",
    "lead_ids",
    "level_key",
    "profile_columns",
    "read_flat",
    "require_column",
]

DEFAULT_PLACEHOLDERS: tuple[str, ...] = (
    "select",
    "please select",
    "select one",
    "-select-",
    "--select--",
    "-",
    "--",
    "n/a",
    "na",
    "#n/a",
    "nan",
    "null",
    "(blank)",
)
"""Values that mean "nobody filled this in" (matched case-insensitively, spaces ignored)."""

FEATURE_KINDS = ("numeric", "flag", "category")
"""Column kinds that become model features; the others are reported and left out."""

OTHER = "(other)"
"""The level rare categories are pooled into (and unseen ones are read as when scoring)."""

SEPARATORS = (",", ";", "\t", "|")
MAX_LEVELS = 50  # categories kept per column (the most frequent ones)
MIN_LEVEL_COUNT = 5  # rarer categories are pooled into OTHER
_SNIFF_CHARS = 256 * 1024
_SNIFF_LINES = 200
_TRUE = frozenset({"yes", "y", "true", "t"})
_FALSE = frozenset({"no", "n", "false", "f"})
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_COLUMNS_LISTED = 12


@dataclass(frozen=True, eq=False)
class FlatTable:
    """A flat lead table as read: every column String, values stripped, blanks and placeholders null."""

    frame: pl.DataFrame
    name: str  # the file name, as errors show it
    separator: str
    encoding: str
    fingerprint: str  # sha256 of the file's bytes
    placeholders: tuple[str, ...]
    placeholder_counts: dict[str, int]  # column -> values read as missing because they were placeholders

    @property
    def height(self) -> int:
        return self.frame.height

    def describe(self) -> str:
        sep = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}[self.separator]
        return f"{self.name}: {self.frame.height:,} rows, {self.frame.width} columns ({sep}-separated, {self.encoding})"


@dataclass(frozen=True)
class ColumnProfile:
    """What a column holds and whether it can be a feature (`kind` in `FEATURE_KINDS`)."""

    column: str
    kind: str  # numeric, flag, category, date, identifier, text, constant, empty, pii
    missing: int
    distinct: int
    note: str = ""  # why it is not a feature


# ------------------------------------------------------------------------------------- reading
def read_flat(path: str | Path, *, placeholders: Iterable[str] | None = None) -> FlatTable:
    """Read a CSV-like (or Parquet) lead table without options.

    Raises `UsageError` when the path is not a file, `DataError` when the file is empty, has no
    rows, cannot be parsed (a row with more fields than the header) or repeats a column name.
    """
    file = Path(path).expanduser()
    if not file.exists():
        raise UsageError(f"no such file: {file}")
    if not file.is_file():
        raise UsageError(f"not a file: {file} (give the lead table, e.g. leads.csv)")
    marks = _placeholder_set(DEFAULT_PLACEHOLDERS if placeholders is None else placeholders)
    data = file.read_bytes()
    fingerprint = hashlib.sha256(data).hexdigest()
    if file.suffix.lower() == ".parquet":
        try:
            raw = pl.read_parquet(io.BytesIO(data))
        except (pl.exceptions.PolarsError, OSError, ValueError) as error:
            raise DataError(file.name, None, "not a readable Parquet file", example=str(error).splitlines()[0]) from None
        raw = raw.with_columns(pl.all().cast(pl.String))
        separator, encoding = ",", "parquet"
    else:
        if not data.strip():
            raise DataError(file.name, None, "the file is empty (no header row)")
        text, encoding = decode_text(data)
        separator = sniff_separator(text)
        raw = _parse_csv(text, separator, file.name)
    frame, counts = _clean(raw, file.name, marks)
    if frame.height == 0:
        raise DataError(file.name, None, "the table has no rows (only a header)")
    return FlatTable(frame, file.name, separator, encoding, fingerprint, tuple(sorted(marks)), counts)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252/Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8 with BOM"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def sniff_separator(text: str) -> str:
    """The separator (``,`` ``;`` tab ``|``) that splits the first lines into the most, consistent fields."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # no half line at the end
    best, best_score = ",", (-1.0, 0)
    for sep in SEPARATORS:
        rows = []
        try:
            for i, row in enumerate(csv.reader(io.StringIO(sample, newline=""), delimiter=sep)):
                if i >= _SNIFF_LINES:
                    break
                if row:
                    rows.append(len(row))
        except csv.Error:
            continue
        if not rows or rows[0] < 2:
            continue
        consistent = sum(n == rows[0] for n in rows) / len(rows)
        score = (round(consistent, 2), rows[0])
        if score > best_score:
            best, best_score = sep, score
    return best


def _parse_csv(text: str, separator: str, name: str) -> pl.DataFrame:
    try:
        return pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            separator=separator,
            infer_schema=False,
            quote_char='"',
            raise_if_empty=True,
        )
    except pl.exceptions.NoDataError:
        raise DataError(name, None, "the file is empty (no header row)") from None
    except (pl.exceptions.PolarsError, OSError) as error:
        ragged = _ragged_row(text, separator)
        if ragged is not None:
            line, fields, header = ragged
            raise DataError(name, None, f"line {line} has {fields} fields but the header has {header}") from None
        raise DataError(name, None, "could not be read as a table", example=str(error).strip().splitlines()[0]) from None


def _ragged_row(text: str, separator: str) -> tuple[int, int, int] | None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header = next(reader, [])
    for row in reader:
        if len(row) > len(header):
            return reader.line_num, len(row), len(header)
    return None


def _placeholder_set(values: Iterable[str]) -> frozenset[str]:
    return frozenset(level_key(v) for v in values if str(v).strip())


def _clean(raw: pl.DataFrame, name: str, marks: frozenset[str]) -> tuple[pl.DataFrame, dict[str, int]]:
    """Strip names and values, drop a nameless empty column, refuse repeated names, null placeholders."""
    columns: list[pl.Series] = []
    seen: dict[str, str] = {}
    counts: dict[str, int] = {}
    for i, original in enumerate(raw.columns):
        first, marker, number = original.rpartition("_duplicated_")
        if marker and number.isdigit() and first in raw.columns:
            raise DataError(name, first.strip(), "two columns have this name", example=first)
        column = original.strip().lstrip("\ufeff").strip()
        values = raw[original].str.strip_chars()
        values = pl.select(pl.when(values == "").then(None).otherwise(values)).to_series()
        if not column:
            if values.null_count() == len(values):
                continue  # the trailing empty column of "a,b,c," files
            column = f"column {i + 1}"
        key = column.casefold()
        if key in seen:
            raise DataError(name, column, "two columns have this name", example=seen[key])
        seen[key] = column
        if marks:
            hit = values.str.to_lowercase().str.replace_all(r"\s+", " ").is_in(list(marks)).fill_null(False)
            n = int(hit.sum())
            if n:
                counts[column] = n
                values = pl.select(pl.when(hit).then(None).otherwise(values)).to_series()
        columns.append(values.rename(column))
    return pl.DataFrame(columns), counts


# ------------------------------------------------------------------------------ target and ids
def require_column(table: FlatTable, column: str, role: str) -> str:
    """The table's column named `column` (exact, else ignoring case and spaces), or a DataError."""
    if column in table.frame.columns:
        return column
    wanted = normalize_column_name(column)
    for c in table.frame.columns:
        if normalize_column_name(c) == wanted:
            return c
    found = table.frame.columns[:_COLUMNS_LISTED]
    listed = ", ".join(found) + (", ..." if table.frame.width > len(found) else "")
    raise DataError(table.name, column, f"{role} column not found (columns found: {listed})")


def binary_target(table: FlatTable, column: str) -> np.ndarray:
    """The target as 0/1: accepts 0/1, yes/no, true/false, y/n (any case)."""
    values = table.frame[column]
    if values.null_count():
        row = int(values.is_null().arg_max() or 0) + 1
        raise DataError(table.name, column, f"empty target in row {row} (every lead needs 0/1, yes/no or true/false)")
    key = values.str.to_lowercase()
    distinct = sorted(key.unique().to_list())
    mapping: dict[str, int] = {}
    for v in distinct:
        if v in _TRUE:
            mapping[v] = 1
        elif v in _FALSE:
            mapping[v] = 0
        else:
            try:
                number = float(v)
            except ValueError:
                number = float("nan")
            if number in (0.0, 1.0):
                mapping[v] = int(number)
    bad = [v for v in distinct if v not in mapping]
    if bad:
        example = values.filter(key == bad[0])[0]
        raise DataError(
            table.name, column, f"the target is not binary ({len(distinct)} distinct values; expected 0/1, yes/no or true/false)", example=example
        )
    y = key.replace_strict(mapping, return_dtype=pl.Int8).to_numpy()
    if len(np.unique(y)) < 2:
        raise DataError(table.name, column, "the target has only one value: both converted and not converted leads are needed", example=values[0])
    return y.astype(np.int8)


def lead_ids(table: FlatTable, column: str) -> pl.Series:
    """The id column as String: every row has one, and no two rows share one. Ids go into score
    files, the history and MLflow artifacts, so personal data (an email, a name, a phone) cannot be one."""
    if is_pii_column("contacts", normalize_column_name(column)):
        raise UsageError(
            f"--id {column!r}: {table.name} column {column!r} holds personal data and cannot be the lead id "
            "(ids are written to score files and MLflow); name an opaque id column instead"
        )
    ids = table.frame[column]
    if ids.null_count():
        row = int(ids.is_null().arg_max() or 0) + 1
        raise DataError(table.name, column, f"empty id in row {row}")
    if ids.n_unique() != len(ids):
        raise DataError(table.name, column, "duplicate id", example=ids.filter(ids.is_duplicated())[0])
    return ids


# -------------------------------------------------------------------------------- type inference
def level_key(value: object) -> str:
    """How category values are matched: case-insensitive, runs of spaces as one."""
    return " ".join(str(value).split()).casefold()


def _numbers(values: pl.Series) -> pl.Series | None:
    """Float64 when every present value is a number (a decimal comma is accepted), else None."""
    present = values.drop_nulls()
    if present.is_empty():
        return None
    numbers = present.cast(pl.Float64, strict=False)
    if numbers.null_count() == 0:
        return values.cast(pl.Float64, strict=False)
    if present.str.contains(_DECIMAL_COMMA.pattern).all():
        return values.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    return None


def profile_columns(table: FlatTable, skip: Iterable[str] = (), keep: Iterable[str] = ()) -> dict[str, ColumnProfile]:
    """Each column's kind; `skip` (target, id, date column) are left out; a column in `keep` that
    looks like an identifier or free text is a category all the same (kept on purpose)."""
    skipped, kept = set(skip), set(keep)
    out: dict[str, ColumnProfile] = {}
    n = table.height
    for column in table.frame.columns:
        if column in skipped:
            continue
        p = _profile(table.frame[column], column, n)
        if column in kept and p.kind in ("identifier", "text"):
            p = ColumnProfile(column, "category", p.missing, p.distinct, f"kept on purpose (--keep) although {p.note}")
        out[column] = p
    return out


def _keys(present: pl.Series) -> pl.Series:
    return present.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()


def _is_flag(present: pl.Series) -> bool:
    return not present.is_empty() and set(_keys(present).unique().to_list()) <= (_TRUE | _FALSE)


def _profile(values: pl.Series, column: str, n: int) -> ColumnProfile:
    missing = values.null_count()
    present = values.drop_nulls()
    if is_pii_column("contacts", normalize_column_name(column)) and not _is_flag(present):
        # "Email" is personal data; "Do Not Email" (yes/no) is a consent flag
        return ColumnProfile(column, "pii", missing, 0, "personal data: never a feature")
    if present.is_empty():
        return ColumnProfile(column, "empty", missing, 0, "no values")
    numbers = _numbers(values)
    if numbers is not None:
        distinct = numbers.drop_nulls().n_unique()
        if distinct < 2:
            return ColumnProfile(column, "constant", missing, distinct, "one value only")
        whole = bool((numbers.drop_nulls() == numbers.drop_nulls().round(0)).all())
        if whole and missing == 0 and distinct == n and n >= 20:
            return ColumnProfile(column, "identifier", missing, distinct, "a different whole number in every row: an identifier")
        return ColumnProfile(column, "numeric", missing, distinct)
    keys = _keys(present)
    distinct = keys.n_unique()
    if distinct < 2:
        return ColumnProfile(column, "constant", missing, distinct, "one value only")
    if _is_flag(present):
        return ColumnProfile(column, "flag", missing, distinct)
    if bool(present.str.contains(_DATE_LIKE.pattern).all()):
        return ColumnProfile(column, "date", missing, distinct, "a date: used only as --date-column")
    if distinct == len(present) and len(present) >= 20:
        return ColumnProfile(column, "identifier", missing, distinct, "a different value in every row: an identifier")
    example = hash_like(present)
    if example is not None:
        return ColumnProfile(column, "identifier", missing, distinct, f"hash-like values such as {example!r}: an identifier")
    if distinct > max(MAX_LEVELS, len(present) // 2):
        return ColumnProfile(column, "text", missing, distinct, f"{distinct:,} different values: free text or an identifier")
    return ColumnProfile(column, "category", missing, distinct)


# ------------------------------------------------------------------------------------ features
def feature_name(column: str, taken: set[str]) -> str:
    """A LightGBM-safe, unique name for a column: 'Total Time Spent' -> 'total_time_spent'."""
    base = re.sub(r"[^0-9a-z]+", "_", column.casefold()).strip("_") or "column"
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name


def _levels(values: pl.Series) -> tuple[str, ...]:
    """Categories kept for a column: the most frequent (by matching key), shown in their commonest spelling."""
    present = [" ".join(v.split()) for v in values.drop_nulls().to_list()]
    spelling: dict[str, Counter[str]] = {}
    for v in present:
        spelling.setdefault(v.casefold(), Counter())[v] += 1
    counts = sorted(((sum(c.values()), k) for k, c in spelling.items()), key=lambda t: (-t[0], t[1]))
    kept = [k for count, k in counts[:MAX_LEVELS] if count >= MIN_LEVEL_COUNT]
    levels = [max(sorted(spelling[k]), key=lambda s: spelling[k][s]) for k in kept]
    if len(kept) < len(counts):
        levels.append(OTHER)
    return tuple(levels)


def fit_flat_spec(table: FlatTable, profiles: Mapping[str, ColumnProfile], columns: Sequence[str]) -> FeatureSpec:
    """The feature specification of `columns`: numbers as numbers, flags and categories as categories."""
    taken: set[str] = set()
    feats: list[FeatureDef] = []
    categories: dict[str, tuple[str, ...]] = {}
    labels: dict[str, str] = {}
    for column in columns:
        kind = profiles[column].kind
        if kind not in FEATURE_KINDS:
            raise ValueError(f"column {column!r} is {kind}, not a feature")
        name = feature_name(column, taken)
        if kind == "numeric":
            feats.append(FeatureDef(name, "numeric", name, source=column))
        else:
            levels = ("no", "yes") if kind == "flag" else _levels(table.frame[column])
            feats.append(FeatureDef(name, "category", name, source=column))
            categories[name] = levels
        labels[name] = column
    return FeatureSpec(tuple(feats), (), (), categories=categories, field_labels=labels)


def _lookup(levels: Sequence[str]) -> dict[str, str]:
    table = {level_key(level): level for level in levels if level != OTHER}
    if set(table) == {"no", "yes"}:
        table.update({k: "yes" for k in _TRUE} | {k: "no" for k in _FALSE})
    return table


def flat_features(
    spec: FeatureSpec,
    frame: pl.DataFrame | pd.DataFrame,
    settings: Mapping[str, Any] | None = None,
    *,
    name: str = "table",
) -> pd.DataFrame:
    """The exact LightGBM input for a flat table: each feature read from its original column.

    `frame` holds raw columns (as read, or as a user passes them to the pyfunc model) or already
    prepared ones named after the features. Placeholders (from `settings["placeholders"]`) are
    missing, numbers accept a decimal comma, categories are matched ignoring case and spaces, and a
    category never seen in training is read as `OTHER` (or missing when the column had no rare ones).
    """
    from propensity._model import to_model_frame

    marks = _placeholder_set((settings or {}).get("placeholders", DEFAULT_PLACEHOLDERS))
    pdf = frame.to_pandas() if isinstance(frame, pl.DataFrame) else frame
    normalized = {normalize_column_name(str(c)): c for c in pdf.columns}
    out: dict[str, Any] = {}
    for f in spec.features:
        source = f.source or f.name
        if source in pdf.columns:
            col = pdf[source]
        elif f.name in pdf.columns:
            col = pdf[f.name]
        elif normalize_column_name(source) in normalized:
            col = pdf[normalized[normalize_column_name(source)]]
        else:
            raise DataError(name, source, "the model reads this column but the table has none")
        out[f.name] = _prepare(col, f.kind, spec.categories.get(f.name, ()), marks)
    return to_model_frame(spec, pd.DataFrame(out, index=pdf.index))


def _prepare(col: pd.Series, kind: str, levels: Sequence[str], marks: frozenset[str]) -> pd.Series:
    if kind != "category" and pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.astype("float64")
    keys: list[str | None] = []
    texts: list[str | None] = []
    for v in col.tolist():
        text = None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v).strip()
        key = None if not text or level_key(text) in marks else level_key(text)
        keys.append(key)
        texts.append(text if key is not None else None)
    if kind != "category":
        numbers = [None if t is None else (t.replace(",", ".") if _DECIMAL_COMMA.match(t) else t) for t in texts]
        return pd.to_numeric(pd.Series(numbers, index=col.index, dtype="object"), errors="coerce").astype("float64")
    lookup = _lookup(levels)
    unseen = OTHER if OTHER in levels else None
    return pd.Series([None if k is None else lookup.get(k, unseen) for k in keys], index=col.index, dtype="object")
