"""The benchmark's scenarios (benchmarks/scenarios.py): an export cut at a date holds nothing after
it, the truth counts exactly the opportunities after the cut of the leads open at it, and a thin
export is thin. One small world of 600 contacts, cut on 2025-03-27 (no month start)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from benchmarks.scenarios import (
    SCENARIOS,
    Built,
    Scenario,
    build,
    read_tables,
    truth_after,
)

CUT = datetime(2025, 3, 27)
SMALL = Scenario("small", date(2024, 6, 1), CUT, 600)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(SMALL, 3, tmp_path_factory.mktemp("scenario"))


@pytest.fixture(scope="module")
def thin(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(replace(SMALL, thin=True, positive_outcome="deal"), 3, tmp_path_factory.mktemp("thin"))


def test_world_covers_the_horizon_after_the_cut() -> None:
    assert SMALL.months == 13  # 2024-06-01 + 13 months = 2025-07-01 >= 2025-06-25
    for scenario in SCENARIOS.values():
        assert scenario.cut.time() == datetime.min.time() and scenario.cut.day != 1  # an export date, no month start


def test_cut_export_holds_no_row_after_the_cut(built: Built) -> None:
    cut, world = read_tables(built.export_dir), read_tables(built.full_dir)
    assert cut["contacts"]["created_at"].max() <= CUT  # type: ignore[operator]
    for name in ("events", "outcomes"):
        assert cut[name]["occurred_at"].max() <= CUT  # type: ignore[operator]
        before = world[name].filter(pl.col("occurred_at") <= CUT)
        assert cut[name].height == before.height > 0  # everything known at the cut is kept
        assert (world[name]["occurred_at"] > CUT).any()  # and the world went on after it
    assert cut["contacts"].height == world["contacts"].filter(pl.col("created_at") <= CUT).height
    assert cut["accounts"].equals(world["accounts"])
    assert not (built.export_dir / "oracle.parquet").exists()


def test_truth_counts_exactly_the_opportunities_in_the_horizon_of_leads_open_at_the_cut(built: Built) -> None:
    world = read_tables(built.full_dir)
    opportunities = world["outcomes"].filter(pl.col("outcome") == "opportunity")
    first = opportunities.group_by("contact_id").agg(at=pl.col("occurred_at").min())
    contacts = world["contacts"].join(first, on="contact_id", how="left")
    open_ids = contacts.filter((pl.col("created_at") <= CUT) & (pl.col("at").is_null() | (pl.col("at") > CUT)))
    won = open_ids.filter((pl.col("at") > CUT) & (pl.col("at") <= CUT + timedelta(days=90)))
    assert built.truth["contact_id"].sort().to_list() == open_ids["contact_id"].sort().to_list()
    assert set(built.truth.filter(pl.col("label") == 1)["contact_id"]) == set(won["contact_id"])
    assert 0 < built.truth["label"].sum() < built.truth.height
    # an opportunity a day after the horizon does not count; one at its last instant does
    late = pl.DataFrame({"contact_id": ["C1", "C2"], "occurred_at": [CUT + timedelta(days=91), CUT + timedelta(days=90)],
                         "outcome": ["opportunity", "opportunity"]})
    people = pl.DataFrame({"contact_id": ["C1", "C2"], "created_at": [CUT, CUT - timedelta(days=1)]})
    assert truth_after(people, late, CUT, 90)["label"].to_list() == [0, 1]


def test_oracle_at_the_cut_scores_every_open_lead(built: Built) -> None:
    joined = built.truth.join(built.oracle, on="contact_id", how="inner")
    assert joined.height == built.truth.height == built.oracle.height
    assert joined["p_oracle"].is_between(0.0, 1.0).all()


def test_thin_export_has_one_event_per_contact_no_accounts_and_deals(thin: Built, built: Built) -> None:
    tables = read_tables(thin.export_dir)
    assert "accounts" not in tables
    assert tables["contacts"]["account_id"].null_count() == tables["contacts"].height
    per_contact = tables["events"].group_by("contact_id").len()
    assert per_contact["len"].max() == 1
    full = read_tables(built.export_dir)
    first = full["events"].group_by("contact_id").agg(pl.col("occurred_at").min())
    assert per_contact.height == first.height  # every contact with events keeps its first
    assert tables["events"].join(first, on=["contact_id", "occurred_at"], how="anti").is_empty()
    outcomes = set(tables["outcomes"]["outcome"])
    assert "deal" in outcomes and "opportunity" not in outcomes
    assert thin.truth.equals(built.truth)  # same world, same truth


def test_read_by_the_package_as_a_user_would(thin: Built) -> None:
    from propensity.io._sources import read_export

    export = read_export(thin.export_dir, require_outcomes=True)
    assert export.accounts.height == 0
    assert export.data_end <= CUT


@pytest.fixture(scope="module")
def matching(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(replace(SMALL, blank_share=0.5, free_mail_share=0.1), 3, tmp_path_factory.mktemp("match"))


def test_matching_scenario_blanks_half_the_account_ids_and_gives_emails_at_the_account_domain(matching: Built) -> None:
    generated = read_tables(matching.variants["as generated"])
    linked = generated["contacts"].filter(pl.col("account_id").is_not_null())
    blanked = matching.blanked
    assert blanked is not None and blanked.height == round(0.5 * linked.height)
    assert set(blanked["contact_id"]) <= set(linked["contact_id"])
    assert 0.05 < (blanked["email_kind"] == "free mail").mean() < 0.15  # type: ignore[operator]
    assert generated["accounts"]["domain"].null_count() == 0
    for name, emails in (("blanked, matched", True), ("blanked, no email", False)):
        contacts = read_tables(matching.variants[name])["contacts"].join(blanked, on="contact_id", how="inner", suffix="_true")
        assert contacts["account_id"].null_count() == blanked.height  # every picked contact lost its account id
        assert contacts["email"].null_count() == (0 if emails else blanked.height)
    contacts = read_tables(matching.variants["blanked, matched"])["contacts"].join(blanked, on="contact_id", suffix="_true")
    work = contacts.filter(pl.col("email_kind") == "work").join(
        generated["accounts"].select(pl.col("account_id").alias("account_id_true"), "domain"), on="account_id_true")
    assert (work["email"].str.extract(r"@(.+)$", 1) == work["domain"]).all()


def test_matching_restores_the_blanked_account_of_every_work_email_and_never_matches_free_mail(matching: Built) -> None:
    """On the blanked Parquet export the reader gives every contact with a work email its own account back
    (the generator gives every account a domain of its own), matches no free-mail contact, and no
    contact to another account."""
    from benchmarks.match import matching_counts
    from propensity.io._sources import read_export

    blanked = matching.blanked
    assert blanked is not None
    accounts = read_tables(matching.variants["as generated"])["accounts"]
    unique = accounts.filter(pl.col("domain").is_unique()).select(pl.col("account_id").alias("truth"))
    work = blanked.filter(pl.col("email_kind") == "work").rename({"account_id": "truth"})
    expected = work.join(unique, on="truth").height
    assert accounts["domain"].is_unique().all() and expected == work.height > 150
    counts = matching_counts(matching.variants["blanked, matched"], blanked)
    assert counts["free_mail"] > 10 and counts["free_mail_matched"] == 0
    assert counts["restored"] == counts["by_domain"] == expected
    assert counts["wrong_account"] == 0 and counts["by_company"] == 0
    export = read_export(matching.variants["blanked, matched"], require_outcomes=True)
    assert export.matching is not None and "email" not in export.contacts.columns
    free = export.matching.join(blanked.filter(pl.col("email_kind") == "free mail"), on="contact_id")
    assert free.height == counts["free_mail"] and free["email_domain"].is_null().all()
    assert (free["account_match"] == "none").all()
    # without the emails nothing can be matched
    assert matching_counts(matching.variants["blanked, no email"], blanked)["by_domain"] == 0
