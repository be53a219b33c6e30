"""Exports as a user meets them, for `make bench-quality`: cut at an export date, with the truth
of what happened after it kept aside.

A scenario generates a world with `propensity.synthetic._generate.generate_crm` that runs `horizon_days`
past the export date (the cut), then writes the *cut export*: only what was known at the cut
(contacts created at or before it, events and outcomes at or before it, accounts as they are). The
*truth* is, for every contact open at the cut (created at or before it, no `opportunity` at or
before it), whether it gets an `opportunity` in ``(cut, cut + horizon]``; the generator's oracle is
asked for the cut instant too (`oracle_at`). A *thin* export keeps one event per contact (its
first), no accounts and calls the positive outcome `deal`.

Nothing runs at import; `build` writes one scenario's folders, the other functions work on frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

__all__ = [
    "SCENARIOS",
    "Built",
    "Scenario",
    "build",
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
    )
}


@dataclass(frozen=True)
class Built:
    """A scenario's files and answers: the cut export, the truth and the oracle at the cut."""

    scenario: Scenario
    seed: int
    full_dir: Path  # the generated world, past the cut (with oracle.parquet)
    export_dir: Path  # what a user exports at the cut
    truth: pl.DataFrame  # contact_id, label: every contact open at the cut
    oracle: pl.DataFrame  # contact_id, p_oracle at the cut


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
    write_tables(tables, export)
    truth = truth_after(world["contacts"], world["outcomes"], scenario.cut, scenario.horizon_days)
    oracle = (
        pl.read_parquet(full / "oracle.parquet")
        .filter(pl.col("cutoff") == scenario.cut)
        .select("contact_id", "p_oracle")
    )
    return Built(scenario, seed, full, export, truth, oracle)
