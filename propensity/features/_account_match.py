"""Lead-to-account matching: a contact without `account_id` is matched to an account by its email
domain (against the accounts' `domain` or `website`), then by its normalised company name (the
contacts' optional `company` against the accounts' `name`).

- Only the email's domain is ever kept (`email_domain`, derived on read before the email column is
  dropped), and never a free-mail provider's (the shipped `data/free_mail_domains.txt`, subdomains
  included): a gmail.com contact is never matched by domain.
- A domain or a company name that several accounts share matches none of them (no guess).
- `account_match` says how each contact's account_id was found: `crm` (given in the export),
  `domain`, `company name` or `none`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import polars as pl

__all__ = [
    "DERIVED_CONTACT_COLUMNS",
    "MATCH_COLUMNS",
    "AccountMatches",
    "email_domains",
    "free_mail_domains",
    "is_free_mail",
    "match_accounts",
    "normalise_company",
    "normalise_domain",
]

DERIVED_CONTACT_COLUMNS = ("email_domain", "account_match")
"""Columns the reader adds to contacts: never features."""
MATCH_COLUMNS = ("email_domain", "company", "account_match")
"""Contact columns used for matching (identifiers, not features)."""
ACCOUNT_MATCH_COLUMNS = ("domain", "website")
"""Account columns used for matching only (identifiers, not firmographic features)."""

_LEGAL_FORMS = frozenset(
    "inc incorporated llc llp lp ltd limited plc corp corporation co company gmbh ag kg sa sas sarl srl spa bv nv "
    "ab as asa oy oyj aps pty pte kk sl sae group holding holdings the".split()
)


@cache
def free_mail_domains() -> frozenset[str]:
    """The shipped list of free-mail providers' domains."""
    text = files("propensity").joinpath("data/free_mail_domains.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def is_free_mail(domain: str) -> bool:
    """A free-mail domain or a subdomain of one (mail.yahoo.com)."""
    known = free_mail_domains()
    parts = domain.split(".")
    return any(".".join(parts[i:]) in known for i in range(len(parts) - 1))


def email_domains(emails: pl.Series) -> pl.Series:
    """The domain of each email (lower case), null when blank, not an email or a free-mail provider.
    The local part (before the @) is never kept."""
    domain = emails.cast(pl.String).str.strip_chars().str.to_lowercase().str.extract(r"^[^@\s]+@([a-z0-9.-]+\.[a-z]{2,})\.?$", 1)
    distinct = [d for d in domain.unique().to_list() if d is not None]
    free = [d for d in distinct if is_free_mail(d)]
    return pl.select(pl.when(domain.is_in(free)).then(None).otherwise(domain)).to_series().rename("email_domain")


def normalise_domain(values: pl.Series) -> pl.Series:
    """'https://www.Acme.com/about' -> 'acme.com'; null when nothing like a domain is left."""
    text = values.cast(pl.String).str.strip_chars().str.to_lowercase()
    text = text.str.replace(r"^[a-z][a-z0-9+.-]*://", "").str.replace(r"^www\d*\.", "").str.replace(r"[/:?#].*$", "").str.strip_chars(".")
    return pl.select(pl.when(text.str.contains(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")).then(text).otherwise(None)).to_series()


def normalise_company(values: pl.Series) -> pl.Series:
    """'ACME Corp., Inc.' and 'Acme' -> 'acme': lower case, '&' as 'and', punctuation and legal forms
    (Inc, Ltd, GmbH, ...) dropped; null when nothing is left."""
    out = []
    for v in values.cast(pl.String).to_list():
        if v is None:
            out.append(None)
            continue
        words = re.sub(r"[^\w\s]", " ", v.lower().replace("&", " and ")).split()
        kept = [w for w in words if w not in _LEGAL_FORMS]
        out.append(" ".join(kept) or None)
    return pl.Series(values.name, out, dtype=pl.String)


@dataclass(frozen=True)
class AccountMatches:
    """How many contacts without an account_id were matched, and how."""

    by_domain: int = 0
    by_company: int = 0
    unmatched: int = 0

    def describe(self) -> str:
        missing = self.by_domain + self.by_company + self.unmatched
        return (
            f"{missing:,} contacts without account_id: {self.by_domain:,} matched by email domain, "
            f"{self.by_company:,} by company name, {self.unmatched:,} unmatched"
        )


def _unique_index(keys: pl.Series, ids: pl.Series, key: str) -> pl.DataFrame:
    """key -> account_id where exactly one account has the key."""
    frame = pl.DataFrame({key: keys, "_account": ids}).drop_nulls(key).unique()
    return frame.filter(pl.col(key).is_unique())


def match_accounts(contacts: pl.DataFrame, accounts: pl.DataFrame | None) -> tuple[pl.DataFrame, AccountMatches]:
    """`contacts` with account_id filled where matched and `account_match` added, and the counts.

    `accounts` holds the accounts' raw columns (account_id and any of domain, website, name)."""
    has = pl.col("account_id").is_not_null()
    if accounts is None or accounts.height == 0:
        out = contacts.with_columns(pl.when(has).then(pl.lit("crm")).otherwise(pl.lit("none")).alias("account_match"))
        return out, AccountMatches(unmatched=int(contacts["account_id"].null_count()))
    ids = accounts["account_id"].cast(pl.String).str.strip_chars()
    by_domain = []
    for column in ACCOUNT_MATCH_COLUMNS:
        if column in accounts.columns:
            by_domain.append(pl.DataFrame({"_key": normalise_domain(accounts[column]), "_account": ids}))
    domains = (
        _unique_index(pl.concat(by_domain)["_key"], pl.concat(by_domain)["_account"], "_domain") if by_domain else pl.DataFrame(schema={"_domain": pl.String, "_account": pl.String})
    )
    names = (
        _unique_index(normalise_company(accounts["name"]), ids, "_company") if "name" in accounts.columns else pl.DataFrame(schema={"_company": pl.String, "_account": pl.String})
    )
    work = contacts.with_columns(
        (contacts["email_domain"] if "email_domain" in contacts.columns else pl.Series([None] * contacts.height, dtype=pl.String)).alias("_domain"),
        (normalise_company(contacts["company"]) if "company" in contacts.columns else pl.Series([None] * contacts.height, dtype=pl.String)).alias("_company"),
    )
    work = work.join(domains.rename({"_account": "_by_domain"}), on="_domain", how="left", maintain_order="left")
    work = work.join(names.rename({"_account": "_by_company"}), on="_company", how="left", maintain_order="left")
    how = (
        pl.when(has).then(pl.lit("crm"))
        .when(pl.col("_by_domain").is_not_null()).then(pl.lit("domain"))
        .when(pl.col("_by_company").is_not_null()).then(pl.lit("company name"))
        .otherwise(pl.lit("none"))
    )
    out = work.with_columns(
        pl.coalesce("account_id", "_by_domain", "_by_company").alias("account_id"), how.alias("account_match")
    ).drop("_domain", "_company", "_by_domain", "_by_company")
    counts = out["account_match"].value_counts()
    n = dict(zip(counts["account_match"].to_list(), counts["count"].to_list()))
    return out, AccountMatches(by_domain=n.get("domain", 0), by_company=n.get("company name", 0), unmatched=n.get("none", 0))
