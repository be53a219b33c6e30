"""Shared fixtures: a tiny hand-built CRM export (a comment per contact) and a small generated one."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any, NoReturn

import polars as pl
import pytest

from propensity.io._export import CrmExport, validate_export

# The cutoff most tests look at.
T = "2025-04-01T00:00:00Z"

# .ci/run sets CI: there a test whose browser or database is missing fails instead of skipping.
IN_CI = bool(os.environ.get("CI"))


def unavailable(reason: str) -> NoReturn:
    """Skip a test that needs a tool this machine lacks; under CI, fail it (CI must not pass without it)."""
    if IN_CI:
        pytest.fail(f"{reason}; CI is set, so this fails instead of skipping", pytrace=False)
    pytest.skip(reason)


def _shuffled(rows: list[dict[str, str]], seed: int) -> list[dict[str, str]]:
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    return rows


def tiny_tables() -> dict[str, pl.DataFrame]:
    """Raw (all-string) tables of the tiny export; rows shuffled to prove order does not matter."""
    contacts = [
        # C1: VP at A1, two pricing views just before the cutoff, an open 45 days before, a visit after it.
        {"contact_id": "C1", "account_id": "A1", "created_at": "2025-01-01", "email": "c1@example.com", "job_title": "VP of Marketing", "lead_source": "web"},
        # C2: director at A1, an open half a day before the cutoff and a demo request 22 days before.
        {"contact_id": "C2", "account_id": "A1", "created_at": "2025-02-01", "email": "c2@example.com", "job_title": "Sr. Director, IT", "lead_source": "event"},
        # C3: no account, no events at all.
        {"contact_id": "C3", "account_id": "", "created_at": "2025-03-01", "email": "", "job_title": "Student", "lead_source": "web"},
        # C4: at A1 but created after the cutoff: not a lead yet at T.
        {"contact_id": "C4", "account_id": "A1", "created_at": "2025-05-01", "email": "c4@example.com", "job_title": "Analyst", "lead_source": "referral"},
        # C5: converted (opportunity) before the cutoff: no longer a lead at T.
        {"contact_id": "C5", "account_id": "A2", "created_at": "2025-01-15", "email": "c5@example.com", "job_title": "CMO", "lead_source": "partner"},
    ]
    accounts = [
        {"account_id": "A1", "name": "Acme Corp", "industry": "Software", "employee_count": "1200", "annual_revenue": "250000000", "country": "US"},
        {"account_id": "A2", "name": "Globex", "industry": "Retail", "employee_count": "80", "annual_revenue": "9000000", "country": "DE"},
    ]
    events = [
        {"contact_id": "C1", "occurred_at": "2025-03-28T10:00:00Z", "event_type": "pricing_page_view"},
        {"contact_id": "C1", "occurred_at": "2025-03-30T00:00:00Z", "event_type": "pricing_page_view"},
        {"contact_id": "C1", "occurred_at": "2025-02-15T00:00:00Z", "event_type": "email_open"},
        {"contact_id": "C1", "occurred_at": "2025-04-05T09:00:00Z", "event_type": "web_visit"},  # after T
        {"contact_id": "C2", "occurred_at": "2025-03-31T12:00:00Z", "event_type": "email_open"},
        {"contact_id": "C2", "occurred_at": "2025-03-10T00:00:00Z", "event_type": "demo_request"},
        {"contact_id": "C5", "occurred_at": "2025-02-01T00:00:00Z", "event_type": "web_visit"},
    ]
    outcomes = [
        {"contact_id": "C1", "occurred_at": "2025-05-15T00:00:00Z", "outcome": "opportunity"},  # inside (T, T+90d]
        {"contact_id": "C2", "occurred_at": "2025-04-10T00:00:00Z", "outcome": "mql"},  # not a positive outcome
        {"contact_id": "C3", "occurred_at": "2025-07-15T00:00:00Z", "outcome": "opportunity"},  # 105 days after T
        {"contact_id": "C5", "occurred_at": "2025-03-15T00:00:00Z", "outcome": "opportunity"},  # before T
    ]
    return {
        "contacts": pl.DataFrame(_shuffled(contacts, 1)),
        "accounts": pl.DataFrame(_shuffled(accounts, 2)),
        "events": pl.DataFrame(_shuffled(events, 3)),
        "outcomes": pl.DataFrame(_shuffled(outcomes, 4)),
    }


def make_export(tables: dict[str, pl.DataFrame | None]) -> CrmExport:
    names = {k: f"{k}.csv" for k in ("contacts", "accounts", "events", "outcomes")}
    return validate_export(tables, names=names, source="tiny", fingerprint="tiny")


@pytest.fixture
def tiny_export() -> CrmExport:
    return make_export(tiny_tables())


@pytest.fixture(scope="session")
def small_crm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated export (CSV), shared by the end-to-end tests."""
    from propensity.synthetic._generate import generate_crm

    out = tmp_path_factory.mktemp("crm") / "export"
    generate_crm(out, n_contacts=3000, seed=7, fmt="csv")
    return out


@pytest.fixture(scope="session")
def generated_crm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 generated contacts (Parquet, seed 4), generated once: tests that only read it share it."""
    from propensity.synthetic._generate import generate_crm

    out = tmp_path_factory.mktemp("generated") / "crm"
    generate_crm(out, n_contacts=2000, seed=4, fmt="parquet")
    return out


@pytest.fixture(scope="session")
def trained(generated_crm: Path) -> dict[str, Any]:
    """`generated_crm` read and trained once, without a tracking store and without a search (the
    tests that share it look at drift and score history, not at model selection)."""
    from propensity._config import Config, SearchConfig
    from propensity.io._sources import read_export
    from propensity.training._train import train

    export = read_export(generated_crm, require_outcomes=True)
    result = train(export, Config(search=SearchConfig(trials=0)), tracking_uri=None)
    return {"crm": generated_crm, "export": export, "result": result, "model": result.model}


# PII canaries planted in every contact of `report_store`'s export: they must never reach a report.
CANARY_EMAIL = "canary.pii.7f3a@example.org"
CANARY_NAME = "Zanzibarina"


@pytest.fixture(scope="session")
def report_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    """A generated export (2,000 contacts, PII canaries in every contact), trained with
    `propensity train` into a real SQLite MLflow store and scored with `propensity score`."""
    from propensity.cli import main
    from propensity.synthetic._generate import generate_crm

    root = tmp_path_factory.mktemp("report")
    crm = root / "crm"
    generate_crm(crm, n_contacts=2000, seed=1, fmt="csv")
    contacts = pl.read_csv(crm / "contacts.csv", infer_schema_length=0)
    contacts.with_columns(
        pl.lit(CANARY_EMAIL).alias("email"), pl.lit(CANARY_NAME).alias("first_name"), pl.lit(CANARY_NAME).alias("last_name")
    ).write_csv(crm / "contacts.csv")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    assert main(["-q", "train", str(crm), "--tracking-uri", uri]) == 0
    scores = root / "scores.csv"
    assert main(["-q", "score", str(crm), "--model", "models:/lead-propensity@champion", "--out", str(scores), "--tracking-uri", uri]) == 0
    return {"crm": crm, "uri": uri, "scores": scores, "root": root}
