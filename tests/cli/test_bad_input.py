"""Bad input, command by command: one clear line on stderr (file, column, an example value), exit
code 2, no traceback, nothing written. And the input that is odd but valid: rows of unknown
contacts (counted), unknown event types (one warning), mixed-zone timestamps (converted), a contact
without created_at at scoring (a reject, not a failure): every open lead is scored or rejected.

The matrix runs each data case through every command that reads an export (`train`, `score`, `explain`, `retrain`, `check`) on
the tiny hand-built export of conftest written as CSV; it fails while reading, before any model
or store is touched. The cases that need a model use the session's canary store (see test_pii).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from propensity.cli import main
from propensity.scoring._batch import REJECT_NO_CREATED_AT, SCORE_COLUMNS
from propensity.scoring._views import VIEW_COLUMNS
from tests.conftest import tiny_tables
from tests.test_pii import MODEL, CanaryStore, canary_store

TABLES = ("contacts", "accounts", "events", "outcomes")


# ----------------------------------------------------------------------------- helpers
def write_tiny(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tiny_tables().items():
        frame.write_csv(folder / f"{name}.csv")
    return folder


def edit(table: str, change: Callable[[pl.DataFrame], pl.DataFrame]) -> Callable[[Path], None]:
    """A mutation: read `table`.csv as text, change it, write it back."""

    def mutate(folder: Path) -> None:
        file = folder / f"{table}.csv"
        change(pl.read_csv(file, infer_schema=False)).write_csv(file)

    return mutate


def set_value(table: str, column: str, value: str, row: int = 0) -> Callable[[Path], None]:
    def change(frame: pl.DataFrame) -> pl.DataFrame:
        values = frame[column].to_list()
        values[row] = value
        return frame.with_columns(pl.Series(column, values, dtype=pl.String))

    return edit(table, change)


def rename(table: str, old: str, new: str) -> Callable[[Path], None]:
    return edit(table, lambda f: f.rename({old: new}))


def remove(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).unlink()


def write_bytes(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_bytes(data)


def append_bytes(name: str, data: bytes) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        with open(folder / name, "ab") as handle:
            handle.write(data)

    return mutate


def to_parquet(table: str, change: Callable[[pl.DataFrame], pl.DataFrame] = lambda f: f) -> Callable[[Path], None]:
    """Replace `table`.csv by `table`.parquet (after `change`)."""

    def mutate(folder: Path) -> None:
        csv = folder / f"{table}.csv"
        change(pl.read_csv(csv, infer_schema=False)).write_parquet(folder / f"{table}.parquet")
        csv.unlink()

    return mutate


def replace_folder_with_file(folder: Path) -> None:
    shutil.rmtree(folder)
    folder.write_text("contacts and events, but in one file\n", encoding="utf-8")


LONG_ID = "C" + "9" * 300


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Path], None]
    match: str  # regex on the one error line, after "propensity: error: "
    commands: tuple[str, ...] = ("train", "score", "explain", "retrain", "check")


DATA_CASES = [
    Case("missing-folder", lambda f: shutil.rmtree(f), r"^no such folder: .*crm$"),
    Case("a-file-not-a-folder", replace_folder_with_file, r"^not a folder: .*crm \(give the folder holding contacts\.csv"),
    Case("no-contacts-table", remove("contacts.csv"), r"crm: no contacts table \(expected contacts\.csv or contacts\.parquet\)"),
    Case("no-events-table", remove("events.csv"), r"crm: no events table \(expected events\.csv or events\.parquet; it may be empty, but it must exist\)"),
    Case("no-outcomes-table-to-train", remove("outcomes.csv"), r"crm: no outcomes table \(expected outcomes\.csv", ("train", "check")),
    Case("ambiguous-table", lambda f: pl.read_csv(f / "contacts.csv").write_parquet(f / "contacts.parquet"),
         r"crm: ambiguous contacts table: both contacts\.csv and contacts\.parquet"),
    Case("missing-column-contact-id", rename("contacts", "contact_id", "id"),
         r"^contacts\.csv: column 'contact_id': required column not found \(columns found: id, "),
    Case("missing-column-created-at", rename("contacts", "created_at", "signup"),
         r"^contacts\.csv: column 'created_at': required column not found \(columns found: .*signup"),
    Case("missing-column-occurred-at", rename("events", "occurred_at", "timestamp"),
         r"^events\.csv: column 'occurred_at': required column not found \(columns found: "),
    Case("missing-column-event-type", rename("events", "event_type", "kind"),
         r"^events\.csv: column 'event_type': required column not found"),
    Case("missing-column-outcome", rename("outcomes", "outcome", "stage"),
         r"^outcomes\.csv: column 'outcome': required column not found \(columns found: .*stage"),
    Case("missing-column-account-id", rename("accounts", "account_id", "company"),
         r"^accounts\.csv: column 'account_id': required column not found"),
    Case("wrong-type-number", set_value("accounts", "employee_count", "lots"),
         r"^accounts\.csv: column 'employee_count': not a number \(example: 'lots'\)"),
    Case("wrong-type-parquet-list", to_parquet("contacts", lambda f: f.with_columns(pl.col("contact_id").map_elements(lambda v: [v], return_dtype=pl.List(pl.String)))),
         r"^contacts\.parquet: column 'contact_id': unsupported type List\(String\) \(expected text or a number\) \(example: \"\['C\d'\]\"\)$"),
    Case("unparseable-timestamp", set_value("events", "occurred_at", "yesterday", 2),
         r"^events\.csv: column 'occurred_at': unparseable timestamp \(example: 'yesterday'\)"),
    Case("unparseable-created-at", set_value("contacts", "created_at", "31/12/2024", 1),
         r"^contacts\.csv: column 'created_at': unparseable timestamp \(example: '31/12/2024'\)"),
    Case("unknown-zone-name", set_value("outcomes", "occurred_at", "2025-05-15T00:00:00 PST", 0),
         r"^outcomes\.csv: column 'occurred_at': unparseable timestamp \(example: '2025-05-15T00:00:00 PST'\)"),
    Case("missing-timestamp", set_value("events", "occurred_at", "", 3),
         r"^events\.csv: column 'occurred_at': missing timestamp in row 4$"),
    Case("missing-created-at-to-train", set_value("contacts", "created_at", "", 1),
         r"^contacts\.csv: column 'created_at': missing timestamp in row 2$", ("train", "check")),
    Case("empty-contacts-table", edit("contacts", lambda f: f.head(0)), r"^contacts\.csv: the contacts table has no rows$"),
    Case("empty-file", write_bytes("events.csv", b""), r"^events\.csv: the file is empty \(no header row\)$"),
    Case("duplicate-contact-id", edit("contacts", lambda f: pl.concat([f, f.filter(pl.col("contact_id") == "C2")])),
         r"^contacts\.csv: column 'contact_id': duplicate id \(example: 'C2'\)$"),
    Case("duplicate-account-id", edit("accounts", lambda f: pl.concat([f, f.filter(pl.col("account_id") == "A1")])),
         r"^accounts\.csv: column 'account_id': duplicate id \(example: 'A1'\)$"),
    Case("empty-contact-id", set_value("contacts", "contact_id", "  ", 2), r"^contacts\.csv: column 'contact_id': empty id in row 3$"),
    Case("empty-event-type", set_value("events", "event_type", "", 1), r"^events\.csv: column 'event_type': empty value in row 2$"),
    Case("nan-number", set_value("accounts", "employee_count", "NaN"), r"^accounts\.csv: column 'employee_count': must be >= 0 \(example: 'NaN'\)$"),
    Case("negative-number", set_value("accounts", "annual_revenue", "-5000", 1), r"^accounts\.csv: column 'annual_revenue': must be >= 0 \(example: '-5000'\)$"),
    Case("infinite-number", set_value("accounts", "employee_count", "inf"), r"^accounts\.csv: column 'employee_count': must be a finite number \(example: 'inf'\)$"),
    Case("non-utf8-bytes", append_bytes("contacts.csv", "C9,A1,2025-01-05,,Directeur Général,web\n".encode("cp1252")),
         r"^contacts\.csv: not valid UTF-8 at byte \d+ \(line 7\); save it as UTF-8$"),
    Case("non-utf8-events", append_bytes("events.csv", "C1,2025-03-01T00:00:00Z,t\xe9l\xe9chargement\n".encode("latin-1")),
         r"^events\.csv: not valid UTF-8 at byte \d+ \(line 9\); save it as UTF-8$"),
    Case("ragged-row", append_bytes("events.csv", b"C1,2025-03-01T00:00:00Z,web_visit,extra\n"),
         r"^events\.csv: line 9 has 4 fields but the header has 3$"),
    Case("very-long-id", set_value("contacts", "contact_id", LONG_ID, 0),
         r"^contacts\.csv: column 'contact_id': id longer than 256 characters \(example: 'C9999+\.\.\.'\)$"),
    Case("repeated-header", write_bytes("accounts.csv", b"account_id,industry,industry\nA1,Software,Retail\n"),
         r"^accounts\.csv: column 'industry': two columns have this name"),
    Case("header-differs-only-in-case", edit("contacts", lambda f: f.with_columns(pl.col("contact_id").alias("Contact ID"))),
         r"^contacts\.csv: column 'contact_id': two columns have this name once case and spaces are ignored \(example: 'Contact ID'\)$"),
    Case("broken-parquet", lambda f: ((f / "events.csv").unlink(), (f / "events.parquet").write_bytes(b"PAR1 this is not parquet"))[0],
         r"^events\.parquet: not a readable Parquet file"),
]


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("propensity: error: ")
    return lines[0][len("propensity: error: ") :]


def _outputs(tmp_path: Path) -> list[Path]:
    """Everything a command may have written: under out/ (scores, rejects) and the store."""
    return sorted(p for p in (tmp_path / "out").rglob("*")) + sorted((tmp_path / "store").rglob("*"))


def _argv(command: str, crm: Path, tmp_path: Path, *extra: str) -> list[str]:
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    if command in ("train", "retrain"):
        return [command, str(crm), "--tracking-uri", uri, *extra]
    if command == "check":
        return ["check", str(crm), *extra]
    if command == "explain":
        return ["explain", str(crm), "--model", MODEL, "--contact", "C1", "--tracking-uri", uri, *extra]
    return ["score", str(crm), "--model", MODEL, "--out", str(tmp_path / "out" / "scores.csv"), "--tracking-uri", uri, *extra]


@pytest.mark.parametrize(
    ("command", "case"),
    [pytest.param(cmd, case, id=f"{cmd}-{case.id}") for case in DATA_CASES for cmd in case.commands],
)
def test_bad_export_is_one_line_exit_2_and_writes_nothing(command: str, case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    crm = write_tiny(tmp_path / "crm")
    (tmp_path / "out").mkdir()
    (tmp_path / "store").mkdir()
    case.mutate(crm)
    assert main(_argv(command, crm, tmp_path)) == 2
    captured = capsys.readouterr()
    assert re.search(case.match, _one_error_line(captured.err)), captured.err
    assert captured.out == ""
    assert _outputs(tmp_path) == []


USAGE_CASES = [
    pytest.param(["score", "{crm}", "--model", MODEL, "--out", "{out}/scores.txt"], r"^.*scores\.txt: output must end in \.csv or \.parquet$", id="score-output-suffix"),
    pytest.param(["score", "{crm}", "--model", MODEL, "--out", "{out}/s.csv", "--as-of", "next tuesday"], r"^--as-of: not an ISO date or timestamp: 'next tuesday'$", id="score-as-of-not-a-date"),
    pytest.param(["score", "{crm}", "--model", MODEL, "--out", "{out}/s.csv", "--as-of", "1999-12-31"],
                 r"^--as-of 1999-12-31 00:00 is before the first contact was created \(2025-01-01 00:00\): no lead to score$", id="score-as-of-before-the-data"),
    pytest.param(["score", "{crm}", "--model", MODEL, "--out", "{out}/s.csv", "--chunk-size", "0"], r"^--chunk-size must be at least 1, got 0$", id="score-chunk-size-0"),
    pytest.param(["train", "{crm}", "--config", "{out}/missing.toml"], r"missing\.toml: config file not found$", id="train-config-missing"),
    pytest.param(["train", "{crm}", "--config", "{out}/broken.toml"], r"broken\.toml: not valid TOML", id="train-config-not-toml"),
    pytest.param(
        ["train", "{crm}", "--config", "{out}/unknown.toml"], r"unknown\.toml: \[label\]: unknown setting 'horizon_weeks'", id="train-config-unknown-setting",
    ),
    pytest.param(["check", "{crm}", "--config", "{out}/missing.toml"], r"missing\.toml: config file not found$", id="check-config-missing"),
    pytest.param(["train", "{crm}", "--config", "{out}/float-horizon.toml"], r"float-horizon\.toml: label\.horizon_days must be a whole number, got 90\.5$",
                 id="train-config-float-horizon"),
    pytest.param(["train", "{crm}", "--config", "{out}/number-outcomes.toml"], r"number-outcomes\.toml: label\.positive_outcomes\[0\] must be text, got 1$",
                 id="train-config-outcomes-not-text"),
    pytest.param(["train", "{crm}", "--config", "{out}/text-window.toml"], r"text-window\.toml: points\.window_days must be a whole number, got 'abc'$",
                 id="train-config-window-not-a-number"),
    pytest.param(["check", "{crm}", "--config", "{out}/text-windows.toml"], r"text-windows\.toml: features\.windows_days\[0\] must be a whole number, got '7'$",
                 id="check-config-windows-as-text"),
    pytest.param(["train", "{crm}", "--config", "{out}/negative-count.toml"], r"negative-count\.toml: preflight\.min_positives must be >= 0, got -5$",
                 id="train-config-negative-count"),
    pytest.param(["train", "{crm}", "--config", "{out}/out-of-range.toml"], r"out-of-range\.toml: gate\.min_roc_auc must be between 0\.5 and 1, got 1\.5$",
                 id="train-config-out-of-range"),
    pytest.param(["train", "{crm}", "--config", "{out}/replaced.toml"], r"replaced\.toml: \[split\]: 'valid_cutoffs' is no longer a setting: use split\.backtest_folds",
                 id="train-config-replaced-setting"),
    pytest.param(
        ["train", "{crm}", "--config", "{out}/typo.toml"],
        r"^positive outcome 'Oportunity' does not occur in outcomes; did you mean 'opportunity' \(3 rows\)\? "
        r"Fix \[label\] positive_outcomes in the training config$",
        id="train-positive-outcome-mistyped",
    ),
    pytest.param(["generate", "{crm}", "--contacts", "100", "--format", "csv"], r"already holds an export \('contacts\.csv'", id="generate-over-an-export"),
    pytest.param(["generate", "{out}/new", "--contacts", "3"], r"n_contacts must be between 10 and 5000000, got 3$", id="generate-too-few-contacts"),
]


# the training configs the cases above name, written into {out}
CONFIGS = {
    "broken.toml": "[label\nhorizon_days = 90\n",
    "unknown.toml": "[label]\nhorizon_weeks = 12\n",
    "typo.toml": '[label]\npositive_outcomes = ["Oportunity"]\n',
    "float-horizon.toml": "[label]\nhorizon_days = 90.5\n",
    "number-outcomes.toml": "[label]\npositive_outcomes = [1, 2]\n",
    "text-window.toml": '[points]\nwindow_days = "abc"\n',
    "text-windows.toml": '[features]\nwindows_days = ["7", 30]\n',
    "negative-count.toml": "[preflight]\nmin_positives = -5\n",
    "out-of-range.toml": "[gate]\nmin_roc_auc = 1.5\n",
    "replaced.toml": "[split]\nvalid_cutoffs = 2\n",
}


@pytest.mark.parametrize(("argv", "match"), USAGE_CASES)
def test_bad_option_is_one_line_exit_2_and_writes_nothing(argv: list[str], match: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    crm = write_tiny(tmp_path / "crm")
    out = tmp_path / "out"
    out.mkdir()
    for name, text in CONFIGS.items():
        (out / name).write_text(text, encoding="utf-8")
    before = sorted(p.name for p in out.iterdir()) + sorted(p.name for p in crm.iterdir())
    argv = [a.format(crm=crm, out=out) for a in argv]
    if argv[0] in ("train", "score"):
        argv += ["--tracking-uri", f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert re.search(match, _one_error_line(captured.err)), captured.err
    assert sorted(p.name for p in out.iterdir()) + sorted(p.name for p in crm.iterdir()) == before
    assert not (tmp_path / "store").exists()


def test_unreachable_tracking_server_is_one_line_without_credentials(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    crm = write_tiny(tmp_path / "crm")
    uri = f"http://alice:hunter2-secret@127.0.0.1:{port}"
    assert main(["train", str(crm), "--tracking-uri", uri]) == 2
    captured = capsys.readouterr()
    line = _one_error_line(captured.err)
    assert re.search(rf"^tracking server http://\*\*\*@127\.0\.0\.1:{port}: cannot reach the server", line), line
    assert "hunter2" not in captured.err + captured.out


def test_the_matrix_has_at_least_30_cases() -> None:
    data = sum(len(case.commands) for case in DATA_CASES)
    assert data + len(USAGE_CASES) >= 30
    assert len({case.id for case in DATA_CASES}) == len(DATA_CASES)


def test_mixed_zone_timestamps_are_converted_not_refused(tmp_path: Path) -> None:
    from propensity.io._sources import read_export

    crm = write_tiny(tmp_path / "crm")
    events = pl.read_csv(crm / "events.csv", infer_schema=False)
    # the same three instants, written in three zones and three styles
    zoned = {
        "2025-03-28T10:00:00Z": "2025-03-28T12:00:00+02:00",
        "2025-03-30T00:00:00Z": "2025-03-29 19:00:00-05:00",
        "2025-03-31T12:00:00Z": "2025-03-31T17:30:00+0530",
    }
    events.with_columns(pl.col("occurred_at").replace(zoned)).write_csv(crm / "events.csv")
    export = read_export(crm)
    times = set(export.events["occurred_at"].to_list())
    assert {datetime(2025, 3, 28, 10), datetime(2025, 3, 30), datetime(2025, 3, 31, 12)} <= times
    assert export.events["occurred_at"].dtype == pl.Datetime("us")


# --------------------------------------------------------- with a model (the canary store)
@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> CanaryStore:
    return canary_store(tmp_path_factory)


@pytest.fixture(scope="module")
def reference(store: CanaryStore, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """The scores of the unchanged export."""
    out = tmp_path_factory.mktemp("reference") / "scores.csv"
    assert main(["-q", "score", str(store.crm), "--model", MODEL, "--out", str(out), "--tracking-uri", store.uri]) == 0
    return pl.read_csv(out, infer_schema=False)


def _copy(store: CanaryStore, tmp_path: Path) -> Path:
    crm = tmp_path / "crm"
    shutil.copytree(store.crm, crm)
    return crm


def _score(store: CanaryStore, crm: Path, tmp_path: Path, *extra: str) -> tuple[int, Path]:
    out = tmp_path / "out" / "scores.csv"
    return main(["score", str(crm), "--model", MODEL, "--out", str(out), "--tracking-uri", store.uri, *extra]), out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "match"),
    [
        pytest.param(["--model", "models:/no-such-model@champion"], r"^model models:/no-such-model@champion: cannot be loaded \(.*no-such-model", id="unknown-model-name"),
        pytest.param(["--model", "models:/lead-propensity/99"], r"^model models:/lead-propensity/99: cannot be loaded", id="unknown-model-version"),
        pytest.param(["--model", "runs:/0123456789abcdef0123456789abcdef/model"], r"^model runs:/0123456789abcdef0123456789abcdef/model: cannot be loaded", id="unknown-run"),
    ],
)
def test_a_model_uri_that_does_not_exist_is_one_line_exit_2(store: CanaryStore, argv: list[str], match: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out" / "scores.csv"
    args = ["score", str(store.crm), "--out", str(out), "--tracking-uri", store.uri, *argv]
    assert main(args) == 2
    assert re.search(match, _one_error_line(capsys.readouterr().err))
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.mark.slow
def test_an_export_that_lacks_a_feature_of_the_model_is_one_line_exit_2(store: CanaryStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    crm = _copy(store, tmp_path)
    edit("contacts", lambda f: f.drop("region"))(crm)
    code, out = _score(store, crm, tmp_path)
    assert code == 2
    line = _one_error_line(capsys.readouterr().err)
    assert re.search(r"^contacts(\.csv)?: column 'region' is in the model's feature specification but not in the export", line), line
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.mark.slow
def test_rows_of_unknown_contacts_are_counted_and_reported_not_fatal(store: CanaryStore, reference: pl.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    crm = _copy(store, tmp_path)
    append_bytes("events.csv", b"GHOST1,2026-01-05T10:00:00Z,web_visit\nGHOST1,2026-01-06T10:00:00Z,form_fill\nGHOST2,2026-02-01T00:00:00Z,email_open\n")(crm)
    append_bytes("outcomes.csv", b"GHOST2,2026-03-01T00:00:00Z,opportunity\n")(crm)
    code, out = _score(store, crm, tmp_path)
    assert code == 0
    captured = capsys.readouterr()
    assert "; ignored rows of unknown contacts: 3 in events, 1 in outcomes" in captured.out
    assert "Traceback" not in captured.err
    assert pl.read_csv(out, infer_schema=False).equals(reference)


@pytest.mark.slow
def test_unknown_event_types_are_ignored_with_one_warning(store: CanaryStore, reference: pl.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    crm = _copy(store, tmp_path)
    rows = [f"{store.canary_id},2026-0{m}-0{d}T09:00:00Z,chat_message\n" for m in (3, 4) for d in (1, 2)]
    rows += [f"{store.canary_id},2026-05-01T09:00:00Z,podcast_listen\n"]
    append_bytes("events.csv", "".join(rows).encode())(crm)
    code, out = _score(store, crm, tmp_path)
    assert code == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "not trained on" in line]
    assert warnings == ["propensity: events: ignored 5 rows of 2 event types the model was not trained on: chat_message (4), podcast_listen (1)"]
    assert "Traceback" not in err
    assert pl.read_csv(out, infer_schema=False).equals(reference)


@pytest.mark.slow
def test_mixed_zone_timestamps_score_the_same_as_utc(store: CanaryStore, reference: pl.DataFrame, tmp_path: Path) -> None:
    crm = _copy(store, tmp_path)

    def rezone(frame: pl.DataFrame) -> pl.DataFrame:
        utc = pl.col("occurred_at").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC")
        shifted = (
            pl.when(pl.int_range(pl.len()) % 3 == 0)
            .then(utc.dt.convert_time_zone("Asia/Kolkata").dt.strftime("%Y-%m-%dT%H:%M:%S%:z"))
            .when(pl.int_range(pl.len()) % 3 == 1)
            .then(utc.dt.convert_time_zone("America/New_York").dt.strftime("%Y-%m-%d %H:%M:%S%z"))
            .otherwise(pl.col("occurred_at"))
        )
        return frame.with_columns(shifted.alias("occurred_at"))

    edit("events", rezone)(crm)
    assert "+05:30" in (crm / "events.csv").read_text(encoding="utf-8")[:2000]
    code, out = _score(store, crm, tmp_path)
    assert code == 0
    assert pl.read_csv(out, infer_schema=False).equals(reference)


@pytest.mark.slow
def test_every_open_lead_is_scored_or_rejected_with_its_reason(store: CanaryStore, reference: pl.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    crm = _copy(store, tmp_path)
    undated = reference["contact_id"].sort().head(3).to_list()
    edit("contacts", lambda f: f.with_columns(pl.when(pl.col("contact_id").is_in(undated)).then(pl.lit("")).otherwise(pl.col("created_at")).alias("created_at")))(crm)
    code, out = _score(store, crm, tmp_path)
    assert code == 0
    scores = pl.read_csv(out, infer_schema=False)
    rejects = pl.read_csv(out.with_name("scores.rejects.csv"), infer_schema=False)
    assert tuple(scores.columns) == SCORE_COLUMNS + VIEW_COLUMNS  # a model with the fit and engagement views
    assert rejects.columns == ["contact_id", "reason"]
    assert rejects.rows() == [(c, REJECT_NO_CREATED_AT) for c in undated]
    # nothing lost: the reference's open leads are exactly the scored plus the rejected
    assert sorted(scores["contact_id"].to_list() + rejects["contact_id"].to_list()) == sorted(reference["contact_id"].to_list())
    open_leads = reference.height
    assert scores.height + rejects.height == open_leads
    assert f"scored {open_leads - 3:,} of {open_leads:,} open leads (3 rejected -> {out.with_name('scores.rejects.csv')})" in capsys.readouterr().out


@pytest.mark.slow
def test_an_empty_rejects_file_is_written_so_a_stale_one_never_survives(store: CanaryStore, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    stale = tmp_path / "out" / "scores.rejects.csv"
    stale.write_text("contact_id,reason\nOLD,from yesterday\n", encoding="utf-8")
    code, _ = _score(store, store.crm, tmp_path)
    assert code == 0
    assert stale.read_text(encoding="utf-8") == "contact_id,reason\n"


@pytest.mark.slow
def test_a_lead_without_a_finite_score_is_rejected_not_written(store: CanaryStore) -> None:
    import dataclasses

    from propensity._model import PlattCalibration
    from propensity.io._sources import read_export
    from propensity.lifecycle._tracking import load_model, point_at
    from propensity.scoring._batch import REJECT_NOT_FINITE, score_leads

    point_at(store.uri)
    model = load_model(MODEL).model
    broken = dataclasses.replace(model, calibration=PlattCalibration(float("nan"), 0.0))
    export = read_export(store.crm)
    good = score_leads(export, model, model_version="1")
    bad = score_leads(export, broken, model_version="1")
    assert good.rejected == 0 and good.scored == good.open_leads > 1000
    assert bad.scored == 0 and bad.rejected == bad.open_leads == good.open_leads
    assert set(bad.rejects["reason"]) == {REJECT_NOT_FINITE}
    assert sorted(bad.rejects["contact_id"]) == sorted(good.scores["contact_id"])
