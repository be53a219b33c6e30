"""Database sources: DuckDB and a real PostgreSQL server give the same export, and the same scores,
as the same tables read from CSV files.

The PostgreSQL server is Debian's `postgresql` (installed by `.ci/run`): the fixture starts a
throwaway cluster (initdb + pg_ctl, as the `postgres` user when run as root) on a free loopback port,
loads the generated export into it, and stops and removes it afterwards. No mocks.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from propensity._errors import DataError, UsageError
from propensity.cli import main
from propensity.io._db import parse_tables, read_database, redact
from propensity.io._sources import read_export
from tests.conftest import unavailable

TABLES = ("contacts", "accounts", "events", "outcomes")


# ------------------------------------------------------------------------------------ helpers
def typed_tables(folder: Path) -> dict[str, pl.DataFrame]:
    """The export's CSV tables with types a database would hold (timestamps, numbers)."""
    out = {}
    for t in TABLES:
        frame = pl.read_csv(folder / f"{t}.csv", infer_schema_length=None)
        stamps = [c for c in ("created_at", "occurred_at") if c in frame.columns]
        out[t] = frame.with_columns(pl.col(c).str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC") for c in stamps)
    return out


def write_duckdb(path: Path, tables: dict[str, pl.DataFrame], prefix: str = "") -> None:
    import duckdb

    con = duckdb.connect(str(path))
    try:
        for name, frame in tables.items():
            con.register("incoming", frame.to_arrow())
            con.execute(f'CREATE TABLE "{prefix}{name}" AS SELECT * FROM incoming')
            con.unregister("incoming")
    finally:
        con.close()


_PG_TYPES = {pl.String: "TEXT", pl.Float64: "DOUBLE PRECISION", pl.Int64: "BIGINT", pl.Boolean: "BOOLEAN", pl.Date: "DATE"}


def _pg_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    return _PG_TYPES.get(type(dtype), "TEXT")  # type: ignore[arg-type]


def write_postgres(url: str, tables: dict[str, pl.DataFrame], prefix: str = "") -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for name, frame in tables.items():
            cols = ", ".join(f'"{c}" {_pg_type(t)}' for c, t in frame.schema.items())
            conn.execute(f'DROP TABLE IF EXISTS "{prefix}{name}"')
            conn.execute(f'CREATE TABLE "{prefix}{name}" ({cols})')
            with conn.cursor().copy(f'COPY "{prefix}{name}" FROM STDIN') as copy:
                for row in frame.iter_rows():
                    copy.write_row(row)


def _pg_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1; yields its URL."""
    bindir = _pg_bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        unavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql (.ci/run does)")
    as_user: list[str] = []
    # A cluster cannot run as root: run it as the postgres system user, in a folder that user owns
    # (pytest's tmp_path sits under a root-only 0700 folder, so the cluster gets its own temp folder).
    base = Path(tempfile.mkdtemp(prefix="propensity-pg-"))
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root and there is no 'postgres' user to run the server as")
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres", "postgres")
    data, log, port = base / "data", base / "server.log", _free_port()
    pg_ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "-N"],
                       check=True, capture_output=True)
        subprocess.run([*pg_ctl, "-l", str(log), "-w", "-t", "60", "-o", f"-p {port} -k {base} -h 127.0.0.1 -F", "start"],
                       check=True, capture_output=True)
    except subprocess.CalledProcessError as error:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {error.stderr!r} {tail}") from None
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def databases(small_crm: Path, tmp_path_factory: pytest.TempPathFactory, postgres_server: str) -> dict[str, str]:
    """The generated export in a DuckDB file and in PostgreSQL, under prefixed table names."""
    tables = typed_tables(small_crm)
    duck = tmp_path_factory.mktemp("duck") / "crm.duckdb"
    write_duckdb(duck, tables, prefix="crm_")
    write_postgres(postgres_server, tables, prefix="crm_")
    return {"duckdb": f"duckdb:///{duck}", "postgresql": postgres_server}


MAPPING = "contacts=crm_contacts,accounts=crm_accounts,events=crm_events,outcomes=crm_outcomes"


def _sorted(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return frame.sort(keys)


# -------------------------------------------------------------------------------------- rules
def test_tables_option_maps_crm_tables_to_database_names() -> None:
    assert parse_tables("contacts=crm_contacts, events=web.events") == {
        "contacts": "crm_contacts", "accounts": "accounts", "events": "web.events", "outcomes": "outcomes",
    }
    assert parse_tables(None)["outcomes"] == "outcomes"


@pytest.mark.parametrize(
    ("text", "match"),
    [("leads=crm_leads", "unknown table 'leads'"), ("contacts=", "is not a table name"), ("contacts=a;drop table x", "is not a table name")],
)
def test_bad_tables_option_is_one_usage_error(text: str, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        parse_tables(text)


def test_database_password_never_shown() -> None:
    assert redact("postgresql://crm:s3cret@db.example:5432/crm") == "postgresql://crm:***@db.example:5432/crm"


def test_missing_duckdb_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such DuckDB file"):
        read_database(f"duckdb:///{tmp_path / 'none.duckdb'}")


def test_missing_required_table_names_the_expected_table(small_crm: Path, tmp_path: Path) -> None:
    tables = typed_tables(small_crm)
    path = tmp_path / "crm.duckdb"
    write_duckdb(path, {"contacts": tables["contacts"]})
    with pytest.raises(DataError, match="no events table \\(expected a table named 'events'"):
        read_database(f"duckdb:///{path}")


def test_unreachable_postgres_is_one_usage_error() -> None:
    port = _free_port()  # nothing listens there
    with pytest.raises(UsageError, match="cannot connect"):
        read_database(f"postgresql://nobody:pw@127.0.0.1:{port}/crm")


def test_duckdb_and_postgres_read_the_same_export_as_csv(databases: dict[str, str], small_crm: Path) -> None:
    csv = read_export(small_crm, require_outcomes=True)
    for kind, url in databases.items():
        db = read_database(url, tables=MAPPING, require_outcomes=True)
        assert db.report == csv.report, kind
        assert _sorted(db.contacts, ["contact_id"]).equals(_sorted(csv.contacts, ["contact_id"])), kind
        assert _sorted(db.accounts, ["account_id"]).equals(_sorted(csv.accounts, ["account_id"])), kind
        keys = ["contact_id", "occurred_at", "event_type"]
        assert _sorted(db.events, keys).equals(_sorted(csv.events, keys)), kind
        assert db.outcomes is not None and csv.outcomes is not None
        okeys = ["contact_id", "occurred_at", "outcome"]
        assert _sorted(db.outcomes, okeys).equals(_sorted(csv.outcomes, okeys)), kind
        assert "***" not in db.source and "crm_contacts" in db.source


def test_postgres_connection_details_may_come_from_the_environment(
    databases: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) fill what the URL leaves out,
    # so a scheduled job's URL need not hold a password
    url = databases["postgresql"]
    host_port = url.split("@", 1)[1].split("/", 1)[0]
    monkeypatch.setenv("PGHOST", host_port.split(":")[0])
    monkeypatch.setenv("PGPORT", host_port.split(":")[1])
    monkeypatch.setenv("PGUSER", "postgres")
    from_env = read_database("postgresql:///postgres", tables=MAPPING)
    assert from_env.source.startswith("postgresql:///postgres (crm_contacts")
    assert from_env.contacts.equals(read_database(url, tables=MAPPING).contacts)


@pytest.mark.slow
def test_postgres_duckdb_and_csv_sources_give_identical_scores(
    databases: dict[str, str], small_crm: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path_factory.mktemp("dbstore")
    uri = f"sqlite:///{home / 'mlflow.db'}"
    quick = home / "quick.toml"  # model quality is not the point here: a small, fast model
    quick.write_text("[model]\nnum_boost_round = 40\n\n[split]\nmax_train_cutoffs = 5\nbacktest_folds = 1\n", encoding="utf-8")
    assert main(["-q", "train", "--source", databases["duckdb"], "--tables", MAPPING, "--config", str(quick), "--tracking-uri", uri]) == 0
    out = {}
    for kind, args in (
        ("csv", [str(small_crm)]),
        ("duckdb", ["--source", databases["duckdb"], "--tables", MAPPING]),
        ("postgresql", ["--source", databases["postgresql"], "--tables", MAPPING]),
    ):
        path = home / f"scores-{kind}.csv"
        code = main(["-q", "score", *args, "--model", "models:/lead-propensity@champion", "--out", str(path), "--tracking-uri", uri])
        assert code == 0, kind
        out[kind] = pl.read_csv(path)
    assert out["csv"].height > 100
    assert out["duckdb"].equals(out["csv"])
    assert out["postgresql"].equals(out["csv"])


def test_source_and_data_dir_together_is_a_usage_error(small_crm: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", str(small_crm), "--source", "duckdb:///crm.duckdb"])
    assert code == 2
    assert "give DATA_DIR or --source, not both" in capsys.readouterr().err
