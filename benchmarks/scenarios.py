"""Exports as a user meets them, for `make bench-quality`: cut at an export date, with the truth
of what happened after it kept aside.

A scenario generates a world with `propensity.synthetic._generate.generate_crm` that runs `horizon_days`
past the export date (the cut), then writes the *cut export*: only what was known at the cut
(contacts created at or before it, events and outcomes at or before it, accounts as they are). The
*truth* is, for every contact open at the cut (created at or before it, no `opportunity` at or
before it), whether it gets an `opportunity` in ``(cut, cut + horizon]``; the generator's oracle is
asked for the cut instant too (`oracle_at`). A *thin* export keeps one event per contact (its
first), no accounts and calls the positive outcome `deal`.

A *matching* scenario (`blank_share` > 0) writes the cut export three times, for lead-to-account
matching: as generated (`export`), with `account_id` blanked for `blank_share` of the contacts that
have one (seeded) and each of those given an email at its account's domain, `free_mail_share` of them
a free-mail address instead (`export-blanked`), and blanked without the emails (`export-no-email`).
Every variant's accounts carry a `domain` (the work domain of their contacts' emails in the world).

Nothing runs at import; `build` writes one scenario's folders, the other functions work on frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

__all__ = [
    "SCENARIOS",
    "MATCH_VARIANTS",
    "Built",
    "Scenario",
    "build",
    "account_domains",
    "blank_accounts",
    "cut_tables",
    "open_at",
    "read_tables",
    "thin_tables",
    "truth_after",
    "write_tables",
]

OPPORTUNITY = "opportunity"
TABLES = ("contacts", "accounts", "events", "outcomes")


@dataclass(frozen=True)
class Scenario:
    """One export shape: history from `start` to the `cut` (an export date, midnight UTC)."""

    name: str
    start: date
    cut: datetime
    n_contacts: int
    share_created_before_start: float = 0.7  # the generator's default; lower: more never-buying leads
    thin: bool = False
    positive_outcome: str = OPPORTUNITY  # what the export calls an opportunity (the thin one: "deal")
    horizon_days: int = 90
    description: str = ""
    blank_share: float = 0.0  # > 0: a matching scenario (share of the contacts with an account blanked)
    free_mail_share: float = 0.0  # of the blanked contacts, the share given a free-mail address

    @property
    def months(self) -> int:
        """Calendar months to generate so the world covers the horizon after the cut."""
        months = 1
        while _add_months(self.start, months) < (self.cut + timedelta(days=self.horizon_days)).date():
            months += 1
        return months

    @property
    def history_months(self) -> float:
        return (self.cut - datetime(self.start.year, self.start.month, self.start.day)).days / 30.44


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("cut-15m", date(2024, 1, 1), datetime(2025, 3, 27), 20_000,
                 description="15 months (2024-01-01 to 2025-03-27), cut on a day that is no month start"),
        Scenario("cut-12m", date(2024, 1, 15), datetime(2025, 1, 15), 20_000,
                 description="12 months (2024-01-15 to 2025-01-15), cut mid-month"),
        Scenario("drift-15m", date(2024, 1, 1), datetime(2025, 3, 27), 20_000, share_created_before_start=0.3,
                 description="as cut-15m, but 70% of the contacts are created during the history and never join "
                 "a buying committee: stale open leads pile up and the base rate drifts down"),
        Scenario("thin-12m", date(2024, 1, 15), datetime(2025, 1, 15), 20_000, thin=True, positive_outcome="deal",
                 description="as cut-12m, thinned: each contact's first event only, no accounts, "
                 "'opportunity' renamed 'deal'"),
        Scenario("match-12m", date(2024, 1, 15), datetime(2025, 1, 15), 20_000, blank_share=0.5, free_mail_share=0.1,
                 description="as cut-12m, three times: as generated; with account_id blanked for half the contacts "
                 "that have one, 90% of those given an email at their account's domain and 10% a free-mail "
                 "address; blanked without emails (accounts carry a domain in all three)"),
    )
}

MATCH_VARIANTS = {"as generated": "export", "blanked, matched": "export-blanked", "blanked, no email": "export-no-email"}
"""A matching scenario's exports: variant -> folder under the scenario's folder."""
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com")


@dataclass(frozen=True)
class Built:
    """A scenario's files and answers: the cut export, the truth and the oracle at the cut."""

    scenario: Scenario
    seed: int
    full_dir: Path  # the generated world, past the cut (with oracle.parquet)
    export_dir: Path  # what a user exports at the cut
    truth: pl.DataFrame  # contact_id, label: every contact open at the cut
    oracle: pl.DataFrame  # contact_id, p_oracle at the cut
    variants: dict[str, Path] = field(default_factory=dict)  # a matching scenario's exports (MATCH_VARIANTS)
    blanked: pl.DataFrame | None = None  # contact_id, account_id (the true one), email_kind ("work" / "free mail")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


def read_tables(folder: Path) -> dict[str, pl.DataFrame]:
    """The export tables present in `folder` (Parquet), by name."""
    return {t: pl.read_parquet(folder / f"{t}.parquet") for t in TABLES if (folder / f"{t}.parquet").is_file()}


def write_tables(tables: dict[str, pl.DataFrame], folder: Path) -> None:
    """Write `tables` as Parquet into `folder`, removing any export table not in `tables`."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.parquet"):
        stale.unlink()
    for name in sorted(tables, key=lambda t: t == "contacts"):  # contacts last: its presence means a whole export
        tables[name].write_parquet(folder / f"{name}.parquet")


def cut_tables(tables: dict[str, pl.DataFrame], cut: datetime) -> dict[str, pl.DataFrame]:
    """What was known at `cut`: contacts created, events and outcomes that occurred at or before it;
    accounts as they are."""
    out = {"contacts": tables["contacts"].filter(pl.col("created_at") <= cut)}
    for name in ("events", "outcomes"):
        out[name] = tables[name].filter(pl.col("occurred_at") <= cut)
    if "accounts" in tables:
        out["accounts"] = tables["accounts"]
    return out


def thin_tables(tables: dict[str, pl.DataFrame], rename: dict[str, str]) -> dict[str, pl.DataFrame]:
    """A thin export: each contact's first event only, no accounts table and no account ids, and the
    outcomes renamed by `rename` (e.g. {"opportunity": "deal"})."""
    events = tables["events"].sort("occurred_at", "contact_id", "event_type", maintain_order=True)
    return {
        "contacts": tables["contacts"].with_columns(pl.lit(None, dtype=pl.String).alias("account_id")),
        "events": events.unique("contact_id", keep="first", maintain_order=True),
        "outcomes": tables["outcomes"].with_columns(pl.col("outcome").replace(rename)),
    }


def account_domains(accounts: pl.DataFrame, contacts: pl.DataFrame) -> pl.DataFrame:
    """`accounts` with a `domain`: the commonest email domain of its `contacts` that is no free-mail
    provider's, else (no contact with a work email) `<account_id>.example.com`."""
    from propensity.features._account_match import is_free_mail

    domains = contacts.select("account_id", pl.col("email").str.to_lowercase().str.extract(r"@([^@]+)$", 1).alias("domain")).drop_nulls()
    work = [d for d in domains["domain"].unique().to_list() if not is_free_mail(d)]
    commonest = (
        domains.filter(pl.col("domain").is_in(work))
        .group_by("account_id", "domain").len()
        .sort(["account_id", "len", "domain"], descending=[False, True, False])
        .unique("account_id", keep="first")
        .select("account_id", "domain")
    )
    fallback = pl.col("account_id").str.to_lowercase().str.replace_all(r"[^a-z0-9-]", "-") + ".example.com"
    return (
        accounts.drop("domain", strict=False)
        .join(commonest, on="account_id", how="left", maintain_order="left")
        .with_columns(pl.coalesce("domain", fallback).alias("domain"))
    )


def blank_accounts(
    tables: dict[str, pl.DataFrame], share: float, free_mail_share: float, seed: int, emails: bool = True
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """`tables` with `account_id` blanked for `share` of the contacts that have one (seeded) and the
    record of those contacts (contact_id, their true account_id, email_kind). With `emails`, each
    blanked contact's email is set to one at its account's `domain` (the accounts need that column),
    or, for `free_mail_share` of them, to a free-mail address (email_kind "work" / "free mail");
    without, their email is removed (email_kind null)."""
    import numpy as np

    contacts, accounts = tables["contacts"], tables["accounts"]
    rng = np.random.default_rng(seed)
    linked = contacts.filter(pl.col("account_id").is_not_null()).sort("contact_id")
    picked = np.sort(rng.choice(linked.height, size=round(share * linked.height), replace=False))
    free = rng.random(picked.size) < free_mail_share
    provider = rng.integers(0, len(FREE_MAIL), picked.size)
    blanked = linked[picked].select("contact_id", "account_id").join(
        accounts.select("account_id", "domain"), on="account_id", how="left", maintain_order="left"
    )
    local = blanked["contact_id"].str.to_lowercase().str.replace_all(r"[^a-z0-9]", ".")
    blanked = blanked.with_columns(
        pl.Series("email_kind", np.where(free, "free mail", "work")),
        pl.Series("provider", np.array(FREE_MAIL)[provider]),
        local.alias("local"),
    ).with_columns(
        pl.when(pl.col("email_kind") == "free mail").then(pl.col("local") + "@" + pl.col("provider"))
        .otherwise(pl.col("local") + "@" + pl.col("domain")).alias("new_email")
    )
    if not emails:
        blanked = blanked.with_columns(pl.lit(None, dtype=pl.String).alias("new_email"), pl.lit(None, dtype=pl.String).alias("email_kind"))
    out = contacts.join(blanked.select("contact_id", "new_email", blank=pl.lit(True)), on="contact_id", how="left", maintain_order="left")
    out = out.with_columns(
        pl.when(pl.col("blank")).then(None).otherwise(pl.col("account_id")).alias("account_id"),
        pl.when(pl.col("blank")).then(pl.col("new_email")).otherwise(pl.col("email")).alias("email"),
    ).drop("new_email", "blank")
    return {**tables, "contacts": out}, blanked.select("contact_id", "account_id", "email_kind")


def open_at(contacts: pl.DataFrame, outcomes: pl.DataFrame, cut: datetime, outcome: str = OPPORTUNITY) -> pl.DataFrame:
    """contact_id of every contact open at `cut`: created at or before it, no `outcome` at or before it."""
    converted = outcomes.filter((pl.col("outcome") == outcome) & (pl.col("occurred_at") <= cut)).select("contact_id")
    return (
        contacts.filter(pl.col("created_at") <= cut)
        .select("contact_id")
        .join(converted.unique(), on="contact_id", how="anti")
    )


def truth_after(
    contacts: pl.DataFrame, outcomes: pl.DataFrame, cut: datetime, horizon_days: int, outcome: str = OPPORTUNITY
) -> pl.DataFrame:
    """(contact_id, label) for every contact open at `cut`: label 1 when it gets an `outcome` in
    ``(cut, cut + horizon_days]``. `contacts` and `outcomes` must reach past the horizon."""
    end = cut + timedelta(days=horizon_days)
    hits = (
        outcomes.filter((pl.col("outcome") == outcome) & (pl.col("occurred_at") > cut) & (pl.col("occurred_at") <= end))
        .select("contact_id")
        .unique()
        .with_columns(pl.lit(1, dtype=pl.Int8).alias("label"))
    )
    return (
        open_at(contacts, outcomes, cut, outcome)
        .join(hits, on="contact_id", how="left")
        .with_columns(pl.col("label").fill_null(0))
        .sort("contact_id")
    )


def build(scenario: Scenario, seed: int, folder: Path) -> Built:
    """Generate the world of `scenario` under `folder`/full, write its cut (and thinned) export to
    `folder`/export, and return it with the truth and the oracle at the cut."""
    from propensity.synthetic._generate import generate_crm

    full, export = folder / "full", folder / "export"
    generate_crm(
        full, scenario.n_contacts, seed, start=scenario.start.isoformat(), months=scenario.months,
        horizon_days=scenario.horizon_days, overwrite=True, oracle_at=[scenario.cut],
        share_created_before_start=scenario.share_created_before_start,
    )
    world = read_tables(full)
    tables = cut_tables(world, scenario.cut)
    if scenario.thin:
        tables = thin_tables(tables, {OPPORTUNITY: scenario.positive_outcome})
    variants, blanked = {}, None
    if scenario.blank_share:
        tables = {**tables, "accounts": account_domains(tables["accounts"], world["contacts"])}
        for name, emails in (("blanked, matched", True), ("blanked, no email", False)):
            variant, record = blank_accounts(tables, scenario.blank_share, scenario.free_mail_share, seed, emails=emails)
            blanked = record if emails else blanked
            write_tables(variant, folder / MATCH_VARIANTS[name])
            variants[name] = folder / MATCH_VARIANTS[name]
        variants = {"as generated": export, **variants}
    write_tables(tables, export)
    truth = truth_after(world["contacts"], world["outcomes"], scenario.cut, scenario.horizon_days)
    oracle = (
        pl.read_parquet(full / "oracle.parquet")
        .filter(pl.col("cutoff") == scenario.cut)
        .select("contact_id", "p_oracle")
    )
    return Built(scenario, seed, full, export, truth, oracle, variants, blanked)
