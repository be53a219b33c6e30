"""Values matched the way people mean them: event types, outcomes and categories spelled several ways
(case, spaces, underscores, hyphens, a configured alias) are one value in their commonest spelling;
exact duplicate events count once; the read line says so."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from propensity._config import (
    Config,
    FeatureConfig,
    LabelConfig,
    SearchConfig,
    load_config,
)
from propensity.cli import main
from propensity.features._builder import FeatureBuilder
from propensity.io._export import validate_export
from propensity.io._outcome_names import resolve_outcome_names
from propensity.io._sources import read_export
from propensity.io._spelling import merge_spellings, reading_aliases, spelling_key
from propensity.synthetic._generate import generate_crm
from tests.conftest import make_export, tiny_tables


def test_spellings_differing_in_case_spaces_underscores_and_hyphens_share_a_key() -> None:
    keys = {spelling_key(s) for s in ("case_study_view", "Case Study View", " case-study-view ", "CASE  STUDY_view")}
    assert keys == {"casestudyview"}
    assert spelling_key("case.study.view") != "casestudyview"  # other punctuation is meaning, not spelling


def test_spellings_are_shown_in_the_commonest_one() -> None:
    values = pl.Series("event_type", ["Case Study View"] * 3 + ["case_study_view"] * 2 + ["case-study-view", "web_visit", None])
    merged, merges = merge_spellings(values, column="event_type")
    assert merged.to_list() == ["Case Study View"] * 6 + ["web_visit", None]
    assert [(m.shown, m.spellings, m.rows) for m in merges] == [("Case Study View", ("case_study_view", "case-study-view"), 3)]


def test_a_tie_goes_to_the_first_spelling_in_sort_order() -> None:
    merged, _ = merge_spellings(pl.Series("x", ["b a", "b_a"]), column="x")
    assert merged.to_list() == ["b a", "b a"]


def test_an_alias_maps_a_synonym_onto_the_value_it_means() -> None:
    values = pl.Series("event_type", ["webinar attendance", "Webinar-Attendance", "webinar_attended", "web_visit"])
    merged, merges = merge_spellings(values, column="event_type", aliases={"Webinar Attendance": "webinar_attended"})
    assert merged.to_list() == ["webinar_attended"] * 3 + ["web_visit"]
    assert merges[0].spellings == ("Webinar-Attendance", "webinar attendance")


def test_values_spelled_one_way_are_returned_untouched() -> None:
    values = pl.Series("event_type", ["a", "b", "a"])
    merged, merges = merge_spellings(values, column="event_type")
    assert merged is values and merges == ()


def _messy_tables() -> dict[str, pl.DataFrame]:
    tables = tiny_tables()
    extra = pl.DataFrame(
        {
            # C1 and C2 each saw the case study three times, spelled by two marketing tools
            "contact_id": ["C1", "C1", " C2", "C2", "C2", "C1"],
            "occurred_at": ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06"],
            "event_type": ["case_study_view", "Case Study View", " case_study_view ", "case-study-view", "case_study_view", "Case Study View"],
        }
    )
    events = pl.concat([tables["events"], extra, tables["events"].head(2)])  # two exact duplicates
    contacts = tables["contacts"].with_columns(
        pl.Series("lead_source", ["Web ", "web", "Paid-Search", "paid search", "web"])
    )
    outcomes = tables["outcomes"].with_columns(pl.Series("outcome", ["Opportunity", "MQL", " opportunity", "opportunity"]))
    return {**tables, "events": events, "contacts": contacts, "outcomes": outcomes}


def test_an_export_with_mixed_spellings_reads_as_one_value_each() -> None:
    export = make_export(_messy_tables())
    counts = dict(export.events.group_by("event_type").len().iter_rows())
    assert counts["case_study_view"] == 6 and "case study view" not in counts and "case-study-view" not in counts
    assert sorted(export.outcomes["outcome"].unique().to_list()) == ["mql", "opportunity"]  # type: ignore[index]
    assert sorted(export.contacts["lead_source"].unique().to_list()) == ["Paid-Search", "web"]
    assert export.report.duplicate_events == 2
    assert export.events.height == 7 + 6


def test_exact_duplicate_events_count_once() -> None:
    tables = tiny_tables()
    export = make_export({**tables, "events": pl.concat([tables["events"]] * 3)})
    assert export.events.height == tables["events"].height
    assert export.report.duplicate_events == 2 * tables["events"].height


def test_mixed_event_type_spellings_build_one_feature_each() -> None:
    """The issue's reproduction: 'case_study_view' and 'Case Study View' in one file crashed with
    DuplicateError: projections contained duplicate output name 'n_case_study_view_7d'."""
    export = make_export(_messy_tables())
    t = datetime(2025, 4, 1)
    builder = FeatureBuilder(FeatureConfig(min_event_type_count=1)).fit(export, t)
    pairs = pl.DataFrame({"contact_id": ["C1", "C2"], "cutoff": [t, t]})
    feats = builder.transform(export, pairs)
    assert [c for c in feats.columns if "case_study" in c].count("n_case_study_view_30d") == 1
    assert feats.sort("contact_id")["n_case_study_view_90d"].to_list() == [3, 3]


def test_configured_event_names_are_the_spelling_read() -> None:
    """An event type the config names (high intent, points) wins its spellings, even when rarer."""
    tables = tiny_tables()
    events = tables["events"].with_columns(pl.Series("event_type", ["Pricing Page View"] * 5 + ["pricing_page_view", "web_visit"]))
    names = {k: f"{k}.csv" for k in tables}
    export = validate_export({**tables, "events": events}, names=names, source="t", fingerprint="t", **reading_aliases(Config()))
    assert sorted(export.events["event_type"].unique().to_list()) == ["pricing_page_view", "web_visit"]


def test_positive_outcomes_match_the_exports_spelling() -> None:
    """'[label] positive_outcomes = ["Closed Won"]' means the export's closed_won (or its commonest spelling)."""
    tables = _messy_tables()
    outcomes = tables["outcomes"].with_columns(pl.Series("outcome", ["Closed Won", "closed won", "mql", "closed_won"]))
    export = make_export({**tables, "outcomes": outcomes})
    assert sorted(export.outcomes["outcome"].to_list()) == ["closed won"] * 3 + ["mql"]  # type: ignore[index]
    label = resolve_outcome_names(export.outcomes, LabelConfig(positive_outcomes=("closed_won", "mql", "renewal")))
    assert label.positive_outcomes == ("closed won", "mql", "renewal")  # a name the export lacks stays as configured


def test_aliases_are_read_from_the_config(tmp_path: Path) -> None:
    file = tmp_path / "training.toml"
    file.write_text('[events.aliases]\n"Webinar Attendance" = "webinar_attended"\n[outcomes.aliases]\n"Sales Accepted" = "sql"\n')
    config = load_config(file)
    aliases = reading_aliases(config)
    assert aliases["event_aliases"]["Webinar Attendance"] == "webinar_attended"
    assert aliases["outcome_aliases"]["Sales Accepted"] == "sql"


def test_an_alias_that_is_not_text_is_one_clear_error(tmp_path: Path) -> None:
    from propensity._errors import UsageError

    file = tmp_path / "training.toml"
    file.write_text("[events.aliases]\nwebinar = 3\n")
    with pytest.raises(UsageError, match=r"training\.toml: events\.aliases\['webinar'\] must be text, got 3$"):
        load_config(file)
    file.write_text('[events.aliases]\nwebinar = " "\n')
    with pytest.raises(UsageError, match=r"training\.toml: \[events\.aliases\] 'webinar' must name a value as text, got ' '$"):
        load_config(file)


def _messy_copy(clean: Path, out: Path) -> Path:
    """The clean export with the mess of real CRMs: an event type spelled three ways, stray spaces
    around values, an outcome in capitals and 1% of the events re-synced (exact duplicates)."""
    out.mkdir()
    for name in ("contacts", "accounts"):
        shutil.copy(clean / f"{name}.parquet", out / f"{name}.parquet")
    events = pl.read_parquet(clean / "events.parquet").with_row_index("i")
    spelled = (
        pl.when((pl.col("event_type") == "content_download") & (pl.col("i") % 3 == 1)).then(pl.lit("Content Download"))
        .when((pl.col("event_type") == "content_download") & (pl.col("i") % 3 == 2)).then(pl.lit("content-download"))
        .when(pl.col("i") % 7 == 0).then(pl.concat_str(pl.lit(" "), pl.col("event_type"), pl.lit("  ")))
        .otherwise(pl.col("event_type"))
    )
    events = events.with_columns(spelled.alias("event_type"))
    pl.concat([events, events.filter(pl.col("i") % 100 == 0)]).drop("i").sample(fraction=1.0, shuffle=True, seed=3).write_parquet(out / "events.parquet")
    outcomes = pl.read_parquet(clean / "outcomes.parquet")
    outcomes.with_columns(pl.when(pl.col("outcome") == "mql").then(pl.lit(" MQL")).otherwise(pl.col("outcome")).alias("outcome")).write_parquet(
        out / "outcomes.parquet"
    )
    return out


@pytest.fixture(scope="module")
def clean_and_messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("spelling")
    generate_crm(root / "clean", n_contacts=2000, seed=1)
    return root / "clean", _messy_copy(root / "clean", root / "messy")


def test_the_read_line_reports_merged_spellings_and_duplicates(clean_and_messy: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, messy = clean_and_messy
    code = main(["check", str(messy)])
    out = capsys.readouterr().out
    read_line = out.splitlines()[0]
    assert code in (0, 2), out
    merged = read_line.split("; spellings read as one: ")[1]
    assert merged.startswith("event_type '") and "'content download'" in merged and "'content-download'" in merged
    assert "as 'content_download'" in merged  # the config's spelling (points table, features) wins
    assert "outcome " not in merged  # ' MQL' is only stripped and lower-cased: one spelling, not a merge
    duplicates = pl.read_parquet(messy / "events.parquet").height - read_export(messy).events.height
    assert f"{duplicates:,} duplicate events counted once" in read_line
    assert read_line.count("content_download") == 1  # reported once


def test_a_messy_export_reads_as_the_clean_one(clean_and_messy: tuple[Path, Path]) -> None:
    clean, messy = (read_export(p, require_outcomes=True, **reading_aliases(Config())) for p in clean_and_messy)
    key = ["contact_id", "occurred_at", "event_type"]
    assert messy.events.sort(key).equals(clean.events.sort(key))
    assert messy.outcomes.sort(key[:2]).equals(clean.outcomes.sort(key[:2]))  # type: ignore[union-attr]


@pytest.mark.slow
def test_a_messy_export_trains_to_the_clean_figures(clean_and_messy: tuple[Path, Path]) -> None:
    from propensity.training._train import train

    config = Config(search=SearchConfig(trials=0))
    auc = [
        train(read_export(p, require_outcomes=True, **reading_aliases(config)), config, tracking_uri=None).metrics["valid_roc_auc"]
        for p in clean_and_messy
    ]
    assert abs(auc[0] - auc[1]) <= 0.01, auc
