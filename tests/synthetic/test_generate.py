"""The synthetic CRM generator: the export contract, the hidden process and its oracle.

Most rules are checked on one in-memory world of 20,000 contacts (`_simulate`, about a second), and
`test_files_hold_the_simulated_world` ties what `generate_crm` writes to that same world.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sklearn.metrics import roc_auc_score

import propensity.synthetic._vocabulary as vocab
import propensity.synthetic._world as sim
from propensity._errors import UsageError
from propensity.synthetic._generate import GeneratedSummary, generate_crm

START = date(2025, 1, 1)
HORIZON = 90
CONTRACT = {
    "contacts": {
        "contact_id": pl.String,
        "account_id": pl.String,
        "created_at": pl.Datetime("us"),
        "email": pl.String,
        "first_name": pl.String,
        "last_name": pl.String,
        "phone": pl.String,
        "job_title": pl.String,
        "lead_source": pl.String,
    },
    "accounts": {
        "account_id": pl.String,
        "name": pl.String,
        "industry": pl.String,
        "employee_count": pl.Int64,
        "annual_revenue": pl.Float64,
        "country": pl.String,
    },
    "events": {"contact_id": pl.String, "occurred_at": pl.Datetime("us"), "event_type": pl.String},
    "outcomes": {"contact_id": pl.String, "occurred_at": pl.Datetime("us"), "outcome": pl.String},
}
ORACLE_SCHEMA = {"contact_id": pl.String, "cutoff": pl.Datetime("us"), "p_oracle": pl.Float64}


@pytest.fixture(scope="module")
def world() -> sim.World:
    """20,000 contacts over 18 months from 2025-01-01 (the default size)."""
    return sim.simulate(20_000, 11, START, 18, HORIZON)


@pytest.fixture(scope="module")
def small_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GeneratedSummary]:
    out = tmp_path_factory.mktemp("gen") / "export"
    return out, generate_crm(out, 1_500, seed=3)


def _read(folder: Path, fmt: str = "parquet") -> dict[str, pl.DataFrame]:
    """The four tables (CSV read as strings) and the oracle."""
    if fmt == "csv":
        tables = {name: pl.read_csv(folder / f"{name}.csv", infer_schema=False) for name in CONTRACT}
    else:
        tables = {name: pl.read_parquet(folder / f"{name}.parquet") for name in CONTRACT}
    tables["oracle"] = pl.read_parquet(folder / "oracle.parquet")
    return tables


def _labels(world: sim.World, cutoff: datetime) -> pl.DataFrame:
    """The oracle rows of one cutoff with the observed label: an opportunity in (t, t + 90 days]."""
    opportunities = world.outcomes.filter(pl.col("outcome") == "opportunity").select(
        "contact_id", pl.col("occurred_at").alias("opportunity_at")
    )
    end = cutoff + timedelta(days=HORIZON)
    return (
        world.oracle.filter(pl.col("cutoff") == cutoff)
        .join(opportunities, on="contact_id", how="left")
        .with_columns(y=((pl.col("opportunity_at") > cutoff) & (pl.col("opportunity_at") <= end)).fill_null(False))
    )


# ------------------------------------------------------------------------------ determinism


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    first = generate_crm(tmp_path / "a", 800, seed=5, months=6)
    second = generate_crm(tmp_path / "b", 800, seed=5, months=6)
    a, b = _read(first.out_dir), _read(second.out_dir)
    for name in a:
        assert_frame_equal(a[name], b[name])
    record_a = json.loads((first.out_dir / "generator.json").read_text())
    record_b = json.loads((second.out_dir / "generator.json").read_text())
    assert record_a["summary"].pop("out_dir") != record_b["summary"].pop("out_dir")
    assert record_a == record_b


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    a = _read(generate_crm(tmp_path / "a", 800, seed=5, months=6).out_dir)
    b = _read(generate_crm(tmp_path / "b", 800, seed=6, months=6).out_dir)
    assert not a["events"].equals(b["events"])
    assert a["contacts"]["created_at"].to_list() != b["contacts"]["created_at"].to_list()
    assert a["contacts"]["job_title"].to_list() != b["contacts"]["job_title"].to_list()


def test_files_hold_the_simulated_world(small_export: tuple[Path, GeneratedSummary]) -> None:
    folder, _ = small_export
    world = sim.simulate(1_500, 3, START, 18, HORIZON)
    written = _read(folder)
    for name, frame in [
        ("contacts", world.contacts),
        ("accounts", world.accounts),
        ("events", world.events),
        ("outcomes", world.outcomes),
        ("oracle", world.oracle),
    ]:
        assert_frame_equal(written[name], frame)


# ------------------------------------------------------------------------------ the files


def test_tables_have_the_contract_columns_and_dtypes(small_export: tuple[Path, GeneratedSummary]) -> None:
    folder, _ = small_export
    tables = _read(folder)
    for name, schema in CONTRACT.items():
        assert dict(tables[name].schema) == schema, name
    assert dict(tables["oracle"].schema) == ORACLE_SCHEMA
    assert tables["contacts"]["contact_id"].is_unique().all()
    assert tables["accounts"]["account_id"].is_unique().all()
    assert set(tables["events"]["event_type"].unique()) == set(vocab.EVENT_TYPES)
    assert set(tables["outcomes"]["outcome"].unique()) <= {"mql", "sql", "opportunity", "closed_won"}
    known_accounts = set(tables["accounts"]["account_id"])
    assert set(tables["contacts"]["account_id"].drop_nulls()) <= known_accounts
    assert set(tables["events"]["contact_id"]) <= set(tables["contacts"]["contact_id"])
    assert re.fullmatch(r"C\d{7}", tables["contacts"]["contact_id"][0])
    assert re.fullmatch(r"A\d{6}", tables["accounts"]["account_id"][0])


def test_csv_timestamps_are_iso_utc_with_z_and_match_parquet(tmp_path: Path) -> None:
    csv = _read(generate_crm(tmp_path / "csv", 600, seed=2, fmt="csv", months=4).out_dir, "csv")
    parquet = _read(generate_crm(tmp_path / "pq", 600, seed=2, fmt="parquet", months=4).out_dir)
    iso_z = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
    for name, column in [("contacts", "created_at"), ("events", "occurred_at"), ("outcomes", "occurred_at")]:
        assert csv[name][column].str.contains(iso_z).all(), name
        parsed = csv[name][column].str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%SZ")
        assert parsed.to_list() == parquet[name][column].to_list(), name
    assert list(csv["contacts"].columns) == list(CONTRACT["contacts"])
    assert csv["events"].height == parquet["events"].height


def test_summary_and_generator_json_describe_the_files(small_export: tuple[Path, GeneratedSummary]) -> None:
    folder, summary = small_export
    tables = _read(folder)
    assert summary.out_dir == folder
    assert (summary.n_contacts, summary.n_accounts) == (tables["contacts"].height, tables["accounts"].height)
    assert (summary.n_events, summary.n_outcomes) == (tables["events"].height, tables["outcomes"].height)
    assert (summary.start, summary.end) == (datetime(2025, 1, 1), datetime(2026, 7, 1))
    names = ["contacts", "accounts", "events", "outcomes"]
    assert summary.files == [folder / f"{n}.parquet" for n in names] + [
        folder / "oracle.parquet",
        folder / "generator.json",
    ]
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in summary.files)  # no temporary files
    record = json.loads((folder / "generator.json").read_text())
    assert record["parameters"] == {
        "n_contacts": 1_500,
        "seed": 3,
        "fmt": "parquet",
        "start": "2025-01-01",
        "months": 18,
        "horizon_days": 90,
    }
    assert record["summary"]["n_events"] == summary.n_events
    assert record["summary"]["end"] == "2026-07-01T00:00:00Z"
    assert record["oracle"]["cutoffs"][0] == "2025-02-01T00:00:00Z"
    assert len(record["oracle"]["cutoffs"]) == 17
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'n_events'"):
        summary.n_events = 0  # type: ignore[misc]


def test_refuses_an_existing_export_unless_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "crm"
    generate_crm(out, 300, seed=1, fmt="csv", months=3)
    with pytest.raises(UsageError, match=r"already holds an export \('contacts.csv'"):
        generate_crm(out, 300, seed=1, months=3)
    summary = generate_crm(out, 300, seed=2, months=3, overwrite=True)
    assert summary.n_contacts == 300
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "accounts.parquet",
            "contacts.parquet",
            "events.parquet",
            "outcomes.parquet",
            "oracle.parquet",
            "generator.json",
        ]
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_contacts": 0}, r"n_contacts must be between 10 and 5000000, got 0"),
        ({"n_contacts": 2.5}, r"n_contacts must be an integer, got 2.5"),
        ({"seed": -1}, r"seed must be at least 0, got -1"),
        ({"fmt": "xlsx"}, r"fmt must be one of parquet, csv, got 'xlsx'"),
        ({"start": "2025-13-01"}, r"start must be an ISO date like '2025-01-01', got '2025-13-01'"),
        ({"start": "2025-01-01T10:00:00"}, r"start must be a date \(midnight UTC\)"),
        ({"months": 0}, r"months must be between 1 and 240, got 0"),
        ({"horizon_days": 0}, r"horizon_days must be between 1 and 3650, got 0"),
        ({"overwrite": "yes"}, r"overwrite must be True or False, got 'yes'"),
        ({"oracle_at": ["2027-01-01"]}, r"oracle_at 2027-01-01 is not strictly inside the history \(2025-01-01 to 2026-07-01\)"),
        ({"oracle_at": ["2025-01-01"]}, r"oracle_at 2025-01-01 is not strictly inside the history"),
        ({"oracle_at": ["2025-03-27T10:00:00"]}, r"oracle_at must hold ISO dates \(midnight UTC\) like '2025-03-27', got '2025-03-27T10:00:00'"),
        ({"oracle_at": "2025-03-27"}, r"oracle_at must be a list of dates, got '2025-03-27'"),
        ({"share_created_before_start": 1.5}, r"share_created_before_start must be a number from 0 to 1, got 1.5"),
    ],
)
def test_bad_arguments_are_usage_errors(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    arguments: dict[str, object] = {"n_contacts": 100, **kwargs}
    with pytest.raises(UsageError, match=match):
        generate_crm(tmp_path / "out", **arguments)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_start_may_be_a_utc_midnight_timestamp(tmp_path: Path) -> None:
    summary = generate_crm(tmp_path / "out", 100, start="2024-03-15T00:00:00Z", months=2)
    assert (summary.start, summary.end) == (datetime(2024, 3, 15), datetime(2024, 5, 15))
    oracle = pl.read_parquet(tmp_path / "out" / "oracle.parquet")
    assert oracle["cutoff"].unique().sort().to_list() == [datetime(2024, 4, 1), datetime(2024, 5, 1)]


# ------------------------------------------------------------------------------ the data


def test_world_is_big_and_b2b_shaped(world: sim.World) -> None:
    assert world.contacts.height == 20_000
    assert world.accounts.height == 2_500
    assert world.events.height >= 1_000_000
    per_account = world.contacts.drop_nulls("account_id").group_by("account_id").len()["len"]
    assert per_account.min() >= 1
    assert per_account.max() <= 25
    roles = world.truth["role"].value_counts().to_dict(as_series=False)
    share = dict(zip(roles["role"], np.array(roles["count"]) / 20_000, strict=True))
    assert share["student"] == pytest.approx(0.04, abs=0.005)
    assert share["competitor"] == pytest.approx(0.02, abs=0.005)
    titles = world.contacts["job_title"]
    assert 0.02 < titles.is_null().mean() < 0.08
    assert titles.str.contains(r" \| | @ | at ").sum() > 100  # " | Acme" and friends
    assert (titles.str.to_lowercase() == titles).sum() > 1_000  # lower-cased by hand
    assert titles.str.contains("  ").sum() > 100  # doubled spaces
    assert titles.is_in(["Student", "MBA Candidate", "CMO", "Head of Growth", "mktg mgr", "Leiter IT"]).sum() > 100
    types = world.events["event_type"].value_counts().sort("count")["event_type"].to_list()
    assert types[-2:] == ["web_visit", "email_open"]  # baseline noise dominates


def test_events_follow_created_at_and_stay_inside_the_history(world: sim.World) -> None:
    events = world.events.join(world.contacts.select("contact_id", "created_at"), on="contact_id")
    assert (events["occurred_at"] > events["created_at"]).all()
    assert events["occurred_at"].min() >= datetime(2025, 1, 1)
    assert events["occurred_at"].max() < datetime(2026, 7, 1)
    outcomes = world.outcomes.join(world.contacts.select("contact_id", "created_at"), on="contact_id")
    assert (outcomes["occurred_at"] > outcomes["created_at"]).all()
    assert outcomes["occurred_at"].max() < datetime(2026, 7, 1)
    assert world.events["occurred_at"].is_sorted()


def test_heavy_engagers_engage_a_lot_and_never_get_an_opportunity(world: sim.World) -> None:
    role = world.truth.select("contact_id", "role")
    opportunities = world.outcomes.filter(pl.col("outcome") == "opportunity").join(role, on="contact_id")
    assert set(opportunities["role"].unique()) == {"buyer"}
    pricing = (
        world.events.filter(pl.col("event_type") == "pricing_page_view")
        .join(role, on="contact_id")
        .group_by("role")
        .len()
        .join(role.group_by("role").len().rename({"len": "people"}), on="role")
        .with_columns(per_person=pl.col("len") / pl.col("people"))
    )
    per_person = dict(zip(pricing["role"], pricing["per_person"], strict=True))
    assert per_person["student"] > 3 * per_person["buyer"]
    assert per_person["competitor"] > 10 * per_person["buyer"]
    # Students have no account or a university's; competitors sit in accounts of their own.
    kinds = world.contacts.join(world.truth.select("contact_id", "role"), on="contact_id").join(
        world.account_truth.select("account_id", "kind"), on="account_id", how="left"
    )
    assert set(kinds.filter(pl.col("role") == "student")["kind"].unique().to_list()) == {None, "university"}
    assert set(kinds.filter(pl.col("role") == "competitor")["kind"].unique()) == {"competitor"}
    assert set(kinds.filter(pl.col("kind") == "competitor")["role"].unique()) == {"competitor"}


def test_competitors_show_who_they_are_in_industry_title_and_lead_source(world: sim.World) -> None:
    """A CRM sees competitors in who they are: the vendor's own industry, product and analyst titles,
    organic lead sources; buyers' accounts never show that industry, their titles rarely that department."""
    from propensity.features._titles import parse_titles

    people = world.contacts.join(world.truth.select("contact_id", "role"), on="contact_id").join(
        world.accounts.select("account_id", "industry"), on="account_id", how="left", maintain_order="left"
    ).with_columns(department=parse_titles(world.contacts["job_title"])["title_department"])
    rivals = world.account_truth.filter(pl.col("kind") == "competitor").join(world.accounts, on="account_id")
    shown = rivals["industry"].drop_nulls()
    assert rivals.height >= 20 and 0.6 < (shown == "Marketing Technology").mean() < 0.95  # type: ignore[operator]
    assert set(shown) == {"Marketing Technology", "Software"}
    buyers, competitors = people.filter(pl.col("role") == "buyer"), people.filter(pl.col("role") == "competitor")
    assert (buyers["industry"] == "Marketing Technology").sum() == 0
    assert set(competitors["lead_source"]) == {"organic_search", "web", "direct", "organic_social"}
    assert (buyers["lead_source"].is_in(["organic_search", "direct"])).sum() == 0
    product = (pl.col("department") == "product").mean()
    assert competitors.select(product).item() > 0.2 > 0.01 > buyers.select(product).item()
    assert competitors["job_title"].is_in(list(vocab.COMPETITOR_TITLES)).mean() > 0.4  # type: ignore[operator]


def test_the_competitors_profile_changes_no_other_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    """The profile is drawn from a stream of its own: without it, every event, outcome, oracle row,
    account and non-competitor contact is the same, and competitors differ only in what it shows."""
    with_profile = sim.simulate(3_000, 5, START, 12, HORIZON)
    real = sim._competitor_profile

    def nothing_shown(rng: np.random.Generator, accounts: object, contacts: object) -> object:
        profile = real(rng, accounts, contacts)  # type: ignore[arg-type]
        none = np.full(profile.title.size, None, dtype=object)
        return dataclasses.replace(profile, industry=np.full(profile.industry.size, None, dtype=object), title=none, lead_source=none)

    monkeypatch.setattr(sim, "_competitor_profile", nothing_shown)
    without = sim.simulate(3_000, 5, START, 12, HORIZON)
    for name in ("events", "outcomes", "oracle", "truth", "account_truth"):
        assert_frame_equal(getattr(with_profile, name), getattr(without, name))
    rival = with_profile.truth["role"] == "competitor"
    assert_frame_equal(with_profile.contacts.filter(~rival), without.contacts.filter(~rival))
    changed = [c for c in with_profile.contacts.columns if not with_profile.contacts[c].equals(without.contacts[c])]
    assert changed == ["job_title", "lead_source"]
    kinds = with_profile.account_truth["kind"] == "competitor"
    assert_frame_equal(with_profile.accounts.filter(~kinds), without.accounts.filter(~kinds))
    assert (with_profile.accounts.filter(kinds)["industry"] != without.accounts.filter(kinds)["industry"]).sum() > 0


def test_every_account_has_an_email_domain_of_its_own(world: sim.World) -> None:
    """No two accounts' contacts share a work email domain, so a domain names one account; the brand
    alone is kept where no earlier account holds it."""
    domains = world.contacts.drop_nulls("account_id").select(
        "account_id", pl.col("email").str.extract(r"@(.+)$", 1).alias("domain")
    ).drop_nulls().unique()
    assert domains["account_id"].n_unique() > 2_400
    assert domains.group_by("account_id").len()["len"].max() == 1
    assert domains.group_by("domain").len()["len"].max() == 1
    brand_only = domains["domain"].str.contains(r"^[a-z]+\.[a-z.]+$").mean()
    assert 0.5 < brand_only < 1  # type: ignore[operator]
    assert sim._unique_domain("bluestone", "com", "Bluestone Labs Inc", set()) == "bluestone.com"
    taken = {"bluestone.com", "bluestonelabs.com"}
    assert sim._unique_domain("bluestone", "com", "Bluestone Labs Inc", taken) == "bluestonelabsinc.com"
    assert sim._unique_domain("bluestone", "com", "Bluestone Labs Inc", taken) == "bluestone2.com"
    assert sim._unique_domain("springfield", "edu", "University of Springfield", {"springfield.edu"}) == "springfielduniversity.edu"


def test_every_opportunity_is_a_committee_draw_or_noise(world: sim.World) -> None:
    opportunities = world.outcomes.filter(pl.col("outcome") == "opportunity")
    assert opportunities["contact_id"].is_unique().all()
    truth = opportunities.join(world.truth, on="contact_id").join(
        world.contacts.select("contact_id", "account_id"), on="contact_id"
    )
    assert set(truth["opportunity_kind"].unique()) == {"account", "noise"}
    drawn = truth.filter(pl.col("opportunity_kind") == "account")
    assert drawn["committee"].all()
    # One draw per account, on the day the account became a customer.
    assert drawn["account_id"].is_unique().all()
    days = drawn.join(world.account_truth, on="account_id").with_columns(
        day=(pl.col("occurred_at") - pl.lit(datetime(2025, 1, 1))).dt.total_days()
    )
    assert (days["day"] == days["customer_day"]).all()
    # Every opportunity in the file is accounted for by the hidden truth, and vice versa.
    assert world.truth["opportunity_kind"].drop_nulls().len() == opportunities.height
    won = world.outcomes.filter(pl.col("outcome") == "closed_won")
    assert set(won["contact_id"]) <= set(opportunities["contact_id"])
    assert 0.15 < won.height / opportunities.height < 0.3


def test_committees_have_two_to_six_members_created_before_start(world: sim.World) -> None:
    members = world.truth.filter(pl.col("committee")).join(
        world.contacts.select("contact_id", "account_id", "created_at"), on="contact_id"
    )
    assert (members["created_at"] < datetime(2025, 1, 1)).all()
    assert set(members["role"].unique()) == {"buyer"}
    sizes = members.group_by("account_id").len()["len"]
    assert sizes.max() <= 6
    assert (sizes >= 2).mean() > 0.8  # fewer only where the account had fewer contacts before start
    # Senior people in relevant departments are over-represented in committees.
    buyers = world.truth.filter(pl.col("role") == "buyer")
    assert (members["level"] >= 3).mean() > (buyers["level"] >= 3).mean() + 0.08  # director and up
    relevant = ["marketing", "sales"]
    assert members["department"].is_in(relevant).mean() > buyers["department"].is_in(relevant).mean() + 0.03
    assert (members["department"] == "hr").mean() < 0.75 * (buyers["department"] == "hr").mean()


def test_committee_engagement_rises_while_the_account_is_in_market(world: sim.World) -> None:
    members = world.truth.filter(pl.col("committee")).join(
        world.contacts.select("contact_id", "account_id"), on="contact_id"
    )
    account_index = {a: i for i, a in enumerate(world.account_truth["account_id"])}
    contact_account = dict(zip(members["contact_id"], members["account_id"], strict=True))
    events = world.events.filter(pl.col("contact_id").is_in(members["contact_id"].implode()))
    day = ((events["occurred_at"] - datetime(2025, 1, 1)).dt.total_days()).to_numpy()
    rows = np.array([account_index[contact_account[c]] for c in events["contact_id"]])
    state = world.states[rows, day]
    # Member-days per state, to turn counts into daily rates.
    member_rows = np.array([account_index[a] for a in members["account_id"]])
    exposure = np.array([(world.states[member_rows] == s).sum() for s in range(4)])
    for event_type, state_index, lift in [
        ("pricing_page_view", vocab.EVAL, 20),
        ("demo_request", vocab.EVAL, 50),
        ("web_visit", vocab.RESEARCH, 3),
        ("content_download", vocab.RESEARCH, 5),
    ]:
        of_type = (events["event_type"] == event_type).to_numpy()
        rate_in = (of_type & (state == state_index)).sum() / exposure[state_index]
        rate_out = (of_type & (state == vocab.OUT)).sum() / exposure[vocab.OUT]
        assert rate_in > lift * rate_out, event_type


def test_unsubscribers_get_far_fewer_emails(world: sim.World) -> None:
    unsubscribed = world.events.filter(pl.col("event_type") == "email_unsubscribe").select(
        "contact_id", pl.col("occurred_at").alias("unsubscribed_at")
    )
    assert unsubscribed["contact_id"].is_unique().all()
    opens = world.events.filter(pl.col("event_type") == "email_open").join(unsubscribed, on="contact_id")
    spans = unsubscribed.join(world.contacts.select("contact_id", "created_at"), on="contact_id").select(
        before=(pl.col("unsubscribed_at") - pl.max_horizontal(pl.col("created_at"), pl.lit(datetime(2025, 1, 1))))
        .dt.total_days()
        .sum(),
        after=(pl.lit(datetime(2026, 7, 1)) - pl.col("unsubscribed_at")).dt.total_days().sum(),
    )
    rate_before = (opens["occurred_at"] < opens["unsubscribed_at"]).sum() / spans["before"][0]
    rate_after = (opens["occurred_at"] > opens["unsubscribed_at"] + timedelta(days=3)).sum() / spans["after"][0]
    assert rate_after < 0.15 * rate_before


def test_mql_at_the_first_form_fill_or_demo_request(world: sim.World) -> None:
    first = (
        world.events.filter(pl.col("event_type").is_in(["form_fill", "demo_request"]))
        .group_by("contact_id")
        .agg(pl.col("occurred_at").min())
        .sort("contact_id")
    )
    mql = world.outcomes.filter(pl.col("outcome") == "mql").select("contact_id", "occurred_at").sort("contact_id")
    assert_frame_equal(first, mql)
    sql = world.outcomes.filter(pl.col("outcome") == "sql").join(world.truth, on="contact_id")
    assert sql.height > 50
    assert sql["committee"].all()


# ------------------------------------------------------------------------------ the oracle


def test_oracle_rows_are_exactly_the_open_contacts_at_each_month_start(world: sim.World) -> None:
    cutoffs = world.oracle["cutoff"].unique().sort().to_list()
    assert cutoffs == [datetime(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(2, 19)]
    first_opportunity = (
        world.outcomes.filter(pl.col("outcome") == "opportunity")
        .group_by("contact_id")
        .agg(opportunity_at=pl.col("occurred_at").min())
    )
    contacts = world.contacts.select("contact_id", "created_at").join(first_opportunity, on="contact_id", how="left")
    for cutoff in cutoffs[::4]:
        expected = contacts.filter(
            (pl.col("created_at") <= cutoff)
            & (pl.col("opportunity_at").is_null() | (pl.col("opportunity_at") > cutoff))
        )["contact_id"]
        got = world.oracle.filter(pl.col("cutoff") == cutoff)["contact_id"]
        assert got.sort().to_list() == expected.sort().to_list()


def test_oracle_at_a_month_start_equals_the_month_start_oracle(monkeypatch: pytest.MonkeyPatch) -> None:
    """An extra oracle day goes through the month-start code path: with the month-start cutoffs
    removed from the calendar, an extra day on 2025-04-01 gives the month-start oracle's rows."""
    world = sim.simulate(1_500, 2, START, 6, HORIZON)
    make_calendar = sim.make_calendar

    def no_cutoffs(start: date, months: int) -> sim.Calendar:
        return dataclasses.replace(make_calendar(start, months), cutoff_days=np.zeros(0, np.int64))

    monkeypatch.setattr(sim, "make_calendar", no_cutoffs)
    k = (date(2025, 4, 1) - START).days
    extra = sim.simulate(1_500, 2, START, 6, HORIZON, oracle_days=np.array([k]))
    expected = world.oracle.filter(pl.col("cutoff") == datetime(2025, 4, 1))
    assert expected.height > 1_000
    assert_frame_equal(extra.oracle, expected)


def test_oracle_at_adds_the_open_contacts_at_that_instant_and_changes_nothing_else(tmp_path: Path) -> None:
    default = _read(generate_crm(tmp_path / "a", 1_500, seed=2, months=6).out_dir)
    summary = generate_crm(tmp_path / "b", 1_500, seed=2, months=6, oracle_at=["2025-03-27", "2025-04-01"])
    extra = _read(summary.out_dir)
    for name in CONTRACT:
        assert_frame_equal(extra[name], default[name])
    cut = datetime(2025, 3, 27)
    assert_frame_equal(extra["oracle"].filter(pl.col("cutoff") != cut), default["oracle"])  # a month start adds nothing
    opportunity = extra["outcomes"].filter(pl.col("outcome") == "opportunity").group_by("contact_id").agg(
        at=pl.col("occurred_at").min()
    )
    open_at_cut = (
        extra["contacts"].join(opportunity, on="contact_id", how="left")
        .filter((pl.col("created_at") <= cut) & (pl.col("at").is_null() | (pl.col("at") > cut)))["contact_id"]
    )
    got = extra["oracle"].filter(pl.col("cutoff") == cut)
    assert got["contact_id"].sort().to_list() == open_at_cut.sort().to_list()
    assert got["p_oracle"].is_between(0.0, 1.0).all() and got["p_oracle"].max() > 0.1
    record = json.loads((summary.out_dir / "generator.json").read_text())
    assert record["oracle"]["extra_cutoffs"] == ["2025-03-27T00:00:00Z", "2025-04-01T00:00:00Z"]


def test_fewer_contacts_created_before_start_means_more_leads_that_never_buy() -> None:
    default = sim.simulate(3_000, 1, START, 12, HORIZON)
    drifting = sim.simulate(3_000, 1, START, 12, HORIZON, share_created_before_start=0.3)

    def rates(world: sim.World) -> list[float]:
        return [
            _labels(world, datetime(2025, m, 1))["y"].mean() for m in (3, 9)  # type: ignore[misc]
        ]

    created_inside = (drifting.contacts["created_at"] >= datetime(2025, 1, 1)).mean()
    assert 0.65 < created_inside < 0.75  # type: ignore[operator]
    early, late = rates(drifting)
    assert late < 0.8 * early  # the base rate drifts down as never-buying leads pile up
    assert drifting.truth["committee"].sum() < default.truth["committee"].sum()


def test_oracle_is_a_probability_and_zero_for_heavy_engagers(world: sim.World) -> None:
    oracle = world.oracle.join(world.truth.select("contact_id", "role", "committee"), on="contact_id")
    assert oracle["p_oracle"].is_between(0.0, 1.0).all()
    assert (oracle.filter(pl.col("role") != "buyer")["p_oracle"] == 0.0).all()
    noise_only = 1.0 - (1.0 - vocab.H0) ** HORIZON
    non_members = oracle.filter((pl.col("role") == "buyer") & ~pl.col("committee"))["p_oracle"]
    assert np.allclose(non_members.to_numpy(), noise_only, rtol=1e-12, atol=0)
    members = oracle.filter(pl.col("committee"))["p_oracle"]
    assert members.min() >= noise_only
    assert members.max() > 0.3


def test_first_passage_sums_to_the_matrix_power() -> None:
    fit = np.array([0.2, 1.0, 4.0])
    transitions = sim._transition_matrices(fit)
    passage = sim._first_passage(transitions, HORIZON)
    for a in range(fit.size):
        power = np.linalg.matrix_power(transitions[a], HORIZON)
        for state in (vocab.OUT, vocab.RESEARCH, vocab.EVAL):
            assert passage[state, a].sum() == pytest.approx(power[state, vocab.CUSTOMER], rel=1e-12)
    assert passage[vocab.EVAL, :, 0] == pytest.approx(transitions[:, vocab.EVAL, vocab.CUSTOMER])  # one step from EVAL
    assert (passage[vocab.OUT, :, :2] == 0.0).all()  # OUT needs at least three steps
    assert (passage[vocab.OUT, :, 2] > 0.0).all()


def test_oracle_without_noise_is_the_weight_share_of_the_account_chance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim, "H0", 1e-15)
    world = sim.simulate(2_000, 4, START, 12, HORIZON)
    cutoff = datetime(2025, 7, 1)
    k = (cutoff - datetime(2025, 1, 1)).days
    oracle = world.oracle.filter(pl.col("cutoff") == cutoff).join(world.truth, on="contact_id")
    members = oracle.filter(pl.col("committee")).join(
        world.contacts.select("contact_id", "account_id"), on="contact_id"
    )
    fits = world.account_truth.with_row_index("row")
    members = members.join(fits, on="account_id").with_columns(open_weight=pl.col("weight").sum().over("account_id"))
    transitions = sim._transition_matrices(members["fit"].to_numpy())
    state = world.states[members["row"].to_numpy(), k - 1]
    reach = np.array(
        [np.linalg.matrix_power(p, HORIZON)[s, vocab.CUSTOMER] for p, s in zip(transitions, state, strict=True)]
    )
    reach[state == vocab.CUSTOMER] = 0.0
    expected = reach * members["weight"].to_numpy() / members["open_weight"].to_numpy()
    assert members.height > 300
    assert np.allclose(members["p_oracle"].to_numpy(), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cutoff", [datetime(2025, 4, 1), datetime(2025, 8, 1), datetime(2026, 1, 1)])
def test_oracle_is_calibrated(world: sim.World, cutoff: datetime) -> None:
    labelled = _labels(world, cutoff)
    p = labelled["p_oracle"].to_numpy()
    observed = int(labelled["y"].sum())
    standard_error = float(np.sqrt((p * (1.0 - p)).sum()))
    assert abs(observed - p.sum()) < 4.0 * standard_error, (observed, p.sum(), standard_error)
    assert 0.005 < observed / labelled.height < 0.03  # roughly 1-3 % of open leads convert in 90 days


def test_oracle_ranks_the_leads_that_convert(world: sim.World) -> None:
    for cutoff in (datetime(2025, 4, 1), datetime(2025, 8, 1)):
        labelled = _labels(world, cutoff)
        auc = roc_auc_score(labelled["y"].to_numpy(), labelled["p_oracle"].to_numpy())
        assert auc > 0.9, (cutoff, auc)
