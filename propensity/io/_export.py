"""Validate a raw CRM export against the contract and return it clean and typed.

`validate_export` is where every source (a folder of CSV or Parquet files, later a database)
meets the contract. It takes the raw tables, checks them, and either returns a `CrmExport` whose
columns have one fixed type each, or raises a one-line `DataError` naming the file, the column and
an example bad value. PII columns are dropped here, before anything else can see them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl

from propensity._errors import DataError
from propensity.features._account_match import (
    ACCOUNT_MATCH_COLUMNS,
    AccountMatches,
    email_domains,
    match_accounts,
)
from propensity.io._event_summary import EventSummary
from propensity.io._spelling import Merge, merge_spellings
from propensity.io._timestamps import parse_utc

__all__ = [
    "MAX_ID_CHARS",
    "MAX_TEXT_CHARS",
    "TABLES",
    "CrmExport",
    "ReadReport",
    "EMAIL_COLUMNS",
    "is_pii_column",
    "clean_history",
    "history_rows",
    "normalize_column_name",
    "unique_rows",
    "validate_export",
]

MAX_ID_CHARS = 256
"""An id longer than this is an error (it is almost certainly a misaligned column)."""

MAX_TEXT_CHARS = 1_000
"""Other strings are cut to this many characters (not an error)."""

TABLES = ("contacts", "accounts", "events", "outcomes")
"""The tables of an export, in the order they are validated."""

_PII_NAMES = frozenset(
    {
        "email",
        "e-mail",
        "e_mail",
        "email_address",
        "first_name",
        "last_name",
        "full_name",
        "phone",
        "mobile",
        "mobile_number",
        "phone_number",
    }
)
_PII_PARTS = ("email", "phone")
EMAIL_COLUMNS = ("email", "email_address", "e_mail", "e-mail")  # the first present gives `email_domain`
_COLUMNS_LISTED = 20  # column names listed in "columns found" before "..."

_ACCOUNT_COLUMNS: dict[str, pl.DataType] = {
    "account_id": pl.String(),
    "industry": pl.String(),
    "employee_count": pl.Float64(),
    "annual_revenue": pl.Float64(),
    "country": pl.String(),
}


@dataclass(frozen=True)
class ReadReport:
    """What reading found, in counts a user sees (rows kept, rows dropped, columns dropped)."""

    contacts: int
    accounts: int
    events: int
    outcomes: int
    events_unknown_contact: int
    outcomes_unknown_contact: int
    dropped_pii_columns: tuple[str, ...]  # "table.column", e.g. "contacts.email"
    merged_spellings: tuple[Merge, ...] = ()  # values read as one (case, spaces, _ and - ignored; aliases)
    duplicate_events: int = 0  # exact repeats of an event (same contact, time and type), counted once
    account_matches: AccountMatches = AccountMatches()  # contacts without account_id matched to an account, and how


@dataclass(frozen=True, eq=False, repr=False)
class CrmExport:
    """A validated export: typed tables, timestamps as naive UTC ``Datetime("us")``, no PII.

    - ``contacts``: contact_id (String, unique), account_id (String, nullable), created_at,
      job_title, lead_source (String, nullable), then other attributes (Float64 or String).
    - ``accounts``: account_id (String, unique), industry, employee_count (Float64),
      annual_revenue (Float64), country, then other attributes; empty when the export has none.
    - ``events``: contact_id, occurred_at, event_type (stripped, lower case); may be empty.
    - ``outcomes``: contact_id, occurred_at, outcome (stripped, lower case); None when absent.

    Events and outcomes only reference known contacts (the others are dropped and counted in
    ``report``); their other columns are not kept. Event types, outcomes and categorical attributes
    spelled several ways (ignoring case, spaces, underscores and hyphens, or by an alias) are one
    value in their commonest spelling; an event repeated exactly is kept once (both counted in
    ``report``).
    """

    contacts: pl.DataFrame
    accounts: pl.DataFrame
    events: pl.DataFrame
    outcomes: pl.DataFrame | None
    source: str
    fingerprint: str
    report: ReadReport
    # contact_id, email_domain (never a free-mail one), account_match (crm, domain, company name, none):
    # how each contact's account_id was found (propensity.features._account_match); None when not read that way
    matching: pl.DataFrame | None = None
    # the events' aggregates when their rows stay on a cluster (`--engine spark`): `events` is then empty
    event_summary: EventSummary | None = None

    @property
    def n_events(self) -> int:
        return self.event_summary.rows if self.event_summary is not None else self.events.height

    def event_span(self) -> tuple[datetime, datetime] | None:
        """The first and last event, None without events."""
        if self.event_summary is not None:
            s = self.event_summary
            return (s.first, s.last) if s.first is not None and s.last is not None else None
        if self.events.height == 0:
            return None
        return self.events["occurred_at"].min(), self.events["occurred_at"].max()  # type: ignore[return-value]

    def event_type_counts(self, up_to: datetime | None = None) -> pl.DataFrame:
        """(event_type, len): events per type with `occurred_at <= up_to` (every event when None)."""
        if self.event_summary is not None:
            return self.event_summary.type_counts(up_to)
        known = self.events if up_to is None else self.events.filter(pl.col("occurred_at") <= up_to)
        return known.group_by("event_type").len()

    def most_events_per_contact(self) -> int:
        if self.event_summary is not None:
            return self.event_summary.most_per_contact
        if self.events.height == 0:
            return 0
        return int(self.events.group_by("contact_id").len()["len"].max())  # type: ignore[arg-type]

    @property
    def data_start(self) -> datetime:
        """The earliest timestamp in the export (contacts created, events, outcomes)."""
        return min(self._timestamp_bounds())

    @property
    def data_end(self) -> datetime:
        """The latest timestamp in the export (contacts created, events, outcomes)."""
        return max(self._timestamp_bounds())

    def _timestamp_bounds(self) -> list[datetime]:
        columns = [self.contacts["created_at"]]
        if self.outcomes is not None:
            columns.append(self.outcomes["occurred_at"])
        bounds: list[datetime] = list(self.event_span() or ())
        for column in columns:
            for value in (column.min(), column.max()):
                if isinstance(value, datetime):
                    bounds.append(value)
        return bounds

    def __repr__(self) -> str:
        r = self.report
        outcomes = "no outcomes" if self.outcomes is None else f"{r.outcomes} outcomes"
        return (
            f"CrmExport({self.source!r}: {r.contacts} contacts, {r.accounts} accounts, "
            f"{r.events} events, {outcomes}, fingerprint {self.fingerprint[:12]})"
        )


def normalize_column_name(name: str) -> str:
    """The name a column is matched by: stripped, lower case, inner spaces as ``_``."""
    return re.sub(r"\s+", "_", name.strip().lstrip("\ufeff").strip().lower())


def is_pii_column(table: str, column: str) -> bool:
    """Whether a (normalized) column holds personal data and must be dropped on read."""
    return (
        column in _PII_NAMES
        or any(part in column for part in _PII_PARTS)
        or (table == "contacts" and column == "name")
    )


def validate_export(
    tables: Mapping[str, pl.DataFrame | None],
    *,
    names: Mapping[str, str],
    source: str,
    fingerprint: str,
    require_outcomes: bool = False,
    created_at_required: bool = True,
    event_aliases: Mapping[str, str] | None = None,
    outcome_aliases: Mapping[str, str] | None = None,
) -> CrmExport:
    """Check raw tables against the contract and return them clean and typed.

    ``tables`` maps "contacts", "accounts", "events" and "outcomes" to raw frames (all-String
    from CSV, or typed from Parquet or a database); a missing key or None means the table is
    absent. ``names`` gives the file or table name to show in errors (e.g. "contacts.csv").
    Row numbers in errors count data rows from 1, header excluded.

    Raises `DataError` when a required table or column is missing, contacts is empty, an id is
    empty, duplicated or longer than `MAX_ID_CHARS`, a timestamp is unparseable, or a number is
    not a number or is negative. Events and outcomes of unknown (or empty) contact ids are
    dropped and counted, not fatal. With ``created_at_required=False`` (scoring) a blank
    ``created_at`` is kept as null (the scorer lists such contacts as rejects); an unparseable one
    is still an error. ``event_aliases`` and ``outcome_aliases`` map a spelling to the value it means
    (`merge_spellings`).
    """

    def name_of(table: str) -> str:
        return names.get(table, table)

    required = ["contacts", "events"] + (["outcomes"] if require_outcomes else [])
    for table in required:
        if tables.get(table) is None:
            raise DataError(name_of(table), None, f"required table '{table}' is missing")

    pii: list[str] = []
    derived: dict[str, pl.Series] = {}
    merges: list[Merge] = []
    raw: dict[str, pl.DataFrame] = {}
    for table in TABLES:
        frame = tables.get(table)
        if frame is not None:
            raw[table] = _prepare(frame, table, name_of(table), pii, derived)

    contacts = _merge_categories(
        _contacts(raw["contacts"], name_of("contacts"), created_at_required), "contacts", merges
    )
    if "accounts" in raw:
        accounts = _merge_categories(_accounts(raw["accounts"], name_of("accounts")), "accounts", merges)
    else:
        accounts = pl.DataFrame(schema=_ACCOUNT_COLUMNS)
    domains = derived.get("email_domain", pl.Series("email_domain", [None] * contacts.height, dtype=pl.String))
    matched, matches = match_accounts(contacts.with_columns(domains.alias("email_domain")), raw.get("accounts"))
    contacts = contacts.with_columns(matched["account_id"])
    matching = matched.select("contact_id", "email_domain", "account_match")
    known = contacts["contact_id"]
    events, events_unknown = clean_history(raw["events"], "event_type", name_of("events"), known)
    events = _merge_labels(events, "event_type", event_aliases, merges)
    unique_events = unique_rows(events)
    duplicate_events = events.height - unique_events.height
    if duplicate_events:
        events = unique_events
    outcomes: pl.DataFrame | None = None
    outcomes_unknown = 0
    if "outcomes" in raw:
        outcomes, outcomes_unknown = clean_history(
            raw["outcomes"], "outcome", name_of("outcomes"), known
        )
        outcomes = _merge_labels(outcomes, "outcome", outcome_aliases, merges)

    report = ReadReport(
        contacts=contacts.height,
        accounts=accounts.height,
        events=events.height,
        outcomes=0 if outcomes is None else outcomes.height,
        events_unknown_contact=events_unknown,
        outcomes_unknown_contact=outcomes_unknown,
        dropped_pii_columns=tuple(pii),
        merged_spellings=tuple(merges),
        duplicate_events=duplicate_events,
        account_matches=matches,
    )
    return CrmExport(
        contacts=contacts,
        accounts=accounts,
        events=events,
        outcomes=outcomes,
        source=source,
        fingerprint=fingerprint,
        report=report,
        matching=matching,
    )


# --- tables ------------------------------------------------------------------------------------


def unique_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame.unique(maintain_order=True)` (each distinct row once, at its first place) without a hash
    table of whole rows, which takes several times the table's memory on tens of millions of events:
    rows are compared by a 64-bit hash first, and only the few rows sharing a hash are compared whole."""
    shared = frame.hash_rows(seed=0).is_duplicated()
    if not shared.any():
        return frame
    at = shared.arg_true()
    first = frame[at].with_columns(at.alias("_row")).unique(subset=frame.columns, keep="first", maintain_order=True)["_row"]
    drop = np.zeros(frame.height, dtype=bool)
    drop[at.to_numpy()] = True
    drop[first.to_numpy()] = False
    return frame.filter(~pl.Series(drop))



def _prepare(frame: pl.DataFrame, table: str, file: str, pii: list[str], derived: dict[str, pl.Series] | None = None) -> pl.DataFrame:
    """Normalize column names, refuse duplicates, and drop PII columns (noting them in ``pii``).

    Of a contacts email column only its domain is kept, in ``derived["email_domain"]`` (row for row)."""
    seen: dict[str, str] = {}
    for original in frame.columns:
        name = normalize_column_name(original)
        if name in seen:
            problem = "two columns have this name once case and spaces are ignored"
            raise DataError(file, name, problem, example=original)
        seen[name] = original
    renamed = frame.rename({original: name for name, original in seen.items()})
    dropped = [name for name in renamed.columns if is_pii_column(table, name)]
    pii.extend(f"{table}.{name}" for name in dropped)
    email = next((name for name in EMAIL_COLUMNS if name in dropped), None)
    if derived is not None and table == "contacts" and email is not None:
        # only the domain (never a free-mail provider's) survives, for lead-to-account matching
        derived["email_domain"] = email_domains(_as_string(renamed[email], file, email))
    return renamed.drop(dropped)


def _require_columns(frame: pl.DataFrame, file: str, columns: tuple[str, ...]) -> None:
    for column in columns:
        if column not in frame.columns:
            found = frame.columns[:_COLUMNS_LISTED]
            more = ", ..." if frame.width > len(found) else ""
            listed = ", ".join(found) + more if found else "none"
            raise DataError(file, column, f"required column not found (columns found: {listed})")


def _contacts(frame: pl.DataFrame, file: str, created_at_required: bool = True) -> pl.DataFrame:
    _require_columns(frame, file, ("contact_id", "created_at"))
    if frame.height == 0:
        raise DataError(file, None, "the contacts table has no rows")
    ids = _ids(frame["contact_id"], file, "contact_id", required=True)
    _refuse_duplicates(ids, file, "contact_id")
    columns = [
        ids,
        _optional(frame, "account_id", lambda s: _ids(s, file, "account_id", required=False)),
        parse_utc(frame["created_at"], file=file, column="created_at", required=created_at_required),
        _optional(frame, "job_title", lambda s: _text(s, file, "job_title")),
        _optional(frame, "lead_source", lambda s: _text(s, file, "lead_source")),
    ]
    # a company name (propensity.features._account_match) stays text, whatever it looks like
    columns += [_text(frame[c], file, c) for c in ("company",) if c in frame.columns]
    fixed = {str(column.name) for column in columns}
    extras = [_attribute(frame[c], file, c) for c in frame.columns if c not in fixed]
    return pl.DataFrame([*columns, *extras])


def _accounts(frame: pl.DataFrame, file: str) -> pl.DataFrame:
    _require_columns(frame, file, ("account_id",))
    ids = _ids(frame["account_id"], file, "account_id", required=True)
    _refuse_duplicates(ids, file, "account_id")
    columns = [
        ids,
        _optional(frame, "industry", lambda s: _text(s, file, "industry")),
        _optional(frame, "employee_count", lambda s: _amount(s, file, "employee_count")),
        _optional(frame, "annual_revenue", lambda s: _amount(s, file, "annual_revenue")),
        _optional(frame, "country", lambda s: _text(s, file, "country")),
    ]
    # `name` identifies the company: never a feature
    # `domain` and `website` only match leads to accounts (propensity.features._account_match)
    fixed = {str(column.name) for column in columns} | {"name", *ACCOUNT_MATCH_COLUMNS}
    extras = [_attribute(frame[c], file, c) for c in frame.columns if c not in fixed]
    return pl.DataFrame([*columns, *extras])


def clean_history(
    frame: pl.DataFrame, kind: str, file: str, known: pl.Series
) -> tuple[pl.DataFrame, int]:
    """Events or outcomes: (contact_id, occurred_at, ``kind``) of known contacts, and the number
    of rows dropped because their contact id is unknown or empty.

    Written for tens of millions of rows: ids are only stripped where they miss as they are, and
    the (few distinct) labels are cleaned once each.
    """
    rows = history_rows(frame, kind, file)
    ids, occurred_at, labels = rows["contact_id"], rows["occurred_at"], rows[kind]
    is_known = ids.is_in(known.implode()).fill_null(False)
    missed = (~is_known).arg_true()
    if len(missed):
        stripped = ids.gather(missed).str.strip_chars()
        ids = ids.scatter(missed, stripped)
        is_known = is_known.scatter(missed, stripped.is_in(known.implode()).fill_null(False))
    clean = pl.DataFrame([ids, occurred_at, labels])
    unknown = clean.height - int(is_known.sum())
    if unknown:
        clean = clean.filter(is_known)
    return clean, unknown


def history_rows(frame: pl.DataFrame, kind: str, file: str) -> pl.DataFrame:
    """Events or outcomes checked and typed row by row (contact_id as text, occurred_at, ``kind``),
    before unknown contacts are dropped: what an engine that holds the rows elsewhere runs on each
    part of them (`clean_history` on a whole table)."""
    _require_columns(frame, file, ("contact_id", "occurred_at", kind))
    occurred_at = parse_utc(frame["occurred_at"], file=file, column="occurred_at", required=True)
    labels = _labels(frame[kind], file, kind)
    ids = _as_string(frame["contact_id"], file, "contact_id")
    return pl.DataFrame([ids, occurred_at, labels])


def _labels(values: pl.Series, file: str, column: str) -> pl.Series:
    """A required label column (event type, outcome): stripped, lower case, cut to length."""
    raw = _as_string(values, file, column)
    distinct = raw.unique()
    clean = _truncate(distinct.str.strip_chars().str.to_lowercase())
    if (clean.is_null() | (clean == "")).any():
        blank = raw.is_null() | (raw.str.strip_chars() == "")
        raise DataError(file, column, f"empty value in row {_first_row(blank)}")
    if (clean == distinct).all():
        return raw
    return raw.replace_strict(distinct, clean, return_dtype=pl.String)


def _merge_labels(
    frame: pl.DataFrame, column: str, aliases: Mapping[str, str] | None, merges: list[Merge]
) -> pl.DataFrame:
    """Event types or outcomes (already stripped, lower case) spelled several ways as one value."""
    targets = {k: v.strip().lower() for k, v in (aliases or {}).items()}
    merged, found = merge_spellings(frame[column], column=column, aliases=targets)
    if not found:
        return frame
    merges.extend(found)
    return frame.with_columns(merged)


_NOT_CATEGORIES = frozenset({"contact_id", "account_id", "job_title", "company"})  # ids and free text


def _merge_categories(frame: pl.DataFrame, table: str, merges: list[Merge]) -> pl.DataFrame:
    """Each categorical (String) attribute with its spellings merged into the commonest one."""
    changed = []
    for name, dtype in frame.schema.items():
        if dtype != pl.String or name in _NOT_CATEGORIES:
            continue
        merged, found = merge_spellings(frame[name], column=f"{table}.{name}")
        if found:
            merges.extend(found)
            changed.append(merged)
    return frame.with_columns(changed) if changed else frame


# --- columns -----------------------------------------------------------------------------------


def _optional(
    frame: pl.DataFrame, column: str, convert: Callable[[pl.Series], pl.Series]
) -> pl.Series:
    """``convert(frame[column])``, or an all-null column of the output type when it is absent."""
    if column in frame.columns:
        return convert(frame[column])
    return convert(pl.Series(column, [None] * frame.height, dtype=pl.String))


def _ids(values: pl.Series, file: str, column: str, *, required: bool) -> pl.Series:
    """Stripped String ids; blank ones are an error when ``required``, else null."""
    ids = _as_string(values, file, column).str.strip_chars()
    blank = ids.is_null() | (ids == "")
    if blank.any():
        if required:
            raise DataError(file, column, f"empty id in row {_first_row(blank)}")
        ids = pl.select(pl.when(blank).then(None).otherwise(ids)).to_series().rename(column)
    too_long = ids.str.len_chars() > MAX_ID_CHARS
    if too_long.any():
        example = ids.filter(too_long)[0]
        raise DataError(file, column, f"id longer than {MAX_ID_CHARS} characters", example=example)
    return ids


def _refuse_duplicates(ids: pl.Series, file: str, column: str) -> None:
    if ids.n_unique() != len(ids):
        example = ids.filter(ids.is_duplicated())[0]
        raise DataError(file, column, "duplicate id", example=example)


def _text(values: pl.Series, file: str, column: str) -> pl.Series:
    """Stripped String, blank as null, cut to `MAX_TEXT_CHARS`."""
    text = _as_string(values, file, column).str.strip_chars()
    text = pl.select(pl.when(text == "").then(None).otherwise(text)).to_series().rename(column)
    return _truncate(text)


def _amount(values: pl.Series, file: str, column: str) -> pl.Series:
    """A Float64 that must be a finite number >= 0 where present."""
    numbers = _number(values, file, column)
    if numbers is None:
        example = _first_non_number(values)
        raise DataError(file, column, "not a number", example=example)
    bad = numbers.is_nan() | (numbers < 0)
    if bad.any():
        raise DataError(file, column, "must be >= 0", example=values.filter(bad)[0])
    infinite = numbers.is_infinite()
    if infinite.any():
        raise DataError(file, column, "must be a finite number", example=values.filter(infinite)[0])
    return numbers


def _attribute(values: pl.Series, file: str, column: str) -> pl.Series:
    """Another column: Float64 when every present value is a number, else String."""
    dtype = values.dtype
    if dtype.is_numeric():
        return values.cast(pl.Float64)
    if dtype == pl.String and values.null_count() < len(values):
        numbers = _number(values, file, column)
        if numbers is not None and numbers.null_count() < len(numbers):
            return numbers
    return _text(values, file, column)


def _number(values: pl.Series, file: str, column: str) -> pl.Series | None:
    """``values`` as Float64 (blank as null), or None when some present value is not a number."""
    if values.dtype.is_numeric():
        return values.cast(pl.Float64).rename(column)
    text = _as_string(values, file, column).str.strip_chars()
    numbers = text.cast(pl.Float64, strict=False)
    present = text.is_not_null() & (text != "")
    if int(present.sum()) != len(numbers) - numbers.null_count():
        return None
    return numbers.rename(column)


def _first_non_number(values: pl.Series) -> object:
    text = values.cast(pl.String).str.strip_chars()
    bad = text.is_not_null() & (text != "") & text.cast(pl.Float64, strict=False).is_null()
    return values.filter(bad)[0]


def _as_string(values: pl.Series, file: str, column: str) -> pl.Series:
    """``values`` as String; nested and binary types cannot be, and raise."""
    dtype = values.dtype
    if dtype == pl.String:
        return values
    if dtype.is_nested() or dtype in (pl.Binary, pl.Object):
        present = values.drop_nulls().head(1).to_list()
        problem = f"unsupported type {dtype} (expected text or a number)"
        raise DataError(file, column, problem, example=present[0] if present else None)
    return values.cast(pl.String)


def _truncate(text: pl.Series) -> pl.Series:
    longest = text.str.len_chars().max()
    if not isinstance(longest, int) or longest <= MAX_TEXT_CHARS:
        return text
    return text.str.slice(0, MAX_TEXT_CHARS)


def _first_row(mask: pl.Series) -> int:
    """The 1-based data row of the first True in ``mask``."""
    return int(mask.arg_true()[0]) + 1

