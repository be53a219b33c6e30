"""Contact PII never leaves the reader: a canary contact's email, names and phone appear in no
MLflow file (the SQLite store's bytes and every artifact), no score file and no log line.

`canary_store` (trained once per session, through the real `propensity` command) is also the
logged model that the pickle, kill and bad-input tests look at.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest

pytestmark = pytest.mark.slow

# The canary contact: values no code, config or generated name could hold by chance.
CANARY = {
    "email": "zq.canary.7731@pii-canary.example",
    "first_name": "Quillonzo",
    "last_name": "Vexmarrow",
    "phone": "+1 555 0137 2291",
}
# Searched as bytes: each value, and the distinctive parts a log might cut it to.
NEEDLES = [*CANARY.values(), "zq.canary", "pii-canary", "0137 2291", "quillonzo", "vexmarrow"]
MODEL = "models:/lead-propensity@champion"


@dataclass(frozen=True)
class CanaryStore:
    crm: Path  # the export: generated, 2,000 contacts, one of them the canary, plus a `region` attribute
    home: Path  # the MLflow store: mlflow.db and artifacts/
    uri: str
    logs: Path  # stdout and stderr of `propensity train`
    canary_id: str


def run_cli(args: list[str], log_stem: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`propensity ARGS` in a subprocess; stdout and stderr are kept in ``<log_stem>.out/.err``."""
    proc = subprocess.run(
        [sys.executable, "-m", "propensity.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if log_stem is not None:
        log_stem.with_suffix(".out").write_text(proc.stdout, encoding="utf-8")
        log_stem.with_suffix(".err").write_text(proc.stderr, encoding="utf-8")
    return proc


def canary_store(tmp_path_factory: pytest.TempPathFactory) -> CanaryStore:
    """Generate, plant the canary, train and register once per test session (about 15 s)."""
    root = tmp_path_factory.getbasetemp() / "canary-store"
    home, crm, logs = root / "store", root / "crm", root / "logs"
    done = root / "done.json"
    if not done.exists():
        from propensity.synthetic._generate import generate_crm

        logs.mkdir(parents=True, exist_ok=True)
        generate_crm(crm, n_contacts=2000, seed=1, fmt="csv")
        canary_id = _plant_canary(crm)
        proc = run_cli(["train", str(crm), "--tracking-uri", f"sqlite:///{home / 'mlflow.db'}"], logs / "train")
        assert proc.returncode == 0, proc.stderr[-2000:]
        done.write_text(json.dumps({"canary_id": canary_id}), encoding="utf-8")
    canary_id = json.loads(done.read_text(encoding="utf-8"))["canary_id"]
    return CanaryStore(crm, home, f"sqlite:///{home / 'mlflow.db'}", logs, canary_id)


CANARY_WEBSITE = "https://www.pii-canary.example/"  # the canary's account, found only through the canary's email domain


def _plant_canary(crm: Path) -> str:
    """Give an early contact with an account and no outcome (so an open lead when scored) the canary's
    PII, blank its account_id and give its account the canary's domain as `website` (so only its email
    domain can match it back), and every contact a `region` attribute (a feature the bad-input tests
    remove again)."""
    contacts = pl.read_csv(crm / "contacts.csv", infer_schema=False)
    outcomes = pl.read_csv(crm / "outcomes.csv", infer_schema=False)
    candidates = contacts.filter(
        ~pl.col("contact_id").is_in(outcomes["contact_id"].implode()) & (pl.col("created_at") < "2025") & pl.col("account_id").is_not_null()
    )
    canary_id, account_id = candidates["contact_id"][0], candidates["account_id"][0]
    is_canary = pl.col("contact_id") == canary_id
    regions = ["EMEA", "NA", "APAC", "LATAM"]
    contacts = contacts.with_columns(
        *[pl.when(is_canary).then(pl.lit(value)).otherwise(pl.col(column)).alias(column) for column, value in CANARY.items()],
        pl.when(is_canary).then(None).otherwise(pl.col("account_id")).alias("account_id"),
        pl.Series("region", [regions[i % 4] for i in range(contacts.height)]),
    )
    contacts.write_csv(crm / "contacts.csv")
    accounts = pl.read_csv(crm / "accounts.csv", infer_schema=False)
    accounts.with_columns(pl.when(pl.col("account_id") == account_id).then(pl.lit(CANARY_WEBSITE)).otherwise(None).alias("website")).write_csv(
        crm / "accounts.csv"
    )
    return canary_id


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The canary store, plus a scoring run and an explain run whose outputs and logs we keep."""
    store = canary_store(tmp_path_factory)
    out = tmp_path_factory.mktemp("pii-out")
    scores = out / "scores.csv"
    proc = run_cli(["score", str(store.crm), "--model", MODEL, "--out", str(scores), "--tracking-uri", store.uri], out / "score")
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc = run_cli(["explain", "--model", MODEL, "--png", str(out / "drivers.png"), "--tracking-uri", store.uri], out / "explain")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {"store": store.home, "logs": store.logs, "out": out, "crm": store.crm, "canary_id": store.canary_id}


def _leaks(files: list[Path]) -> list[str]:
    found = []
    for file in files:
        data = file.read_bytes().lower()
        found += [f"{file}: {needle!r}" for needle in NEEDLES if needle.lower().encode() in data]
    return found


def test_the_canary_is_in_the_input_and_was_scored(canary) -> None:  # type: ignore[no-untyped-def]
    # the test is only worth something if the canary really went in and through
    assert _leaks([canary["crm"] / "contacts.csv"])
    scores = pl.read_csv(canary["out"] / "scores.csv")
    assert canary["canary_id"] in scores["contact_id"].to_list()


def test_no_canary_in_the_mlflow_store_db_or_any_artifact(canary) -> None:  # type: ignore[no-untyped-def]
    files = [f for f in canary["store"].rglob("*") if f.is_file()]
    assert canary["store"] / "mlflow.db" in files
    assert any(f.name == "booster.txt" for f in files) and any(f.name == "drivers.svg" for f in files)
    assert _leaks(files) == []


def test_no_canary_in_score_files_reports_or_logs(canary) -> None:  # type: ignore[no-untyped-def]
    files = [f for f in (*canary["out"].iterdir(), *canary["logs"].iterdir()) if f.is_file()]
    names = {f.name for f in files}
    assert {"scores.csv", "scores.rejects.csv", "drivers.png", "train.out", "train.err", "score.out", "score.err"} <= names
    # the logs are real: training printed its summary and scoring its counts
    assert "registered lead-propensity version 1" in (canary["logs"] / "train.out").read_text()
    assert "open leads" in (canary["out"] / "score.out").read_text()
    assert _leaks(files) == []


def test_pii_columns_are_named_as_dropped_but_their_values_never_shown(canary) -> None:  # type: ignore[no-untyped-def]
    out = (canary["out"] / "score.out").read_text()
    assert "personal-data columns dropped on read: contacts.email, contacts.first_name, contacts.last_name, contacts.phone" in out


def test_the_canary_is_matched_by_its_email_domain_and_its_local_part_is_nowhere(canary) -> None:  # type: ignore[no-untyped-def]
    from propensity.io._sources import read_export

    export = read_export(canary["crm"], created_at_required=False)
    accounts = pl.read_csv(canary["crm"] / "accounts.csv", infer_schema=False)
    account_id = accounts.filter(pl.col("website") == CANARY_WEBSITE)["account_id"].item()
    row = export.matching.filter(pl.col("contact_id") == canary["canary_id"])
    assert row.select("email_domain", "account_match").row(0) == ("pii-canary.example", "domain")
    assert export.contacts.filter(pl.col("contact_id") == canary["canary_id"])["account_id"].item() == account_id
    # the domain column holds domains only (no @), and no value anywhere read holds the local part
    assert not export.matching["email_domain"].str.contains("@", literal=True).any()
    for frame in (export.contacts, export.accounts, export.events, export.matching):
        for column in frame.columns:
            if frame[column].dtype == pl.String:
                assert not frame[column].str.contains("zq.canary", literal=True).any(), column
    scores = pl.read_csv(canary["out"] / "scores.csv", infer_schema=False)
    assert scores.filter(pl.col("contact_id") == canary["canary_id"]).select("account_id", "account_match").row(0) == (account_id, "domain")
