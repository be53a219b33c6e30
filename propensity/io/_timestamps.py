"""Parse the export's ISO-8601 timestamps into naive UTC datetimes.

The contract: a timestamp with an offset (or ``Z``) is converted to UTC, one without a zone *is*
UTC, a date-only value is midnight UTC, and one column may mix zones. Every timestamp the package
holds afterwards is a timezone-naive ``pl.Datetime("us")`` whose wall clock reads UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from propensity._errors import DataError

__all__ = ["UTC_DTYPE", "parse_utc"]

UTC_DTYPE = pl.Datetime("us")
"""The one timestamp type used after reading: microseconds, no zone, wall clock in UTC."""

_MIN_YEAR = 1000  # below this a "valid" parse is a misread (e.g. "24-01-02" read as year 24)
_SAMPLE = 1_000  # values used to pick the format tried first on the whole column
_PARALLEL_FROM = 200_000  # rows from which a slow (chrono) format runs on the streaming engine


@dataclass(frozen=True)
class _Format:
    pattern: str
    zoned: bool  # the pattern reads an offset, so the parse is zoned and converted to UTC
    fast: bool  # polars parses this pattern natively (about 10x faster than chrono's %.f / %z)


def _build_formats() -> tuple[_Format, ...]:
    fast: list[_Format] = []
    for sep in ("T", " "):
        for time in ("%H:%M:%S", "%H:%M:%S.%3f", "%H:%M:%S.%6f", "%H:%M:%S.%9f", "%H:%M"):
            pattern = f"%Y-%m-%d{sep}{time}"
            # A literal "Z" means UTC, which is what a naive parse already holds.
            fast += [_Format(pattern, False, True), _Format(pattern + "Z", False, True)]
    fast.append(_Format("%Y-%m-%d", False, True))
    slow: list[_Format] = []
    for sep in ("T", " "):
        # ``%#z`` accepts Z, z, +02:00, +0200 and +02; ``%.f`` accepts any (or no) fraction.
        slow += [
            _Format(f"%Y-%m-%d{sep}%H:%M:%S%.f%#z", True, False),
            _Format(f"%Y-%m-%d{sep}%H:%M:%S%.f", False, False),
            _Format(f"%Y-%m-%d{sep}%H:%M%#z", True, False),
        ]
    return (*fast, *slow)


_FORMATS = _build_formats()


def parse_utc(
    values: pl.Series, *, file: str, column: str, required: bool = True
) -> pl.Series:
    """Return ``values`` as naive UTC ``pl.Datetime("us")``, keeping the series name.

    Accepts ISO-8601 strings (``T`` or space between date and time, optional seconds and fraction,
    optional ``Z``/``±hh:mm``/``±hhmm``/``±hh`` offset, or a bare date; surrounding spaces are
    ignored), or a polars ``Datetime`` (a zoned one is converted to UTC) or ``Date``. Any other
    type is read through its string form.

    Null and empty values stay null unless ``required``, in which case they raise a `DataError`
    naming the first such row (data rows counted from 1). A value matching none of the accepted
    formats raises ``DataError(file, column, "unparseable timestamp", example=<raw value>)``.
    """
    dtype = values.dtype
    if isinstance(dtype, pl.Datetime):
        out = values
        if dtype.time_zone is not None:
            out = out.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        out = out.cast(UTC_DTYPE)
    elif dtype == pl.Date:
        out = values.cast(UTC_DTYPE)
    else:
        text = values if dtype == pl.String else values.cast(pl.String)
        out = _parse_strings(text, file=file, column=column)
    if required and out.null_count():
        row = int(out.is_null().arg_max() or 0) + 1
        raise DataError(file, column, f"missing timestamp in row {row}")
    return out.rename(values.name)


def _parse_strings(text: pl.Series, *, file: str, column: str) -> pl.Series:
    """Parse a String series; blank values become null, anything unparseable raises."""
    out = _attempt(text, _best_format(text.drop_nulls().head(_SAMPLE), _FORMATS) or _FORMATS[0])
    missed = out.is_null() & text.is_not_null()
    if missed.any():
        out = out.scatter(*_parse_rest(text, missed, file=file, column=column))
    earliest = out.min()
    if isinstance(earliest, datetime) and earliest.year < _MIN_YEAR:
        example = text.filter(out.dt.year() < _MIN_YEAR)[0]
        raise DataError(file, column, "unparseable timestamp", example=example)
    return out


def _parse_rest(
    text: pl.Series, missed: pl.Series, *, file: str, column: str
) -> tuple[pl.Series, pl.Series]:
    """Parse the rows the column's main format missed: other zones or precisions, stray spaces.

    Returns (row indices, parsed values) for ``Series.scatter``. Each round picks the format that
    fits most of a sample of the rows still unparsed; a sample value no format fits is bad.
    """
    indices = missed.arg_true()
    raw = text.gather(indices)
    stripped = raw.str.strip_chars()
    values = pl.Series("v", [None] * len(raw), dtype=UTC_DTYPE)
    todo_at = (stripped != "").arg_true()  # blank values stay null
    todo = stripped.gather(todo_at)
    remaining = list(_FORMATS)
    while not todo.is_empty():
        sample = todo.head(_SAMPLE)
        fmt = _best_format(sample, remaining)
        if fmt is None:
            first_bad = int(todo_at[0])
            raise DataError(file, column, "unparseable timestamp", example=raw[first_bad])
        remaining.remove(fmt)
        parsed = _attempt(todo, fmt)
        hit = parsed.is_not_null()
        values = values.scatter(todo_at.filter(hit), parsed.filter(hit))
        todo, todo_at = todo.filter(~hit), todo_at.filter(~hit)
    return indices, values


def _best_format(sample: pl.Series, formats: Sequence[_Format]) -> _Format | None:
    """The format parsing most of ``sample`` (the earlier, faster one on ties); None if none does.

    In `_parse_rest` None means the first value left is bad: no remaining format parses any
    sampled value, and the formats already used parsed (and removed) every value they fit.
    """
    best: _Format | None = None
    best_hits = 0
    for fmt in formats:
        hits = len(sample) - _attempt(sample, fmt).null_count()
        if hits > best_hits:
            best, best_hits = fmt, hits
    return best


def _attempt(text: pl.Series, fmt: _Format) -> pl.Series:
    """Parse with one format; values that do not match become null."""
    if fmt.fast or len(text) < _PARALLEL_FROM:
        parsed = text.str.to_datetime(
            fmt.pattern, strict=False, exact=True, cache=False, time_unit="us"
        )
    else:  # chrono's parser is single-threaded; the streaming engine spreads it over the cores
        expr = pl.col("v").str.to_datetime(
            fmt.pattern, strict=False, exact=True, cache=False, time_unit="us"
        )
        parsed = text.to_frame("v").lazy().select(expr).collect(engine="streaming").to_series()
    return parsed.dt.replace_time_zone(None) if fmt.zoned else parsed
