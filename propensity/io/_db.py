"""Read a CRM export's four tables from a database: a DuckDB file or any SQLAlchemy URL.

``duckdb:///crm.duckdb`` (relative) or ``duckdb:////abs/crm.duckdb`` opens a DuckDB file read-only;
any other URL (``postgresql://user@host/db``, ``sqlite:///crm.db``, ...) goes through SQLAlchemy
(``postgresql://`` uses psycopg 3). Tables are named ``contacts``, ``accounts``, ``events`` and
``outcomes`` unless mapped (``contacts=crm_contacts,events=web.events``). The raw frames meet the
contract in `validate_export`, exactly like a folder of files.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from propensity._errors import DataError, UsageError
from propensity.io._export import TABLES, CrmExport, validate_export

__all__ = ["parse_tables", "read_database", "redact", "is_database_url"]

_DUCKDB = "duckdb:///"


def is_database_url(text: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+]*://", text or ""))


def redact(url: str) -> str:
    """The URL without its password: postgresql://user:***@host/db."""
    return re.sub(r"(//[^/:@]+):[^/@]*@", r"\1:***@", url)


def parse_tables(text: str | Mapping[str, str] | None) -> dict[str, str]:
    """"contacts=crm_contacts,events=crm_events" -> the table name of each CRM table (defaults: their own)."""
    names = {t: t for t in TABLES}
    if not text:
        return names
    pairs = text.items() if isinstance(text, Mapping) else (p.partition("=")[::2] for p in text.split(",") if p.strip())
    for key, value in pairs:
        key, value = key.strip().lower(), value.strip()
        if key not in names:
            raise UsageError(f"--tables: unknown table {key!r} (known: {', '.join(TABLES)})")
        if not value or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?", value):
            raise UsageError(f"--tables: {key}={value!r} is not a table name (letters, digits, _; optionally schema.table)")
        names[key] = value
    return names


def read_database(
    url: str,
    *,
    tables: str | Mapping[str, str] | None = None,
    require_outcomes: bool = False,
    created_at_required: bool = True,
    event_aliases: Mapping[str, str] | None = None,
    outcome_aliases: Mapping[str, str] | None = None,
) -> CrmExport:
    """Read, validate and fingerprint the export held in the database at `url` (aliases as `validate_export`).

    Raises `UsageError` when the database cannot be opened, `DataError` when a required table is
    missing or its rows break the contract.
    """
    if not is_database_url(url):
        raise UsageError(f"--source {url!r}: not a database URL (e.g. duckdb:///crm.duckdb or postgresql://user@host/db)")
    names = parse_tables(tables)
    shown = redact(url)
    raw = _read_duckdb(url, names) if url.startswith(_DUCKDB) else _read_sqlalchemy(url, names, shown)
    required = ["contacts", "events"] + (["outcomes"] if require_outcomes else [])
    for table in required:
        if raw.get(table) is None:
            raise DataError(shown, None, f"no {table} table (expected a table named {names[table]!r}; map it with --tables {table}=NAME)")
    return validate_export(
        raw,
        names={t: names[t] for t in TABLES},
        source=f"{shown} ({', '.join(names[t] for t in TABLES if raw.get(t) is not None)})",
        fingerprint=_fingerprint(raw),
        require_outcomes=require_outcomes,
        created_at_required=created_at_required,
        event_aliases=event_aliases,
        outcome_aliases=outcome_aliases,
    )


def _fingerprint(raw: Mapping[str, pl.DataFrame | None]) -> str:
    """sha256 over each table's name, schema, row count and an order-free sum of row hashes."""
    digest = hashlib.sha256()
    for table in sorted(raw):
        frame = raw[table]
        if frame is None:
            continue
        total = int(frame.hash_rows(seed=0).to_numpy().sum(dtype=np.uint64)) if frame.height else 0
        digest.update(f"{table}\0{frame.schema}\0{frame.height}\0{total}\0".encode())
    return digest.hexdigest()


# ------------------------------------------------------------------------------------- DuckDB
def _quote(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def _read_duckdb(url: str, names: Mapping[str, str]) -> dict[str, pl.DataFrame | None]:
    import duckdb

    path = Path(url[len(_DUCKDB) :]).expanduser()
    if not path.is_file():
        raise UsageError(f"--source {url}: no such DuckDB file: {path}")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise UsageError(f"--source {url}: cannot open the DuckDB file ({_first_line(error)})") from None
    try:
        present = {
            (r[0].lower() + "." + r[1].lower()) for r in con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
        }
        out: dict[str, pl.DataFrame | None] = {}
        for table, name in names.items():
            qualified = name.lower() if "." in name else f"main.{name.lower()}"
            if qualified not in present:
                out[table] = None
                continue
            try:
                out[table] = pl.from_arrow(con.sql(f"SELECT * FROM {_quote(name)}").to_arrow_table())  # type: ignore[assignment]
            except duckdb.Error as error:
                raise DataError(name, None, "cannot be read", example=_first_line(error)) from None
        return out
    finally:
        con.close()


# --------------------------------------------------------------------------------- SQLAlchemy
def _engine_url(url: str) -> str:
    """postgresql:// means psycopg 3 here (SQLAlchemy's default driver, psycopg2, is not installed)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            try:
                import psycopg2  # type: ignore[import-not-found]  # noqa: F401
            except ImportError:
                return "postgresql+psycopg://" + url[len(prefix) :]
            return "postgresql://" + url[len(prefix) :]
    return url


def _read_sqlalchemy(url: str, names: Mapping[str, str], shown: str) -> dict[str, pl.DataFrame | None]:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(_engine_url(url))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
        raise UsageError(f"--source {shown}: not a usable database URL ({_first_line(error)})") from None
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            out: dict[str, pl.DataFrame | None] = {}
            for table, name in names.items():
                schema, _, bare = name.rpartition(".")
                if not inspector.has_table(bare, schema=schema or None):
                    out[table] = None
                    continue
                query = sa.select(sa.text("*")).select_from(sa.table(bare, schema=schema or None))
                out[table] = _frame(conn.execute(query))
            return out
    except sa.exc.OperationalError as error:
        raise UsageError(f"--source {shown}: cannot connect ({_first_line(error.orig or error)})") from None
    except sa.exc.DBAPIError as error:
        raise UsageError(f"--source {shown}: the database refused a query ({_first_line(error.orig or error)})") from None
    finally:
        engine.dispose()


def _frame(result: Any) -> pl.DataFrame:
    """A SQLAlchemy result as a polars frame; columns typed by their values (all-null ones as String)."""
    columns = list(result.keys())
    rows = result.fetchall()
    data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    series = []
    for c in columns:
        values = data[c]
        if all(v is None for v in values):
            series.append(pl.Series(c, values, dtype=pl.String))
            continue
        try:
            series.append(pl.Series(c, values, strict=False))
        except (TypeError, pl.exceptions.PolarsError):
            series.append(pl.Series(c, [None if v is None else str(v) for v in values], dtype=pl.String))
    return pl.DataFrame(series, schema=None) if series else pl.DataFrame()


def _first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__
