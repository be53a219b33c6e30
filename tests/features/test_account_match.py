"""Lead-to-account matching: contacts without account_id matched by email domain, then company name;
free-mail domains never match; only the email's domain is kept, never its local part."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from propensity.features._account_match import (
    email_domains,
    free_mail_domains,
    normalise_company,
    normalise_domain,
)
from tests.conftest import make_export

T = "2025-01-01"


def _tables() -> dict[str, pl.DataFrame]:
    contacts = [
        # M1: no account, works at acme.com: matched to A1 (website https://www.Acme.com/about) by domain.
        {"contact_id": "M1", "account_id": "", "created_at": T, "email": "bob.smith@ACME.com ", "company": ""},
        # M2: no account, a gmail address, company "ACME Inc.": never by domain, but A1 by company name.
        {"contact_id": "M2", "account_id": "", "created_at": T, "email": "ann.lee@gmail.com", "company": "ACME Inc."},
        # M3: no account, a subdomain of a free-mail provider, which an account (A4) claims as its domain: no match.
        {"contact_id": "M3", "account_id": "", "created_at": T, "email": "x.y@mail.yahoo.com", "company": ""},
        # M4: account A2 given in the CRM, email at acme.com: keeps A2.
        {"contact_id": "M4", "account_id": "A2", "created_at": T, "email": "c.d@acme.com", "company": ""},
        # M5: no account, shared.io is the domain of two accounts (A2 and A3): no guess.
        {"contact_id": "M5", "account_id": "", "created_at": T, "email": "e.f@shared.io", "company": ""},
        # M6: no account, company "Globex Corporation", account A3 is "Globex, Inc.": by company name.
        {"contact_id": "M6", "account_id": "", "created_at": T, "email": "not an email", "company": "Globex Corporation"},
        # M7: no account, nothing to match with.
        {"contact_id": "M7", "account_id": "", "created_at": T, "email": "", "company": ""},
    ]
    accounts = [
        {"account_id": "A1", "name": "Acme", "website": "https://www.Acme.com/about", "domain": ""},
        {"account_id": "A2", "name": "Initech", "website": "", "domain": "shared.io"},
        {"account_id": "A3", "name": "Globex, Inc.", "website": "http://shared.io", "domain": ""},
        {"account_id": "A4", "name": "Yahoo Mail Fans", "website": "", "domain": "mail.yahoo.com"},
    ]
    events = pl.DataFrame(schema={"contact_id": pl.String, "occurred_at": pl.String, "event_type": pl.String})
    return {"contacts": pl.DataFrame(contacts), "accounts": pl.DataFrame(accounts), "events": events}


def test_contacts_without_account_are_matched_by_domain_then_company_name_and_free_mail_never_by_domain() -> None:
    export = make_export(_tables())
    got = export.contacts.join(export.matching, on="contact_id").sort("contact_id")
    assert got.select("contact_id", "account_id", "account_match").rows() == [
        ("M1", "A1", "domain"),
        ("M2", "A1", "company name"),
        ("M3", None, "none"),
        ("M4", "A2", "crm"),
        ("M5", None, "none"),
        ("M6", "A3", "company name"),
        ("M7", None, "none"),
    ]
    assert got["email_domain"].to_list() == ["acme.com", None, None, "acme.com", "shared.io", None, None]
    m = export.report.account_matches
    assert (m.by_domain, m.by_company, m.unmatched) == (1, 2, 3)
    # matching columns are identifiers, never firmographics
    assert "website" not in export.accounts.columns and "domain" not in export.accounts.columns


def test_the_read_line_counts_the_matches() -> None:
    from propensity.io._read_line import read_line

    line = read_line(make_export(_tables()))
    assert line.endswith("; 6 contacts without account_id: 1 matched by email domain, 2 by company name, 3 unmatched")


def test_only_the_domain_of_an_email_is_kept_and_never_a_free_mail_one() -> None:
    emails = pl.Series(["Jo.Doe@Example.COM", "a@gmail.com", "b@eu.mail.yahoo.com", "c@yahoo.co.uk", "no-at-sign", "two@@x.com", None])
    assert email_domains(emails).to_list() == ["example.com", None, None, None, None, None, None]
    assert {"gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com"} <= free_mail_domains()
    export = make_export(_tables())
    for frame in (export.contacts, export.accounts, export.matching):
        for column in frame.columns:
            if frame[column].dtype == pl.String:
                assert not frame[column].str.contains("bob|ann.lee|x.y@|@").any(), column


def test_domains_and_company_names_are_normalised() -> None:
    assert normalise_domain(pl.Series(["https://www.Acme.com/about?x=1", "acme.com.", "WWW2.acme.co.uk:443", "not a site", None])).to_list() == [
        "acme.com", "acme.com", "acme.co.uk", None, None]
    assert normalise_company(pl.Series(["ACME Corp., Inc.", "Smith & Sons GmbH", "The Group", None])).to_list() == [
        "acme", "smith and sons", None, None]


@pytest.fixture(scope="module")
def blanked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A generated export (1,500 contacts) whose accounts get a website (their contacts' commonest
    work domain) and whose contacts with an account lose every other account_id."""
    from propensity.synthetic._generate import generate_crm

    crm = tmp_path_factory.mktemp("match") / "crm"
    generate_crm(crm, n_contacts=1500, seed=3, fmt="csv")
    contacts = pl.read_csv(crm / "contacts.csv", infer_schema=False)
    accounts = pl.read_csv(crm / "accounts.csv", infer_schema=False)
    domain_of = contacts.select("account_id", pl.col("email").str.extract(r"@(.+)$", 1).alias("d")).drop_nulls()
    free = free_mail_domains()
    commonest: dict[str, str] = {}
    for account, rows in domain_of.filter(~pl.col("d").is_in(list(free))).group_by("account_id"):
        commonest[str(account[0])] = Counter(rows["d"].to_list()).most_common(1)[0][0]
    accounts = accounts.with_columns(pl.col("account_id").replace_strict(commonest, default=None).map_elements(lambda d: f"https://www.{d}/", return_dtype=pl.String).alias("website"))
    accounts.write_csv(crm / "accounts.csv")
    with_account = contacts.filter(pl.col("account_id").is_not_null())["contact_id"]
    blank = set(with_account.to_list()[::2])
    contacts.with_columns(pl.when(pl.col("contact_id").is_in(list(blank))).then(None).otherwise(pl.col("account_id")).alias("account_id")).write_csv(crm / "contacts.csv")
    return {"crm": crm, "original": contacts.select("contact_id", "account_id", "email"), "blank": blank, "websites": commonest}


def test_matching_restores_the_account_ids_that_were_blanked(blanked: dict[str, object]) -> None:
    from propensity.io._sources import read_export

    export = read_export(blanked["crm"])  # type: ignore[arg-type]
    got = export.contacts.join(export.matching, on="contact_id").join(
        blanked["original"].rename({"account_id": "truth"}), on="contact_id"  # type: ignore[union-attr]
    )
    websites: dict[str, str] = blanked["websites"]  # type: ignore[assignment]
    shared = {d for d, n in Counter(websites.values()).items() if n > 1}
    by_domain = got.filter(pl.col("contact_id").is_in(list(blanked["blank"])) & (pl.col("account_match") == "domain"))  # type: ignore[arg-type]
    # every blanked contact whose work email is at a domain exactly one account holds got its account back
    expected = got.filter(
        pl.col("contact_id").is_in(list(blanked["blank"]))  # type: ignore[arg-type]
        & pl.col("email").str.extract(r"@(.+)$", 1).is_in([d for d in websites.values() if d not in shared])
    )
    assert expected.height > 200
    assert (expected["account_id"] == expected["truth"]).all()
    assert set(by_domain["contact_id"]) == set(expected["contact_id"])
    # no free-mail contact is ever matched (the export has no company column to match by name)
    free = got.filter(pl.col("email").str.extract(r"@(.+)$", 1).is_in(list(free_mail_domains())) & pl.col("truth").is_null())
    assert free.height > 10 and (free["account_match"] == "none").all() and free["account_id"].is_null().all()
    assert free["email_domain"].is_null().all()
    m = export.report.account_matches
    assert m.by_domain == by_domain.height and m.by_company == 0


def test_the_scores_file_says_how_each_account_was_found(blanked: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from propensity.cli import main

    out = tmp_path / "scores.csv"
    assert main(["score", str(blanked["crm"]), "--points", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "matched by email domain" in printed
    scores = pl.read_csv(out, infer_schema=False)
    assert scores.columns[-1] == "account_match"
    assert set(scores["account_match"]) <= {"crm", "domain", "company name", "none"}
    domain = scores.filter(pl.col("account_match") == "domain")
    truth = blanked["original"].rename({"account_id": "truth"})  # type: ignore[union-attr]
    joined = domain.join(truth, on="contact_id")
    assert joined.height and (joined["account_id"] == joined["truth"]).all()
    assert not any("@" in str(v) for col in scores.columns for v in scores[col].to_list() if v is not None)
