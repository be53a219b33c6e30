"""Reading a CRM export folder: validation, typing, PII removal, unknown contacts, fingerprint."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from propensity._errors import DataError, UsageError
from propensity.io._export import CrmExport, validate_export
from propensity.io._sources import read_export

Tables = dict[str, pl.DataFrame]


def base_tables() -> Tables:
    """A tiny valid export, every column text as a CSV export has it.

    Contact c1 (account a1): created 2024-01-01 (no zone: UTC); 2 events, no outcome.
    Contact c2 (account a1): created 09:00 at +02:00, i.e. 07:00 UTC; 1 event; became an SQL.
    Contact c3 (no account): created on a date only (midnight UTC); no history.
    Account a2 has no contacts. Rows are not in time order on purpose.
    """
    return {
        "contacts": pl.DataFrame(
            {
                "contact_id": ["c2", "c1", "c3"],
                "account_id": ["a1", "a1", None],
                "created_at": ["2024-01-02T09:00:00+02:00", "2024-01-01 00:00:00", "2024-01-03"],
                "email": ["bo@example.com", "al@example.com", "cy@example.com"],
                "job_title": ["Sr. Director, IT", "VP of Marketing", None],
                "lead_source": ["webinar", "web", "event"],
                "score": ["1.5", "2", None],
                "segment": ["smb", "enterprise", "smb"],
            }
        ),
        "accounts": pl.DataFrame(
            {
                "account_id": ["a1", "a2"],
                "name": ["Acme Corp", "Globex"],
                "industry": ["Software", "Retail"],
                "employee_count": ["120", "4500"],
                "annual_revenue": ["1.5e7", None],
                "country": ["US", "DE"],
            }
        ),
        "events": pl.DataFrame(
            {
                "contact_id": ["c1", "c2", "c1"],
                "occurred_at": ["2024-02-03T10:00:00Z", "2024-02-01", "2024-02-02 08:30:00+01:00"],
                "event_type": ["Email_Open", " web_visit ", "pricing_page_view"],
            }
        ),
        "outcomes": pl.DataFrame(
            {
                "contact_id": ["c2"],
                "occurred_at": ["2024-03-01T00:00:00Z"],
                "outcome": ["SQL"],
            }
        ),
    }


def write(folder: Path, tables: Tables, fmt: str = "csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if fmt == "csv":
            frame.write_csv(folder / f"{name}.csv")
        else:
            frame.write_parquet(folder / f"{name}.parquet")
    return folder


def read(tmp_path: Path, tables: Tables, fmt: str = "csv", **options: bool) -> CrmExport:
    return read_export(write(tmp_path / f"export_{fmt}", tables, fmt), **options)


def with_column(table: str, column: str, values: list[str | None]) -> Callable[[Tables], Tables]:
    def mutate(tables: Tables) -> Tables:
        tables[table] = tables[table].with_columns(pl.Series(column, values, dtype=pl.String))
        return tables

    return mutate


def without_column(table: str, column: str) -> Callable[[Tables], Tables]:
    def mutate(tables: Tables) -> Tables:
        tables[table] = tables[table].drop(column)
        return tables

    return mutate


def without_table(table: str) -> Callable[[Tables], Tables]:
    def mutate(tables: Tables) -> Tables:
        del tables[table]
        return tables

    return mutate


def header_only(table: str) -> Callable[[Tables], Tables]:
    def mutate(tables: Tables) -> Tables:
        tables[table] = tables[table].clear()
        return tables

    return mutate


def renamed(table: str, old: str, new: str) -> Callable[[Tables], Tables]:
    def mutate(tables: Tables) -> Tables:
        tables[table] = tables[table].with_columns(pl.col(old).alias(new))
        return tables

    return mutate


LONG_ID = "x" * 300

# (mutation of the valid export, message pattern); EXT stands for the file's extension.
BAD_TABLES: list[tuple[str, Callable[[Tables], Tables], str]] = [
    (
        "no contact_id column",
        without_column("contacts", "contact_id"),
        r"^contacts\.EXT: column 'contact_id': required column not found "
        r"\(columns found: account_id, created_at, job_title, lead_source, score, segment\)$",
    ),
    (
        "no created_at column",
        without_column("contacts", "created_at"),
        r"^contacts\.EXT: column 'created_at': required column not found "
        r"\(columns found: contact_id,",
    ),
    (
        "no event_type column",
        without_column("events", "event_type"),
        r"^events\.EXT: column 'event_type': required column not found "
        r"\(columns found: contact_id, occurred_at\)$",
    ),
    (
        "no outcome column",
        without_column("outcomes", "outcome"),
        r"^outcomes\.EXT: column 'outcome': required column not found",
    ),
    (
        "no account_id column in accounts",
        without_column("accounts", "account_id"),
        r"^accounts\.EXT: column 'account_id': required column not found",
    ),
    (
        "contacts has no rows",
        header_only("contacts"),
        r"^contacts\.EXT: the contacts table has no rows$",
    ),
    (
        "empty contact_id",
        with_column("contacts", "contact_id", ["c2", "  ", "c3"]),
        r"^contacts\.EXT: column 'contact_id': empty id in row 2$",
    ),
    (
        "null contact_id",
        with_column("contacts", "contact_id", ["c2", "c1", None]),
        r"^contacts\.EXT: column 'contact_id': empty id in row 3$",
    ),
    (
        "duplicate contact_id",
        with_column("contacts", "contact_id", ["c2", "c1", "c2"]),
        r"^contacts\.EXT: column 'contact_id': duplicate id \(example: 'c2'\)$",
    ),
    (
        "duplicate account_id",
        with_column("accounts", "account_id", ["a1", "a1"]),
        r"^accounts\.EXT: column 'account_id': duplicate id \(example: 'a1'\)$",
    ),
    (
        "contact_id too long",
        with_column("contacts", "contact_id", ["c2", LONG_ID, "c3"]),
        r"^contacts\.EXT: column 'contact_id': id longer than 256 characters "
        r"\(example: 'xxx+\.\.\.'\)$",
    ),
    (
        "account_id too long in contacts",
        with_column("contacts", "account_id", ["a1", LONG_ID, None]),
        r"^contacts\.EXT: column 'account_id': id longer than 256 characters",
    ),
    (
        "unparseable created_at",
        with_column("contacts", "created_at", ["2024-01-01", "last tuesday", "2024-01-03"]),
        r"^contacts\.EXT: column 'created_at': unparseable timestamp \(example: 'last tuesday'\)$",
    ),
    (
        "missing created_at",
        with_column("contacts", "created_at", ["2024-01-01", "2024-01-02", ""]),
        r"^contacts\.EXT: column 'created_at': missing timestamp in row 3$",
    ),
    (
        "impossible event date",
        with_column("events", "occurred_at", ["2024-02-03", "2024-02-30", "2024-02-01"]),
        r"^events\.EXT: column 'occurred_at': unparseable timestamp \(example: '2024-02-30'\)$",
    ),
    (
        "unparseable outcome time",
        with_column("outcomes", "occurred_at", ["03/01/2024"]),
        r"^outcomes\.EXT: column 'occurred_at': unparseable timestamp \(example: '03/01/2024'\)$",
    ),
    (
        "employee_count in words",
        with_column("accounts", "employee_count", ["120", "ten"]),
        r"^accounts\.EXT: column 'employee_count': not a number \(example: 'ten'\)$",
    ),
    (
        "negative employee_count",
        with_column("accounts", "employee_count", ["-5", "10"]),
        r"^accounts\.EXT: column 'employee_count': must be >= 0 \(example: '-5'\)$",
    ),
    (
        "NaN annual_revenue",
        with_column("accounts", "annual_revenue", ["1000", "NaN"]),
        r"^accounts\.EXT: column 'annual_revenue': must be >= 0 \(example: 'NaN'\)$",
    ),
    (
        "empty event_type",
        with_column("events", "event_type", ["email_open", " ", "web_visit"]),
        r"^events\.EXT: column 'event_type': empty value in row 2$",
    ),
    (
        "empty outcome",
        with_column("outcomes", "outcome", [None]),
        r"^outcomes\.EXT: column 'outcome': empty value in row 1$",
    ),
    (
        "two columns named contact_id once normalized",
        renamed("contacts", "contact_id", "Contact ID "),
        r"^contacts\.EXT: column 'contact_id': two columns have this name once case and spaces "
        r"are ignored \(example: 'Contact ID '\)$",
    ),
]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize(
    ("mutation", "match"),
    [pytest.param(mutation, match, id=case) for case, mutation, match in BAD_TABLES],
)
def test_bad_input_is_refused_naming_file_column_and_example(
    tmp_path: Path, fmt: str, mutation: Callable[[Tables], Tables], match: str
) -> None:
    tables = mutation(base_tables())
    with pytest.raises(DataError, match=match.replace("EXT", fmt)):
        read(tmp_path, tables, fmt)


def corrupt_bytes(name: str, old: bytes, new: bytes) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        path = folder / name
        path.write_bytes(path.read_bytes().replace(old, new, 1))

    return mutate


def append_bytes(name: str, extra: bytes) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        with (folder / name).open("ab") as handle:
            handle.write(extra)

    return mutate


def remove(name: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        (folder / name).unlink()

    return mutate


def add_file(name: str, content: bytes) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        (folder / name).write_bytes(content)

    return mutate


# File-level problems, on the valid export written as CSV.
BAD_FILES: list[tuple[str, Callable[[Path], None], str]] = [
    (
        "no contacts table",
        remove("contacts.csv"),
        r"^[^:]*export_csv: no contacts table \(expected contacts\.csv or contacts\.parquet\)$",
    ),
    (
        "no events table",
        remove("events.csv"),
        r"^[^:]*export_csv: no events table \(expected events\.csv or events\.parquet; "
        r"it may be empty, but it must exist\)$",
    ),
    (
        "contacts as both CSV and Parquet",
        add_file("Contacts.parquet", b"PAR1"),
        r"^[^:]*export_csv: ambiguous contacts table: both Contacts\.parquet and contacts\.csv$",
    ),
    (
        "invalid UTF-8",
        corrupt_bytes("events.csv", b"web_visit", b"web_vis\xffit"),
        r"^events\.csv: not valid UTF-8 at byte \d+ \(line 3\); save it as UTF-8$",
    ),
    (
        "row with more fields than the header",
        append_bytes("events.csv", b"c1,2024-03-01,web_visit,extra\n"),
        r"^events\.csv: line 5 has 4 fields but the header has 3$",
    ),
    (
        "empty CSV file",
        add_file("outcomes.csv", b""),
        r"^outcomes\.csv: the file is empty \(no header row\)$",
    ),
    (
        "repeated header",
        corrupt_bytes("events.csv", b"event_type", b"contact_id"),
        r"^events\.csv: column 'contact_id': two columns have this name \(example: 'contact_id'\)$",
    ),
    (
        "quote never closed",
        append_bytes("events.csv", b'c1,2024-03-01,"web_visit\n'),
        r"^events\.csv: could not be read as CSV",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "match"),
    [pytest.param(mutation, match, id=case) for case, mutation, match in BAD_FILES],
)
def test_bad_file_is_refused_in_one_line(
    tmp_path: Path, mutation: Callable[[Path], None], match: str
) -> None:
    folder = write(tmp_path / "export_csv", base_tables())
    mutation(folder)
    with pytest.raises(DataError, match=match) as caught:
        read_export(folder)
    assert "\n" not in str(caught.value)


def test_unreadable_parquet_is_refused(tmp_path: Path) -> None:
    folder = write(tmp_path / "export", base_tables(), "parquet")
    (folder / "events.parquet").write_bytes(b"PAR1 this is not a parquet file PAR1")
    with pytest.raises(DataError, match=r"^events\.parquet: not a readable Parquet file"):
        read_export(folder)


def test_outcomes_required_to_train(tmp_path: Path) -> None:
    tables = base_tables()
    del tables["outcomes"]
    folder = write(tmp_path / "export", tables)
    assert read_export(folder).outcomes is None
    with pytest.raises(DataError, match=r"no outcomes table \(expected outcomes\.csv or"):
        read_export(folder, require_outcomes=True)


@pytest.mark.parametrize(
    ("absent", "require_outcomes", "match"),
    [
        ("contacts", False, r"^contacts\.csv: required table 'contacts' is missing$"),
        ("events", False, r"^events\.csv: required table 'events' is missing$"),
        ("outcomes", True, r"^outcomes\.csv: required table 'outcomes' is missing$"),
    ],
)
def test_validate_export_requires_tables(absent: str, require_outcomes: bool, match: str) -> None:
    tables: dict[str, pl.DataFrame | None] = {**base_tables(), absent: None}
    names = {table: f"{table}.csv" for table in tables}
    with pytest.raises(DataError, match=match):
        validate_export(
            tables, names=names, source="test", fingerprint="0", require_outcomes=require_outcomes
        )


def test_no_such_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^no such folder: .*missing$"):
        read_export(tmp_path / "missing")


def test_a_file_instead_of_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    folder = write(tmp_path / "export", base_tables())
    with pytest.raises(UsageError, match=r"^not a folder: .*contacts\.csv"):
        read_export(folder / "contacts.csv")


# --- what a valid export becomes --------------------------------------------------------------


def test_valid_export_is_typed(tmp_path: Path) -> None:
    export = read(tmp_path, base_tables())
    assert export.contacts.schema == pl.Schema(
        {
            "contact_id": pl.String,
            "account_id": pl.String,
            "created_at": pl.Datetime("us"),
            "job_title": pl.String,
            "lead_source": pl.String,
            "score": pl.Float64,
            "segment": pl.String,
        }
    )
    assert export.accounts.schema == pl.Schema(
        {
            "account_id": pl.String,
            "industry": pl.String,
            "employee_count": pl.Float64,
            "annual_revenue": pl.Float64,
            "country": pl.String,
        }
    )
    assert export.events.schema == pl.Schema(
        {"contact_id": pl.String, "occurred_at": pl.Datetime("us"), "event_type": pl.String}
    )
    assert export.outcomes is not None
    assert export.outcomes.schema == pl.Schema(
        {"contact_id": pl.String, "occurred_at": pl.Datetime("us"), "outcome": pl.String}
    )


def test_timestamps_are_utc_and_labels_lower_case(tmp_path: Path) -> None:
    export = read(tmp_path, base_tables())
    created = dict(export.contacts.select("contact_id", "created_at").iter_rows())
    assert created == {
        "c1": datetime(2024, 1, 1),
        "c2": datetime(2024, 1, 2, 7),  # 09:00 at +02:00
        "c3": datetime(2024, 1, 3),
    }
    assert export.events.rows() == [
        ("c1", datetime(2024, 2, 3, 10), "email_open"),
        ("c2", datetime(2024, 2, 1), "web_visit"),
        ("c1", datetime(2024, 2, 2, 7, 30), "pricing_page_view"),
    ]
    assert export.outcomes is not None
    assert export.outcomes.rows() == [("c2", datetime(2024, 3, 1), "sql")]
    assert export.data_start == datetime(2024, 1, 1)
    assert export.data_end == datetime(2024, 3, 1)


def test_numbers_become_floats(tmp_path: Path) -> None:
    export = read(tmp_path, base_tables())
    accounts = export.accounts.sort("account_id")
    assert accounts["employee_count"].to_list() == [120.0, 4500.0]
    assert accounts["annual_revenue"].to_list() == [1.5e7, None]
    assert dict(export.contacts.select("contact_id", "score").iter_rows()) == {
        "c1": 2.0,
        "c2": 1.5,
        "c3": None,
    }


def test_column_names_match_case_and_spaces_insensitively(tmp_path: Path) -> None:
    tables = base_tables()
    tables["contacts"] = tables["contacts"].rename(
        {"contact_id": " Contact_ID", "created_at": "Created At"}
    )
    tables["events"] = tables["events"].rename({"event_type": "EVENT_TYPE "})
    export = read(tmp_path, tables)
    assert export.contacts.columns[:3] == ["contact_id", "account_id", "created_at"]
    assert export.events.columns == ["contact_id", "occurred_at", "event_type"]


PII_VALUES = ["al@example.com", "Alice", "Liddell", "Alice Liddell", "+1 555 0100", "555-0199"]


def test_pii_columns_never_appear_in_the_result(tmp_path: Path) -> None:
    tables = base_tables()
    n = tables["contacts"].height
    tables["contacts"] = tables["contacts"].with_columns(
        pl.lit("al@example.com").alias("E-Mail"),
        pl.lit("al@example.com").alias("Work Email"),
        pl.lit("Alice").alias("First Name"),
        pl.lit("Liddell").alias("last_name"),
        pl.lit("Alice Liddell").alias("full_name"),
        pl.lit("Alice Liddell").alias("Name"),
        pl.lit("+1 555 0100").alias("Phone Number"),
        pl.lit("555-0199").alias("mobile"),
        pl.lit("555-0199").alias("home_phone"),
    )
    tables["accounts"] = tables["accounts"].with_columns(pl.lit("555-0199").alias("phone"))
    tables["events"] = tables["events"].with_columns(
        pl.lit("al@example.com").alias("email_address")
    )
    export = read(tmp_path, tables)

    frames = [export.contacts, export.accounts, export.events, export.outcomes]
    for frame in frames:
        assert frame is not None
        for column in frame.columns:
            assert "mail" not in column and "phone" not in column and "name" not in column
            if frame[column].dtype == pl.String:
                assert not frame[column].is_in(PII_VALUES).any(), column
    assert export.contacts.height == n
    assert set(export.report.dropped_pii_columns) == {
        "contacts.email",
        "contacts.e-mail",
        "contacts.work_email",
        "contacts.first_name",
        "contacts.last_name",
        "contacts.full_name",
        "contacts.name",
        "contacts.phone_number",
        "contacts.mobile",
        "contacts.home_phone",
        "accounts.phone",
        "events.email_address",
    }
    assert "example.com" not in repr(export)


def test_account_name_is_an_identifier_not_an_attribute(tmp_path: Path) -> None:
    export = read(tmp_path, base_tables())
    assert "name" not in export.accounts.columns
    strings = export.accounts.select(pl.col(pl.String))
    assert not any(column.is_in(["Acme Corp", "Globex"]).any() for column in strings.iter_columns())


def test_events_of_unknown_contacts_are_dropped_and_counted(tmp_path: Path) -> None:
    tables = base_tables()
    tables["events"] = pl.DataFrame(
        {
            "contact_id": ["c1", "c9", "", " c2 ", None, "C1"],  # c9, "", None, C1: unknown
            "occurred_at": ["2024-02-01"] * 6,
            "event_type": ["web_visit"] * 6,
        }
    )
    tables["outcomes"] = pl.DataFrame(
        {"contact_id": ["c2", "ghost"], "occurred_at": ["2024-03-01"] * 2, "outcome": ["sql"] * 2}
    )
    export = read(tmp_path, tables)
    assert export.events["contact_id"].to_list() == ["c1", "c2"]
    assert export.report.events == 2
    assert export.report.events_unknown_contact == 4
    assert export.outcomes is not None
    assert export.outcomes["contact_id"].to_list() == ["c2"]
    assert export.report.outcomes == 1
    assert export.report.outcomes_unknown_contact == 1


def test_report_counts_rows(tmp_path: Path) -> None:
    report = read(tmp_path, base_tables()).report
    assert (report.contacts, report.accounts, report.events, report.outcomes) == (3, 2, 3, 1)
    assert (report.events_unknown_contact, report.outcomes_unknown_contact) == (0, 0)
    assert report.dropped_pii_columns == ("contacts.email",)


def test_empty_events_and_no_accounts_keep_their_schema(tmp_path: Path) -> None:
    tables = base_tables()
    tables["events"] = tables["events"].clear()
    del tables["accounts"]
    export = read(tmp_path, tables)
    assert export.events.height == 0
    assert export.events.schema["occurred_at"] == pl.Datetime("us")
    assert export.accounts.height == 0
    assert export.accounts.columns == [
        "account_id",
        "industry",
        "employee_count",
        "annual_revenue",
        "country",
    ]
    assert export.data_end == datetime(2024, 3, 1)  # from outcomes and contacts alone


def test_optional_contact_columns_are_added_when_absent(tmp_path: Path) -> None:
    tables = base_tables()
    tables["contacts"] = tables["contacts"].select("contact_id", "created_at")
    export = read(tmp_path, tables)
    assert export.contacts.columns == [
        "contact_id",
        "account_id",
        "created_at",
        "job_title",
        "lead_source",
    ]
    assert export.contacts["job_title"].null_count() == 3


def test_long_text_is_truncated_not_refused(tmp_path: Path) -> None:
    tables = base_tables()
    tables = with_column("contacts", "job_title", ["x" * 5000, "VP", None])(tables)
    tables = with_column("contacts", "segment", ["y" * 1001, "smb", "smb"])(tables)
    export = read(tmp_path, tables)
    lengths = export.contacts.select(pl.col("job_title", "segment").str.len_chars().max())
    assert lengths.row(0) == (1000, 1000)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_csv_and_parquet_of_the_same_data_give_equal_frames(tmp_path: Path, fmt: str) -> None:
    from_csv = read(tmp_path, base_tables(), "csv")
    tables = base_tables()
    if fmt == "parquet":
        # Typed as a warehouse would write it: zoned timestamps, integers, floats.
        created = [datetime(2024, 1, 2, 7), datetime(2024, 1, 1), datetime(2024, 1, 3)]
        occurred = [datetime(2024, 2, 3, 10), datetime(2024, 2, 1), datetime(2024, 2, 2, 7, 30)]
        tables["contacts"] = tables["contacts"].with_columns(
            pl.Series("created_at", created, dtype=pl.Datetime("ns", "UTC")),
            pl.col("score").cast(pl.Float32),
        )
        tables["accounts"] = tables["accounts"].with_columns(
            pl.col("employee_count").cast(pl.Int64),
            pl.col("annual_revenue").cast(pl.Float64),
        )
        tables["events"] = tables["events"].with_columns(
            pl.Series("occurred_at", occurred, dtype=pl.Datetime("ms", "UTC"))
            .dt.convert_time_zone("America/New_York")
        )
    typed = read(tmp_path, tables, "parquet")
    assert_frame_equal(typed.contacts, from_csv.contacts)
    assert_frame_equal(typed.accounts, from_csv.accounts)
    assert_frame_equal(typed.events, from_csv.events)
    assert typed.outcomes is not None and from_csv.outcomes is not None
    assert_frame_equal(typed.outcomes, from_csv.outcomes)
    assert typed.report == from_csv.report


# --- fingerprint -------------------------------------------------------------------------------


def test_fingerprint_is_stable_for_the_same_bytes(tmp_path: Path) -> None:
    first = read_export(write(tmp_path / "a", base_tables())).fingerprint
    second = read_export(write(tmp_path / "b", base_tables())).fingerprint
    assert first == second
    assert len(first) == 64 and int(first, 16) >= 0


def test_fingerprint_changes_when_one_byte_changes(tmp_path: Path) -> None:
    folder = write(tmp_path / "export", base_tables())
    before = read_export(folder).fingerprint
    corrupt_bytes("events.csv", b"2024-02-01", b"2024-02-02")(folder)
    assert read_export(folder).fingerprint != before


def test_fingerprint_ignores_unrelated_files(tmp_path: Path) -> None:
    folder = write(tmp_path / "export", base_tables())
    before = read_export(folder).fingerprint
    pl.DataFrame({"contact_id": ["c1"], "p": [0.5]}).write_parquet(folder / "oracle.parquet")
    (folder / "generator.json").write_text('{"seed": 1}')
    (folder / "contacts_old.csv").write_text("contact_id\nzzz\n")
    assert read_export(folder).fingerprint == before


def test_fingerprint_depends_on_which_table_holds_the_bytes(tmp_path: Path) -> None:
    folder = write(tmp_path / "export", base_tables())
    before = read_export(folder).fingerprint
    (folder / "outcomes.csv").unlink()
    assert read_export(folder).fingerprint != before


def test_export_knows_its_source(tmp_path: Path) -> None:
    folder = write(tmp_path / "export", base_tables())
    export = read_export(str(folder))
    assert export.source == str(folder)
    assert repr(export).startswith(f"CrmExport({str(folder)!r}: 3 contacts")
