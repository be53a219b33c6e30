"""Determinism and invariance: what happens after the cutoff, the order of rows and the chunk size
never change a feature or a score, and the same data and seed give the same scores.

The properties are checked with hypothesis on the tiny hand-built export (see conftest); the
scores on one model trained on the small generated export (3,000 contacts).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from propensity._config import FeatureConfig, LabelConfig, load_config
from propensity.features._builder import FeatureBuilder
from propensity.io._export import CrmExport, validate_export
from propensity.scoring._batch import default_as_of, score_leads
from propensity.training._labels import open_leads
from tests.conftest import make_export, tiny_tables

T = datetime(2025, 4, 1)
CFG = FeatureConfig(min_event_type_count=1)
CONTACTS = ["C1", "C2", "C3", "C4", "C5", "C404"]  # C404 is unknown: its rows are dropped and counted
EVENT_TYPES = ["email_open", "web_visit", "pricing_page_view", "demo_request", "webinar_attended"]
OUTCOMES = ["opportunity", "mql", "closed_won"]


def _after(t: datetime, max_days: int = 400) -> st.SearchStrategy[str]:
    """An ISO timestamp strictly after `t`, written in a random zone (mixed zones are valid)."""
    seconds = st.integers(min_value=1, max_value=max_days * 86_400)
    hours = st.integers(min_value=-11, max_value=12)
    return st.builds(
        lambda s, h: (t.replace(tzinfo=timezone.utc) + timedelta(seconds=s)).astimezone(timezone(timedelta(hours=h))).isoformat(),
        seconds,
        hours,
    )


def _rows(kind: str, values: list[str], t: datetime, contacts: list[str] = CONTACTS, max_size: int = 12) -> st.SearchStrategy[list[dict[str, str]]]:
    row = st.fixed_dictionaries(
        {"contact_id": st.sampled_from(contacts), "occurred_at": _after(t), kind: st.sampled_from(values)}
    )
    return st.lists(row, max_size=max_size)


def _with_rows(tables: dict[str, pl.DataFrame], table: str, rows: list[dict[str, str]]) -> dict[str, pl.DataFrame]:
    if not rows:
        return tables
    extra = pl.DataFrame(rows, schema={c: pl.String for c in tables[table].columns})
    return {**tables, table: pl.concat([tables[table], extra])}


def _features(export: CrmExport, cutoff: datetime = T) -> pl.DataFrame:
    builder = FeatureBuilder(CFG).fit(export, cutoff)
    pairs = open_leads(export.contacts, export.outcomes, [cutoff], LabelConfig()).select("contact_id", "cutoff")
    return builder.transform(export, pairs.sort("contact_id"))


BASE_FEATURES = _features(make_export(tiny_tables()))


# ------------------------------------------------------------------ features (tiny export)
@settings(max_examples=40, deadline=None)
@given(events=_rows("event_type", EVENT_TYPES, T), outcomes=_rows("outcome", OUTCOMES, T))
def test_events_and_outcomes_after_the_cutoff_never_change_a_feature(events, outcomes) -> None:  # type: ignore[no-untyped-def]
    tables = _with_rows(_with_rows(tiny_tables(), "events", events), "outcomes", outcomes)
    assert_frame_equal(_features(make_export(tables)), BASE_FEATURES, check_exact=True)


@settings(max_examples=40, deadline=None)
@given(seeds=st.tuples(*[st.integers(min_value=0, max_value=2**32 - 1)] * 4))
def test_shuffling_rows_never_changes_a_feature(seeds) -> None:  # type: ignore[no-untyped-def]
    tables = {name: frame.sample(fraction=1.0, shuffle=True, seed=seed) for (name, frame), seed in zip(tiny_tables().items(), seeds)}
    assert_frame_equal(_features(make_export(tables)), BASE_FEATURES, check_exact=True)


def test_the_base_features_are_not_empty() -> None:
    # the properties above compare against this: C1, C2 and C3 are open leads at T with history
    assert BASE_FEATURES["contact_id"].to_list() == ["C1", "C2", "C3"]
    assert BASE_FEATURES.row(0, named=True)["n_pricing_page_view_7d"] == 2


# ---------------------------------------------------------------- scores (one trained model)
@pytest.fixture(scope="module")
def trained(small_crm):  # type: ignore[no-untyped-def]
    """The small export and two models trained on it with the same config and seed (no tracking)."""
    from propensity.io._sources import read_export
    from propensity.training._train import train

    export = read_export(small_crm, require_outcomes=True)
    # the search on: a deterministic one, where the trial count (not the machine's load) decides
    config = load_config()
    config = dataclasses.replace(config, search=dataclasses.replace(config.search, trials=3, min_positives=0, deterministic=True))
    first = train(export, config, tracking_uri=None)
    second = train(export, config, tracking_uri=None)
    scores = score_leads(export, first.model, model_version="1", as_of=default_as_of(export)).scores
    return {"export": export, "model": first.model, "again": second.model, "dir": small_crm, "scores": scores}


def _scores(export: CrmExport, model, **kwargs) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    return score_leads(export, model, model_version="1", **kwargs).scores


@pytest.mark.slow
def test_same_data_and_seed_give_identical_models_and_scores(trained) -> None:  # type: ignore[no-untyped-def]
    a, b = trained["model"], trained["again"]
    assert a.booster.model_to_string() == b.booster.model_to_string()
    assert a.calibration == b.calibration
    assert_frame_equal(_scores(trained["export"], a), _scores(trained["export"], b), check_exact=True)


@pytest.mark.slow
def test_shuffled_input_files_give_identical_scores(trained) -> None:  # type: ignore[no-untyped-def]
    folder = trained["dir"]
    raw = {
        name: pl.read_csv(folder / f"{name}.csv", infer_schema=False).sample(fraction=1.0, shuffle=True, seed=i)
        for i, name in enumerate(("contacts", "accounts", "events", "outcomes"))
    }
    shuffled = validate_export(raw, names={n: f"{n}.csv" for n in raw}, source="shuffled", fingerprint="shuffled")
    assert shuffled.events["contact_id"].to_list() != trained["export"].events["contact_id"].to_list()
    assert_frame_equal(_scores(shuffled, trained["model"]), _scores(trained["export"], trained["model"]), check_exact=True)


@pytest.mark.slow
def test_chunk_size_never_changes_a_score(trained) -> None:  # type: ignore[no-untyped-def]
    export = trained["export"]
    # chunk size 1 costs a model call per lead: a slice of the export keeps it to ~150 leads
    keep = export.contacts["contact_id"].sort().head(160).implode()
    part = dataclasses.replace(
        export,
        contacts=export.contacts.filter(pl.col("contact_id").is_in(keep)),
        events=export.events.filter(pl.col("contact_id").is_in(keep)),
        outcomes=export.outcomes.filter(pl.col("contact_id").is_in(keep)),  # type: ignore[union-attr]
    )
    whole = _scores(part, trained["model"], chunk_size=100_000)
    assert whole.height > 100
    for size in (1, 7):
        assert_frame_equal(_scores(part, trained["model"], chunk_size=size), whole, check_exact=True)


@pytest.mark.slow
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_events_and_outcomes_after_the_as_of_date_never_change_a_score(trained, data) -> None:  # type: ignore[no-untyped-def]
    export: CrmExport = trained["export"]
    as_of = default_as_of(export)
    ids = export.contacts["contact_id"].head(50).to_list()
    events = data.draw(_rows("event_type", EVENT_TYPES, as_of, ids, max_size=30))
    outcomes = data.draw(_rows("outcome", OUTCOMES, as_of, ids, max_size=10))
    raw = {
        "contacts": export.contacts.filter(pl.col("contact_id").is_in(ids)),
        "events": pl.DataFrame(events, schema={"contact_id": pl.String, "occurred_at": pl.String, "event_type": pl.String}),
        "outcomes": pl.DataFrame(outcomes, schema={"contact_id": pl.String, "occurred_at": pl.String, "outcome": pl.String}),
    }
    later = validate_export(raw, names={}, source="later", fingerprint="later")
    grown = dataclasses.replace(
        export,
        events=pl.concat([export.events, later.events]),
        outcomes=pl.concat([export.outcomes, later.outcomes]),  # type: ignore[list-item]
    )
    assert_frame_equal(_scores(grown, trained["model"], as_of=as_of), trained["scores"], check_exact=True)
