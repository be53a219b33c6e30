"""Write-back files: each CRM's import layout read back against the tool's documented format
(column names, types, value ranges, text lengths)."""

from __future__ import annotations

import csv
import math
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from propensity._config import WritebackConfig, load_config
from propensity._errors import UsageError
from propensity.scoring._writeback import fit_text, writeback_frame

LONG = "; ".join(f"+ {i} pricing-page views in the last 7 days, and a long tail of words to fill the field" for i in range(200))


def _scores() -> pl.DataFrame:
    # L1: A, up, short reasons.  L2: D, down, 200 long reasons (longer than every tool's limit).
    # L3: C, no trend (a points run or an older scores file): "new".  L4: B, steady.
    return pl.DataFrame(
        {
            "contact_id": ["L1", "L2", "L3", "L4"],
            "account_id": ["A1", None, "A2", "A2"],
            "score": [0.42, 0.004, 0.03, 0.09],
            "score_100": pl.Series([43, 1, 3, 9], dtype=pl.Int16),
            "grade": ["A", "D", "C", "B"],
            "percentile": pl.Series([99, 5, 40, 80], dtype=pl.Int16),
            "reasons": ["+ VP; + demo request 2 days ago", LONG, None, "+ 3 web visits in the last 7 days"],
            "model_version": ["1"] * 4,
            "trend": ["up", "down", None, "steady"],
        }
    )


def _read_back(frame: pl.DataFrame, tmp_path: Path) -> list[dict[str, str]]:
    out = tmp_path / "wb.csv"
    frame.write_csv(out)
    with out.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_salesforce_file_has_the_upsert_columns_picklist_values_and_text_within_255(tmp_path: Path) -> None:
    rows = _read_back(writeback_frame(_scores(), "salesforce"), tmp_path)
    assert list(rows[0]) == ["Id", "Propensity_Score__c", "Propensity_Grade__c", "Propensity_Trend__c", "Propensity_Reasons__c"]
    assert [r["Id"] for r in rows] == ["L1", "L2", "L3", "L4"]
    assert [r["Propensity_Trend__c"] for r in rows] == ["Up", "Down", "New", "Steady"]
    assert {r["Propensity_Grade__c"] for r in rows} <= {"A", "B", "C", "D"}
    assert [int(r["Propensity_Score__c"]) for r in rows] == [43, 1, 3, 9]
    assert all(len(r["Propensity_Reasons__c"]) <= 255 for r in rows)
    assert rows[0]["Propensity_Reasons__c"] == "+ VP; + demo request 2 days ago"
    # cut at a whole reason: what is kept is the first reasons, each complete
    kept = rows[1]["Propensity_Reasons__c"].split("; ")
    assert kept == LONG.split("; ")[: len(kept)] and len(kept) == 2
    assert rows[2]["Propensity_Reasons__c"] == ""


def test_hubspot_file_is_keyed_by_record_id_never_an_email(tmp_path: Path) -> None:
    rows = _read_back(writeback_frame(_scores(), "hubspot"), tmp_path)
    assert list(rows[0]) == ["Record ID", "propensity_score", "propensity_grade", "propensity_trend", "propensity_reasons"]
    assert not any("mail" in c.lower() for c in rows[0])
    assert [r["propensity_trend"] for r in rows] == ["up", "down", "new", "steady"]
    assert all(1 <= int(r["propensity_score"]) <= 100 for r in rows)
    assert all(len(r["propensity_reasons"]) <= 65_536 for r in rows)
    assert rows[1]["propensity_reasons"] == LONG  # 200 reasons fit HubSpot's limit whole


def test_dynamics_file_holds_msdyn_predictivescore_columns_with_choice_codes(tmp_path: Path) -> None:
    frame = writeback_frame(_scores(), "dynamics", as_of=datetime(2026, 3, 1, 12))
    assert frame.schema["msdyn_score"] == pl.Int64 and frame.schema["msdyn_grade"] == pl.Int64 and frame.schema["msdyn_scoretrend"] == pl.Int64
    rows = _read_back(frame, tmp_path)
    assert list(rows[0]) == ["msdyn_entityid", "msdyn_entitytype", "msdyn_score", "msdyn_grade", "msdyn_scoretrend",
                             "msdyn_scorereasons", "msdyn_scoredon", "msdyn_name"]
    assert [int(r["msdyn_grade"]) for r in rows] == [0, 3, 2, 1]  # Grade A=0 ... Grade D=3
    assert [int(r["msdyn_scoretrend"]) for r in rows] == [0, 2, 3, 1]  # improving, declining, not enough info, steady
    assert all(0 <= int(r["msdyn_score"]) <= 100 for r in rows)
    assert all(len(r["msdyn_scorereasons"]) <= 10_000 and len(r["msdyn_name"]) <= 128 and len(r["msdyn_entityid"]) <= 256 for r in rows)
    assert {r["msdyn_entitytype"] for r in rows} == {"lead"}
    assert {date.fromisoformat(r["msdyn_scoredon"]) for r in rows} == {date(2026, 3, 1)}


def test_column_names_come_from_the_writeback_section(tmp_path: Path) -> None:
    cfg = tmp_path / "wb.toml"
    cfg.write_text('[writeback.salesforce]\nexternal_id = "Lead_Key__c"\ngrade = "Lead_Grade__c"\n', encoding="utf-8")
    frame = writeback_frame(_scores(), "salesforce", load_config(cfg).writeback)
    assert frame.columns == ["Lead_Key__c", "Propensity_Score__c", "Lead_Grade__c", "Propensity_Trend__c", "Propensity_Reasons__c"]
    with pytest.raises(UsageError, match=r"two columns have the same name"):
        writeback_frame(_scores(), "hubspot", WritebackConfig(hubspot={"score": "x", "grade": "x"}))
    cfg.write_text('[writeback.dynamics]\nlead_score = "x"\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"\[writeback.dynamics\]: unknown column 'lead_score'"):
        load_config(cfg)


def _with_views() -> pl.DataFrame:
    # L1 B1, L2 D4, L3 C3, L4 A1: the view columns as `propensity score` writes them
    return _scores().with_columns(
        pl.Series("fit", [0.031, 0.0004, 0.012, 0.2]), pl.Series("fit_grade", ["B", "D", "C", "A"]),
        pl.Series("engagement", [0.42, 0.001, 0.05, 0.9999]), pl.Series("engagement_level", [1, 4, 3, 1], dtype=pl.Int8),
        pl.Series("fit_engagement", ["B1", "D4", "C3", "A1"]),
    )


VIEW_NAMES = {
    "salesforce": ["Propensity_Fit__c", "Propensity_Fit_Grade__c", "Propensity_Engagement__c", "Propensity_Engagement_Level__c",
                   "Propensity_Fit_Engagement__c"],
    "hubspot": ["propensity_fit", "propensity_fit_grade", "propensity_engagement", "propensity_engagement_level", "propensity_fit_engagement"],
}


@pytest.mark.parametrize("tool", ["salesforce", "hubspot"])
def test_salesforce_and_hubspot_files_carry_the_views_as_numbers_and_picklist_values(tool: str, tmp_path: Path) -> None:
    from propensity.scoring._views import CELLS

    rows = _read_back(writeback_frame(_with_views(), tool), tmp_path)
    base = list(_read_back(writeback_frame(_scores(), tool), tmp_path)[0])
    fit, fit_grade, engagement, level, cell = VIEW_NAMES[tool]
    assert list(rows[0]) == [*base, fit, fit_grade, engagement, level, cell]  # the views after the score's columns
    assert [int(r[fit]) for r in rows] == [4, 1, 2, 20]  # percent, 1-100, rounded up as the score
    assert [int(r[engagement]) for r in rows] == [42, 1, 5, 100]
    assert [r[fit_grade] for r in rows] == ["B", "D", "C", "A"]
    assert [int(r[level]) for r in rows] == [1, 4, 3, 1]
    assert [r[cell] for r in rows] == ["B1", "D4", "C3", "A1"] and {r[cell] for r in rows} <= set(CELLS)


def test_dynamics_has_no_field_for_the_views_and_its_file_holds_none(tmp_path: Path) -> None:
    with_views = writeback_frame(_with_views(), "dynamics", as_of=datetime(2026, 3, 1))
    assert with_views.equals(writeback_frame(_scores(), "dynamics", as_of=datetime(2026, 3, 1)))
    cfg = tmp_path / "wb.toml"
    cfg.write_text('[writeback.dynamics]\nfit = "msdyn_fit"\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"\[writeback.dynamics\]: unknown column 'fit'"):
        load_config(cfg)


def test_view_columns_are_renamed_or_left_out_by_the_writeback_section(tmp_path: Path) -> None:
    cfg = tmp_path / "wb.toml"
    cfg.write_text('[writeback.hubspot]\nfit = ""\nengagement_level = ""\nfit_engagement = "lead_matrix"\n', encoding="utf-8")
    frame = writeback_frame(_with_views(), "hubspot", load_config(cfg).writeback)
    assert frame.columns[5:] == ["propensity_fit_grade", "propensity_engagement", "lead_matrix"]
    assert frame["lead_matrix"].to_list() == ["B1", "D4", "C3", "A1"]
    cfg.write_text('[writeback.hubspot]\nscore = ""\n', encoding="utf-8")  # only a view may be left out
    with pytest.raises(UsageError, match=r"\[writeback.hubspot\] score must name a column, got ''"):
        load_config(cfg)
    cfg.write_text('[writeback.hubspot]\nfit = "  "\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"\[writeback.hubspot\] fit must name a column, got '  '"):
        load_config(cfg)
    with pytest.raises(UsageError, match=r"two columns have the same name"):
        writeback_frame(_with_views(), "salesforce", WritebackConfig(salesforce={"fit": "Propensity_Score__c"}))


def test_one_reason_longer_than_the_limit_is_cut_to_the_limit() -> None:
    assert fit_text("x" * 300, 255) == "x" * 252 + "..."
    assert len(fit_text("a; " + "y" * 300, 255)) == 1


def test_cli_writes_a_write_back_file_and_refuses_a_parquet_one(small_crm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from propensity.cli import main

    out = tmp_path / "sf.csv"
    assert main(["-q", "score", str(small_crm), "--points", "--format", "salesforce", "--out", str(out)]) == 0
    frame = pl.read_csv(out, infer_schema=False)
    assert frame.columns == ["Id", "Propensity_Score__c", "Propensity_Grade__c", "Propensity_Trend__c", "Propensity_Reasons__c"]
    assert frame.height > 0 and set(frame["Propensity_Grade__c"]) <= {"A", "B", "C", "D"}
    assert (frame["Propensity_Reasons__c"].fill_null("").str.len_chars() <= 255).all()
    assert main(["score", str(small_crm), "--points", "--format", "hubspot", "--out", str(tmp_path / "h.parquet")]) == 2
    assert "--format hubspot writes a CSV file to import: --out must end in .csv" in capsys.readouterr().err


@pytest.mark.slow
def test_a_model_with_views_writes_them_back_as_its_scores_file_has_them(report_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """End to end: `propensity score --format hubspot` with the registered model (views included),
    read back against the scores file of the same model and export."""
    from propensity.cli import main

    out = tmp_path / "hs.csv"
    assert main(["-q", "score", str(report_store["crm"]), "--model", "models:/lead-propensity@champion", "--format", "hubspot",
                 "--out", str(out), "--tracking-uri", report_store["uri"], "--history", str(tmp_path / "h.db")]) == 0
    rows = {r["Record ID"]: r for r in _read_back(pl.read_csv(out, infer_schema=False), tmp_path)}
    scores = pl.read_csv(report_store["scores"])
    assert len(rows) == scores.height and list(next(iter(rows.values())))[5:] == VIEW_NAMES["hubspot"]
    for s in scores.iter_rows(named=True):
        r = rows[s["contact_id"]]
        assert r["propensity_fit_engagement"] == s["fit_engagement"] and r["propensity_fit_grade"] == s["fit_grade"]
        assert int(r["propensity_engagement_level"]) == s["engagement_level"]
        assert 1 <= int(r["propensity_fit"]) <= 100 and int(r["propensity_fit"]) == max(1, math.ceil(100 * s["fit"]))
