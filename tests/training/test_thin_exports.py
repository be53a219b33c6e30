"""Thin exports train: no events (the contract allows an empty events table), one event type, no
accounts. The model learns from who the leads are and how old they are, and a feature that holds no
information in the export (constant, or all missing) is left out of the model, its drivers and reasons.

The exports are a small generated CRM (3,000 contacts, 18 months) thinned the way real ones are:
events emptied or cut to one type, account ids and accounts removed, a column nobody fills in added.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from propensity._config import Config, FeatureConfig
from propensity._errors import PropensityError
from propensity.features._builder import FeatureBuilder
from propensity.features._spec import FeatureSpec
from propensity.io._sources import read_export
from propensity.training._labels import SplitPlan
from propensity.training._no_information import guard_training_set, uninformative
from propensity.training._training_set import TrainingSet
from tests.conftest import make_export, tiny_tables

# Features computed from events: none of them may exist when the export has no events.
_EVENT_KINDS = {"count", "recency", "age", "trend", "accel", "distinct", "decay", "flag", "share", "seniority_share", "lag"}
_FIRMOGRAPHICS = {"industry", "country", "employee_count", "annual_revenue"}
_EVENT_FIELDS = {"recency", "first_touch", "trend", "breadth", "decayed_engagement", "unsubscribe", "account_engagement",
                 "committee_seniority", "committee_departments", "contact_share", "account_trend", "account_intent"}
_NO_EVENTS_CSV = "contact_id,occurred_at,event_type\n"  # the contract's columns, no row
T = datetime(2025, 4, 1)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from propensity.synthetic._generate import generate_crm

    out = tmp_path_factory.mktemp("thin") / "full"
    generate_crm(out, n_contacts=3000, seed=7, months=18, fmt="parquet")
    return out


def _thin(full: Path, out: Path, *, events: str, accounts: bool = True, extra: dict[str, pl.Expr] | None = None) -> Path:
    """A copy of `full` with events 'none' (an empty table), 'one' (web visits only) or 'all';
    without account ids and accounts unless `accounts`; `extra` columns added to contacts."""
    out.mkdir()
    shutil.copy(full / "outcomes.parquet", out / "outcomes.parquet")
    contacts = pl.read_parquet(full / "contacts.parquet")
    if accounts:
        shutil.copy(full / "accounts.parquet", out / "accounts.parquet")
    else:
        contacts = contacts.drop("account_id")
    if extra:
        contacts = contacts.with_columns(**extra)
    contacts.write_parquet(out / "contacts.parquet")
    if events == "none":
        (out / "events.csv").write_text(_NO_EVENTS_CSV, encoding="utf-8")
    else:
        table = pl.read_parquet(full / "events.parquet")
        if events == "one":
            table = table.filter(pl.col("event_type") == "web_visit")
        table.write_parquet(out / "events.parquet")
    return out


def _train(folder: Path):  # type: ignore[no-untyped-def]
    from propensity.training._train import train

    return train(read_export(folder), Config(), tracking_uri=None)


@pytest.fixture(scope="module")
def no_events(generated: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """No events, no accounts; contacts carry an attribute nobody varies and one nobody fills in."""
    extra = {"region": pl.lit("EMEA"), "score_version": pl.lit(2.0), "budget_note": pl.lit(None, dtype=pl.String)}
    folder = _thin(generated, tmp_path_factory.mktemp("thin") / "no_events", events="none", accounts=False, extra=extra)
    return folder, _train(folder)


# ------------------------------------------------------------------------------- fast rules
def test_feature_builder_without_events_builds_only_who_and_how_old_the_leads_are() -> None:
    tables = tiny_tables()
    tables["events"] = tables["events"].clear()
    export = make_export(tables)
    spec = FeatureBuilder().fit(export, T).spec_
    assert spec.event_types == ()
    assert not [f.name for f in spec.features if f.kind in _EVENT_KINDS]
    # accounts are present in the tiny export: its firmographics and account size stay, no engagement
    assert spec.names == ["acct_contacts", "title_seniority", "title_department", "contact_age_days", "lead_source",
                          "industry", "employee_count", "annual_revenue", "country"]


def test_feature_builder_without_accounts_has_no_firmographics() -> None:
    tables = tiny_tables()
    tables["accounts"] = None
    tables["contacts"] = tables["contacts"].drop("account_id")
    spec = FeatureBuilder(FeatureConfig(min_event_type_count=1)).fit(make_export(tables), T).spec_
    assert not _FIRMOGRAPHICS & set(spec.names)
    assert not [n for n in spec.names if n.startswith("acct_")]
    assert "n_pricing_page_view_30d" in spec.names  # the events still count


def test_constant_and_all_missing_features_hold_no_information() -> None:
    frame = pl.DataFrame(
        {
            "same": [1.0, 1.0, 1.0, 1.0],
            "empty": pl.Series([None, None, None, None], dtype=pl.Float32),
            "empty_text": pl.Series([None, None, None, None], dtype=pl.String),
            "same_text": ["EMEA"] * 4,
            "some": [1.0, None, None, 1.0],  # present for some leads only: that says something
            "varies": [0.0, 1.0, 2.0, 3.0],
            # NaN is a value of its own (min and max skip it): only NaN is constant; NaN beside a number varies
            "only_nan": [float("nan")] * 4,
            "nan_and_one": [float("nan"), 1.0, 1.0, 1.0],
            "nan_and_missing": [float("nan"), None, None, None],
            "same_category": pl.Series(["a"] * 4, dtype=pl.Categorical),
            "two_categories": pl.Series(["a", "b", "a", "a"], dtype=pl.Categorical),
            "same_flag": [True] * 4,
            "same_count": pl.Series([7, 7, 7, 7], dtype=pl.Int32),
            "counts": pl.Series([7, 7, 7, 8], dtype=pl.Int32),
        }
    )
    assert uninformative(frame, frame.columns) == {
        "same": "constant", "empty": "all missing", "empty_text": "all missing", "same_text": "constant",
        "only_nan": "constant", "same_category": "constant", "same_flag": "constant", "same_count": "constant",
    }


def _training_set(frame: pl.DataFrame, spec: FeatureSpec) -> TrainingSet:
    plan = SplitPlan(cutoffs=(T,), folds=())
    return TrainingSet(frame.with_columns(pl.lit(-1, dtype=pl.Int8).alias("fold")), FeatureBuilder.from_spec(spec), plan)


def test_a_training_set_where_no_feature_varies_is_refused_in_one_line() -> None:
    from propensity.features._spec import FeatureDef

    spec = FeatureSpec(features=(FeatureDef("contact_age_days", "numeric", "contact_age"), FeatureDef("region", "category", "region")),
                       event_types=(), high_intent_events=(), categories={"region": ()})
    frame = pl.DataFrame({"contact_id": ["a", "b"], "cutoff": [T, T], "label": [0, 1], "contact_age_days": [3.0, 3.0],
                          "region": pl.Series([None, None], dtype=pl.String)})
    with pytest.raises(PropensityError, match=r"^nothing to learn from: every feature is constant or missing over the training "
                                              r"leads \(contact_age_days, region\); [^\n]+$"):
        guard_training_set(_training_set(frame, spec), Config())


def test_guard_records_the_features_left_out_for_lack_of_information() -> None:
    from propensity.features._spec import FeatureDef

    spec = FeatureSpec(features=(FeatureDef("contact_age_days", "numeric", "contact_age", source="created_at"),
                                 FeatureDef("region", "category", "region", source="contacts.region")),
                       event_types=(), high_intent_events=(), categories={"region": ("EMEA",)})
    rng = np.random.default_rng(0)
    frame = pl.DataFrame({"contact_id": [str(i) for i in range(40)], "cutoff": [T] * 40, "label": [0, 1] * 20,
                          "contact_age_days": rng.uniform(0, 300, 40), "region": ["EMEA"] * 40})
    guard = guard_training_set(_training_set(frame, spec), Config())
    assert guard.training_set.builder.spec_.names == ["contact_age_days"]
    assert "region" not in guard.training_set.frame.columns
    assert [v.column for v in guard.verdicts] == ["contact_age_days"]  # judged for leakage: the informative ones only
    assert guard.to_dict()["no_information"] == [{"column": "region", "reason": "no information: constant", "source": "contacts.region"}]


# -------------------------------------------------------- end to end (a few seconds each: not marked slow)
def test_an_export_without_events_or_accounts_trains_on_who_the_leads_are(no_events) -> None:  # type: ignore[no-untyped-def]
    _, result = no_events
    spec = result.model.spec
    assert spec.event_types == ()
    assert not [f.name for f in spec.features if f.kind in _EVENT_KINDS or f.name.startswith("acct_")]
    assert not _FIRMOGRAPHICS & set(spec.names)
    assert {"contact_age_days", "title_seniority", "lead_source"} <= set(spec.names)
    fields = set(result.drivers["field"])
    assert not fields & (_EVENT_FIELDS | _FIRMOGRAPHICS)
    assert "contact_age" in fields and "seniority" in fields
    assert result.metrics["valid_roc_auc"] > 0.5  # measured 0.61-0.64 when written


def test_constant_and_all_missing_columns_are_left_out_of_model_drivers_and_reasons(no_events) -> None:  # type: ignore[no-untyped-def]
    from propensity._model import to_model_frame
    from propensity.scoring._reasons import top_reasons
    from propensity.training._labels import open_leads

    folder, result = no_events
    spec = result.model.spec
    for name in ("region", "score_version", "budget_note"):
        assert name not in spec.names
        assert name not in set(result.drivers["field"])
    left_out = {d["column"]: d["reason"] for d in result.model.metadata["leakage"]["no_information"]}
    assert (left_out["region"], left_out["score_version"], left_out["budget_note"]) == (
        "no information: constant", "no information: constant", "no information: all missing"
    )
    export = read_export(folder)
    t = result.validation["cutoff"].max()
    pairs = open_leads(export.contacts, export.outcomes, [t], Config().label).select("contact_id", "cutoff").head(300)
    frame = to_model_frame(spec, FeatureBuilder.from_spec(spec).transform(export, pairs))
    reasons = top_reasons(spec, frame, result.model.contributions(frame))
    assert len(reasons) == pairs.height and all(reasons)
    assert not [r for r in reasons if "region" in r or "score version" in r or "budget note" in r]


def test_an_export_without_events_learns_from_its_accounts(generated: Path, tmp_path: Path) -> None:
    result = _train(_thin(generated, tmp_path / "accounts", events="none"))
    spec = result.model.spec
    assert not [f.name for f in spec.features if f.kind in _EVENT_KINDS]
    assert {"acct_contacts", "industry", "employee_count"} <= set(spec.names)
    assert spec.field_label("account_engagement") == "contacts at the account"  # not an engaged committee: no events
    assert not set(result.drivers["field"]) & _EVENT_FIELDS - {"account_engagement"}
    assert result.metrics["valid_roc_auc"] > 0.5  # measured 0.75 when written


def test_an_export_with_one_event_type_trains(generated: Path, tmp_path: Path) -> None:
    result = _train(_thin(generated, tmp_path / "one", events="one"))
    spec = result.model.spec
    assert spec.event_types == ("web_visit",)
    assert "n_web_visit_30d" in spec.names
    assert not [f.name for f in spec.features if f.kind == "distinct"]  # one type: no breadth of activity
    assert "breadth" not in set(result.drivers["field"])
    assert result.metrics["valid_roc_auc"] > 0.5


def test_a_category_with_one_known_level_reads_against_the_unknown() -> None:
    import pandas as pd

    from propensity.features._spec import FeatureDef
    from propensity.scoring._reasons import drivers

    # industry is filled in for two leads (Software) and unknown for two; the known ones score higher
    spec = FeatureSpec(features=(FeatureDef("industry", "category", "industry", source="accounts.industry"),),
                       event_types=(), high_intent_events=(), categories={"industry": ("Software",)})
    frame = pd.DataFrame({"industry": pd.Categorical(["Software", None, "Software", None], categories=["Software"])})
    contrib = np.array([[0.2, -1.0], [-0.1, -1.0], [0.3, -1.0], [-0.2, -1.0]])  # the feature's, then the bias
    assert drivers(spec, frame, contrib)["direction"].tolist() == ["higher for Software than when unknown"]
    assert drivers(spec, frame, -contrib)["direction"].tolist() == ["lower for Software than when unknown"]
