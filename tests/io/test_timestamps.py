"""parse_utc: ISO-8601 text (or polars dates) to naive UTC datetimes, per the contract."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from propensity._errors import DataError
from propensity.io._timestamps import UTC_DTYPE, parse_utc


def parse(values: list[object], *, required: bool = False) -> list[datetime | None]:
    series = pl.Series("ts", values, dtype=pl.String)
    out = parse_utc(series, file="events.csv", column="occurred_at", required=required)
    assert out.dtype == UTC_DTYPE
    assert out.name == "ts"
    return out.to_list()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # no zone: the wall clock is UTC
        ("2024-03-10T14:05:09", datetime(2024, 3, 10, 14, 5, 9)),
        ("2024-03-10 14:05:09", datetime(2024, 3, 10, 14, 5, 9)),
        ("2024-03-10T14:05", datetime(2024, 3, 10, 14, 5)),
        ("2024-03-10 14:05", datetime(2024, 3, 10, 14, 5)),
        # fractions of any length, kept to the microsecond
        ("2024-03-10T14:05:09.5", datetime(2024, 3, 10, 14, 5, 9, 500000)),
        ("2024-03-10T14:05:09.123", datetime(2024, 3, 10, 14, 5, 9, 123000)),
        ("2024-03-10 14:05:09.123456", datetime(2024, 3, 10, 14, 5, 9, 123456)),
        ("2024-03-10T14:05:09.123456789", datetime(2024, 3, 10, 14, 5, 9, 123456)),
        # Z is UTC
        ("2024-03-10T14:05:09Z", datetime(2024, 3, 10, 14, 5, 9)),
        ("2024-03-10T14:05:09z", datetime(2024, 3, 10, 14, 5, 9)),
        ("2024-03-10T14:05:09.250Z", datetime(2024, 3, 10, 14, 5, 9, 250000)),
        ("2024-03-10 14:05Z", datetime(2024, 3, 10, 14, 5)),
        # offsets are converted to UTC, in every spelling
        ("2024-03-10T14:05:09+02:00", datetime(2024, 3, 10, 12, 5, 9)),
        ("2024-03-10T14:05:09+0200", datetime(2024, 3, 10, 12, 5, 9)),
        ("2024-03-10T14:05:09+02", datetime(2024, 3, 10, 12, 5, 9)),
        ("2024-03-10 14:05:09-05:30", datetime(2024, 3, 10, 19, 35, 9)),
        ("2024-03-10T14:05:09.5+00:00", datetime(2024, 3, 10, 14, 5, 9, 500000)),
        ("2024-03-10T14:05-08:00", datetime(2024, 3, 10, 22, 5)),
        # an offset can move the date
        ("2024-01-01T01:00:00+03:00", datetime(2023, 12, 31, 22, 0)),
        # date only: midnight UTC
        ("2024-03-10", datetime(2024, 3, 10)),
        # surrounding spaces are ignored
        ("  2024-03-10T14:05:09Z ", datetime(2024, 3, 10, 14, 5, 9)),
    ],
)
def test_accepted_formats(raw: str, expected: datetime) -> None:
    assert parse([raw]) == [expected]


def test_date_only_is_midnight_utc() -> None:
    assert parse(["2024-02-29"]) == [datetime(2024, 2, 29, 0, 0)]


def test_mixed_zones_in_one_column_are_each_converted() -> None:
    # The same instant written four ways, then one other instant.
    raw = [
        "2024-06-01T12:00:00Z",
        "2024-06-01T14:00:00+02:00",
        "2024-06-01 07:00:00-05:00",
        "2024-06-01T12:00:00",
        "2024-06-02",
    ]
    noon = datetime(2024, 6, 1, 12)
    assert parse(raw) == [noon, noon, noon, noon, datetime(2024, 6, 2)]


def test_result_order_does_not_depend_on_which_format_comes_first() -> None:
    # Most values carry an offset, so that format is tried first; the rest are filled after.
    raw = ["2024-06-01"] + ["2024-06-01T12:00:00+01:00"] * 5 + ["2024-06-03 00:00"]
    expected = [datetime(2024, 6, 1)] + [datetime(2024, 6, 1, 11)] * 5 + [datetime(2024, 6, 3)]
    assert parse(raw) == expected


def test_null_and_blank_stay_null_when_not_required() -> None:
    assert parse([None, "", "   ", "2024-01-01"]) == [None, None, None, datetime(2024, 1, 1)]


@pytest.mark.parametrize("missing", [None, "", "  "])
def test_required_missing_value_names_the_row(missing: str | None) -> None:
    match = r"^events\.csv: column 'occurred_at': missing timestamp in row 3$"
    with pytest.raises(DataError, match=match):
        parse(["2024-01-01", "2024-01-02", missing], required=True)


def test_all_null_column_is_an_empty_datetime_column() -> None:
    assert parse([None, None]) == [None, None]
    assert parse([]) == []


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ("yesterday", r"timestamp \(example: 'yesterday'\)"),
        ("2024-02-30", r"timestamp \(example: '2024-02-30'\)"),
        ("2023-02-29T10:00:00", r"timestamp \(example: '2023-02-29T10:00:00'\)"),
        ("2024-13-01", r"timestamp \(example: '2024-13-01'\)"),
        ("2024-01-02T25:00:00", r"timestamp \(example: '2024-01-02T25:00:00'\)"),
        ("01/02/2024", r"timestamp \(example: '01/02/2024'\)"),
        ("24-01-02", r"timestamp \(example: '24-01-02'\)"),
        ("20240102", r"timestamp \(example: '20240102'\)"),
        ("1700000000", r"timestamp \(example: '1700000000'\)"),
        ("2024-01-02T03", r"timestamp \(example: '2024-01-02T03'\)"),
        ("2024-01-02 03:04:05 PST", r"timestamp \(example: '2024-01-02 03:04:05 PST'\)"),
        ("2024-01-02T03:04:05+25:00", r"timestamp \(example: '2024-01-02T03:04:05\+25:00'\)"),
        ("2024-01-02T03:04:05ZZ", r"timestamp \(example: '2024-01-02T03:04:05ZZ'\)"),
    ],
)
def test_unparseable_value_raises_with_the_raw_value(raw: str, match: str) -> None:
    values = ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00+01:00", raw, "2024-01-05"]
    with pytest.raises(DataError, match=r"^events\.csv: column 'occurred_at': unparseable " + match):
        parse(values)


def test_the_first_bad_value_is_the_example() -> None:
    values = ["2024-01-01"] * 50 + ["2024-01-01 10:00+02:00", "first bad", "second bad"]
    with pytest.raises(DataError, match=r"example: 'first bad'"):
        parse(values)


def test_error_carries_file_column_and_example() -> None:
    with pytest.raises(DataError) as caught:
        parse(["2024-01-01", "nope"])
    assert (caught.value.file, caught.value.column, caught.value.example) == (
        "events.csv",
        "occurred_at",
        "nope",
    )


def test_zoned_datetime_input_is_converted_then_made_naive() -> None:
    berlin_noon = datetime(2024, 6, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    series = pl.Series("ts", [berlin_noon]).dt.convert_time_zone("Europe/Berlin")
    out = parse_utc(series, file="f", column="c")
    assert out.dtype == UTC_DTYPE
    assert out.to_list() == [datetime(2024, 6, 1, 10)]


def test_naive_datetime_input_is_kept_as_utc() -> None:
    series = pl.Series("ts", [datetime(2024, 6, 1, 12, 30)]).cast(pl.Datetime("ns"))
    out = parse_utc(series, file="f", column="c")
    assert out.dtype == UTC_DTYPE
    assert out.to_list() == [datetime(2024, 6, 1, 12, 30)]


def test_date_input_is_midnight() -> None:
    out = parse_utc(pl.Series("d", [date(2024, 6, 1), None]), file="f", column="c", required=False)
    assert out.dtype == UTC_DTYPE
    assert out.to_list() == [datetime(2024, 6, 1), None]


def test_required_null_in_datetime_input_raises() -> None:
    series = pl.Series("ts", [datetime(2024, 6, 1), None])
    with pytest.raises(DataError, match=r"^f: column 'c': missing timestamp in row 2$"):
        parse_utc(series, file="f", column="c", required=True)


def test_large_mixed_column_is_parsed_in_full() -> None:
    # Big enough for the parallel path; every third value has an offset, one is blank.
    n = 300_000
    base = datetime(2024, 1, 1)
    instants = [base + timedelta(seconds=7 * i) for i in range(n)]
    raw = [
        (t + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+01:00")
        if i % 3 == 0
        else t.strftime("%Y-%m-%d %H:%M:%S")
        for i, t in enumerate(instants)
    ]
    raw[10] = ""
    expected: list[datetime | None] = list(instants)
    expected[10] = None
    assert parse(raw) == expected


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1)),
    offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
    separator=st.sampled_from(["T", " "]),
    style=st.sampled_from(["+hh:mm", "+hhmm", "Z", "naive"]),
)
def test_any_offset_round_trips_to_the_same_utc_instant(
    moment: datetime, offset_minutes: int, separator: str, style: str
) -> None:
    if style in ("Z", "naive"):
        offset_minutes = 0
    zone = timezone(timedelta(minutes=offset_minutes))
    local = moment.replace(tzinfo=timezone.utc).astimezone(zone)
    text = local.strftime(f"%Y-%m-%d{separator}%H:%M:%S.%f")
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    text += {
        "+hh:mm": f"{sign}{hours:02d}:{minutes:02d}",
        "+hhmm": f"{sign}{hours:02d}{minutes:02d}",
        "Z": "Z",
        "naive": "",
    }[style]
    assert parse([text]) == [moment]
