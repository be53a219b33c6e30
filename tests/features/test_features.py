"""Point-in-time features on the tiny hand-built history (see conftest: a comment per contact)."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from propensity._config import FeatureConfig, LabelConfig
from propensity.features._builder import FeatureBuilder
from propensity.training._labels import open_leads
from tests.conftest import make_export, tiny_tables

T = datetime(2025, 4, 1)
CFG = FeatureConfig(min_event_type_count=1)


def _features(export, cutoff=T):  # type: ignore[no-untyped-def]
    builder = FeatureBuilder(CFG).fit(export, cutoff)
    pairs = open_leads(export.contacts, export.outcomes, [cutoff], LabelConfig()).select("contact_id", "cutoff")
    feats = builder.transform(export, pairs)
    return builder, {r["contact_id"]: r for r in feats.iter_rows(named=True)}


def test_event_types_are_learned_from_the_data(tiny_export) -> None:  # type: ignore[no-untyped-def]
    builder, _ = _features(tiny_export)
    # web_visit occurs only before T via C5 and after T via C1: it is known at T once
    assert builder.spec_.event_types == ("demo_request", "email_open", "pricing_page_view", "web_visit")


def test_engagement_counts_recency_and_first_touch(tiny_export) -> None:  # type: ignore[no-untyped-def]
    _, f = _features(tiny_export)
    c1 = f["C1"]
    assert (c1["n_pricing_page_view_7d"], c1["n_pricing_page_view_30d"], c1["n_pricing_page_view_90d"]) == (2, 2, 2)
    assert (c1["n_email_open_30d"], c1["n_email_open_90d"]) == (0, 1)
    assert c1["days_since_pricing_page_view"] == pytest.approx(2.0)
    assert c1["days_since_last_event"] == pytest.approx(2.0)
    assert c1["days_since_first_event"] == pytest.approx(45.0)
    assert c1["distinct_types_365d"] == 2
    # C1 had 2 events in the last 30 days and 1 (the open, 45 days ago) in the 30 before
    assert c1["trend_30d"] == 1
    c2 = f["C2"]
    assert c2["days_since_email_open"] == pytest.approx(0.5)
    assert c2["days_since_demo_request"] == pytest.approx(22.0)


def test_contact_without_events_has_zero_counts_and_no_recency(tiny_export) -> None:  # type: ignore[no-untyped-def]
    _, f = _features(tiny_export)
    c3 = f["C3"]
    assert c3["n_pricing_page_view_90d"] == 0 and c3["trend_30d"] == 0
    assert c3["days_since_last_event"] is None and c3["days_since_first_event"] is None
    # no account: account features and firmographics are missing, not zero
    assert c3["acct_engaged_contacts_30d"] is None and c3["industry"] is None


def test_buying_committee_features_count_the_account_contacts(tiny_export) -> None:  # type: ignore[no-untyped-def]
    _, f = _features(tiny_export)
    c1 = f["C1"]
    # A1: C1 (VP) and C2 (director) both engaged in the last 30 days, both with high-intent events;
    # C4 belongs to A1 but does not exist yet at T
    assert c1["acct_engaged_contacts_30d"] == 2
    # the committee by seniority band: one executive (the VP), one director
    assert (c1["acct_engaged_executive_30d"], c1["acct_engaged_director_30d"], c1["acct_engaged_staff_30d"]) == (1, 1, 0)
    assert (c1["acct_engaged_it_dept_30d"], c1["acct_engaged_marketing_dept_30d"], c1["acct_engaged_departments_30d"]) == (1, 1, 2)
    assert c1["acct_contacts"] == 2
    assert c1["acct_high_intent_contacts_30d"] == 2
    assert c1["acct_high_intent_events_90d"] == 3
    assert f["C2"]["acct_engaged_contacts_30d"] == 2


def test_contact_and_firmographic_attributes(tiny_export) -> None:  # type: ignore[no-untyped-def]
    _, f = _features(tiny_export)
    c1 = f["C1"]
    assert (c1["title_seniority"], c1["title_department"]) == ("vp", "marketing")
    assert f["C2"]["title_seniority"] == "director" and f["C2"]["title_department"] == "it"
    assert (c1["industry"], c1["country"], c1["employee_count"], c1["lead_source"]) == ("Software", "US", 1200, "web")
    assert c1["contact_age_days"] == pytest.approx(90.0)


def test_instances_after_cutoff_time_removed(tiny_export) -> None:  # type: ignore[no-untyped-def]
    """Adding events after the cutoff never changes a feature."""
    builder, before = _features(tiny_export)
    tables = tiny_tables()
    later = pl.DataFrame(
        {
            "contact_id": ["C1", "C2", "C3", "C1"],
            "occurred_at": ["2025-04-01T00:00:01Z", "2025-06-01T00:00:00Z", "2025-04-02T00:00:00Z", "2026-01-01T00:00:00Z"],
            "event_type": ["pricing_page_view", "demo_request", "email_open", "web_visit"],
        }
    )
    tables["events"] = pl.concat([tables["events"], later])
    export2 = make_export(tables)
    pairs = open_leads(export2.contacts, export2.outcomes, [T], LabelConfig()).select("contact_id", "cutoff")
    after = {r["contact_id"]: r for r in builder.transform(export2, pairs).iter_rows(named=True)}
    assert after == before


def test_event_exactly_at_cutoff_counts(tiny_export) -> None:  # type: ignore[no-untyped-def]
    builder, _ = _features(tiny_export)
    tables = tiny_tables()
    tables["events"] = pl.concat(
        [tables["events"], pl.DataFrame({"contact_id": ["C3"], "occurred_at": ["2025-04-01T00:00:00Z"], "event_type": ["web_visit"]})]
    )
    export2 = make_export(tables)
    pairs = pl.DataFrame({"contact_id": ["C3"], "cutoff": [T]}, schema={"contact_id": pl.String, "cutoff": pl.Datetime("us")})
    row = builder.transform(export2, pairs).row(0, named=True)
    assert row["n_web_visit_7d"] == 1 and row["days_since_web_visit"] == 0.0


def test_transform_keeps_the_order_of_the_pairs_across_cutoffs(tiny_export) -> None:  # type: ignore[no-untyped-def]
    builder, _ = _features(tiny_export)
    early = T - timedelta(days=20)
    pairs = pl.DataFrame(
        {"contact_id": ["C2", "C1", "C1", "C2"], "cutoff": [T, early, T, early]},
        schema={"contact_id": pl.String, "cutoff": pl.Datetime("us")},
    )
    out = builder.transform(tiny_export, pairs)
    assert out["contact_id"].to_list() == ["C2", "C1", "C1", "C2"]
    # 20 days earlier C1 had seen no pricing views yet
    assert out["n_pricing_page_view_90d"].to_list() == [0, 0, 2, 0]


def test_unfitted_builder_refuses_to_transform(tiny_export) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError, match="not fitted"):
        FeatureBuilder().transform(tiny_export, pl.DataFrame({"contact_id": ["C1"], "cutoff": [T]}))


def test_no_pairs_give_an_empty_table_with_every_feature(tiny_export) -> None:  # type: ignore[no-untyped-def]
    builder = FeatureBuilder(CFG).fit(tiny_export, T)
    none = pl.DataFrame(schema={"contact_id": pl.String, "cutoff": pl.Datetime("us")})
    feats = builder.transform(tiny_export, none)
    assert feats.height == 0
    assert feats.columns == ["contact_id", "cutoff", *builder.spec_.names]
