"""Score history: appended by every scoring run, idempotent, and read back as surges and realised
conversion by grade."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from propensity._config import LabelConfig
from propensity._errors import UsageError
from propensity.lifecycle._score_history import (
    default_history_path,
    model_name_of,
    read_history,
    realised_conversion,
    record_scores,
    surges,
)
from propensity.training._labels import label_pairs

T1, T2, T3 = datetime(2025, 2, 1), datetime(2025, 3, 1), datetime(2025, 4, 1)


def _scores(rows: list[tuple[str, float, str, int, str]]) -> pl.DataFrame:
    """(contact_id, score, grade, percentile, reasons) -> a scores frame as `propensity score` writes it."""
    return pl.DataFrame(
        [(c, "A1", s, g, p, r) for c, s, g, p, r in rows],
        schema={"contact_id": pl.String, "account_id": pl.String, "score": pl.Float64, "grade": pl.String,
                "percentile": pl.Int16, "reasons": pl.String},
        orient="row",
    )


def _record(path: Path, as_of: datetime, rows: list[tuple[str, float, str, int, str]], version: str = "1", name: str = "lead-propensity") -> int:
    return record_scores(path, _scores(rows), as_of=as_of, model_name=name, model_version=version,
                         model_uri=f"models:/{name}@champion", positive_outcomes=["opportunity"], horizon_days=90)


def test_default_history_lives_beside_the_sqlite_tracking_store(tmp_path: Path) -> None:
    assert default_history_path(f"sqlite:///{tmp_path}/mlflow.db") == tmp_path / "score_history.db"
    assert default_history_path(None) == Path("models") / "score_history.db"
    assert default_history_path("http://mlflow:5000") == Path("models") / "score_history.db"
    assert model_name_of("models:/lead-propensity@champion") == "lead-propensity"
    assert model_name_of("models:/lead-propensity/3") == "lead-propensity"


def test_scoring_the_same_run_again_replaces_its_rows_instead_of_adding(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    rows = [("C1", 0.10, "A", 95, "+ 2 pricing-page views in the last 7 days"), ("C2", 0.01, "D", 20, "")]
    assert _record(db, T1, rows) == 2
    first = read_history(db)[1]
    assert _record(db, T1, rows) == 2
    assert _record(db, T1, [("C1", 0.12, "A", 96, "+ 3 pricing-page views in the last 7 days")]) == 1
    runs, scores = read_history(db)
    assert runs.height == 1 and scores.height == 2
    assert scores.filter(pl.col("contact_id") == "C1")["score"].item() == 0.12
    assert first.filter(pl.col("contact_id") == "C2").equals(scores.filter(pl.col("contact_id") == "C2"))
    _record(db, T1, rows, version="2")  # another model version at the same as-of is another run
    assert read_history(db)[1].height == 4


def test_rows_without_a_score_are_not_history(tmp_path: Path) -> None:
    frame = _scores([("C1", 0.1, "A", 90, "")]).vstack(
        pl.DataFrame({"contact_id": ["C2"], "account_id": ["A1"], "score": [None], "grade": [None], "percentile": [None], "reasons": [None]},
                     schema=_scores([]).schema)
    )
    n = record_scores(tmp_path / "h.db", frame, as_of=T1, model_name="m", model_version="1", model_uri="models:/m/1",
                      positive_outcomes=["opportunity"], horizon_days=90)
    assert n == 1


def test_surges_are_leads_whose_grade_rose_since_their_previous_scoring_with_the_reasons_that_changed(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    # C1: D -> D -> A, two new reasons, one gone.  C2: B -> B, steady.  C3: C -> B (one grade).
    # C4: D -> C: rose, but C is below the default "B or better".  C5: new at T3, nothing to compare.
    # C6: A at T1, not scored at T2 (converted?), A at T3: compared with T1, no rise.
    _record(db, T1, [("C1", 0.01, "D", 10, "- no recent activity"), ("C2", 0.05, "B", 80, "+ VP"), ("C3", 0.02, "C", 50, "+ VP"),
                     ("C4", 0.01, "D", 10, ""), ("C6", 0.2, "A", 99, "+ VP")])
    _record(db, T2, [("C1", 0.01, "D", 12, "- no recent activity"), ("C2", 0.05, "B", 81, "+ VP"), ("C3", 0.02, "C", 55, "+ VP"),
                     ("C4", 0.01, "D", 15, "")])
    _record(db, T3, [("C1", 0.30, "A", 99, "+ 4 pricing-page views in the last 7 days; + demo request 2 days ago"),
                     ("C2", 0.05, "B", 82, "+ VP"), ("C3", 0.04, "B", 75, "+ VP; + 2 web visits in the last 7 days"),
                     ("C4", 0.02, "C", 40, ""), ("C5", 0.3, "A", 99, "+ VP"), ("C6", 0.2, "A", 99, "+ VP")])
    found = surges(db)
    assert found["contact_id"].to_list() == ["C1", "C3"]
    c1 = found.row(0, named=True)
    assert (c1["grade_before"], c1["grade"], c1["grade_rise"], c1["as_of_before"]) == ("D", "A", 3, T2)
    assert c1["new_reasons"] == "+ 4 pricing-page views in the last 7 days; + demo request 2 days ago"
    assert c1["dropped_reasons"] == "- no recent activity"
    assert found.row(1, named=True)["new_reasons"] == "+ 2 web visits in the last 7 days"
    assert surges(db, grade_at_least="C")["contact_id"].to_list() == ["C1", "C3", "C4"]
    assert surges(db, as_of=T2).is_empty()  # between T1 and T2 nobody rose
    with pytest.raises(UsageError, match=r"grade must be one of A, B, C, D, got 'E'"):
        surges(db, grade_at_least="E")


def test_a_history_of_several_models_needs_a_model_name(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    _record(db, T1, [("C1", 0.1, "A", 90, "")], name="a")
    _record(db, T1, [("C1", 0.1, "A", 90, "")], name="b")
    with pytest.raises(UsageError, match=r"several models \(a, b\): pass --model-name"):
        surges(db)
    assert surges(db, model_name="a").is_empty()
    with pytest.raises(UsageError, match=r"no scores of model 'c' \(models: a, b\)"):
        surges(db, model_name="c")


def test_a_missing_or_broken_history_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope.db: no score history yet"):
        surges(tmp_path / "nope.db")
    bad = tmp_path / "bad.db"
    bad.write_text("not sqlite at all " * 100)
    with pytest.raises(UsageError, match=r"bad.db: cannot use this score history \(file is not a database\)"):
        surges(bad)
    assert not (tmp_path / "nope.db").exists()


def test_realised_conversion_counts_positive_outcomes_inside_the_horizon_only(tiny_export, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # At T3 (2025-04-01): C1 has an opportunity 44 days later (converted), C2 only an mql, C3 an
    # opportunity 105 days later (outside 90 days). The tiny export ends 2025-07-15, so T3 has matured.
    db = tmp_path / "h.db"
    _record(db, T3, [("C1", 0.3, "A", 99, ""), ("C2", 0.1, "B", 80, ""), ("C3", 0.01, "D", 5, "")])
    _record(db, datetime(2025, 6, 1), [("C3", 0.01, "D", 5, "")])  # horizon passes 2025-08-30: not judged yet
    report = realised_conversion(db, tiny_export)
    table = {(r["grade"]): (r["leads"], r["converted"]) for r in report.table.iter_rows(named=True)}
    assert table == {"A": (1, 1), "B": (1, 0), "D": (1, 0), "all": (3, 1)}
    assert report.pending["as_of"].to_list() == [datetime(2025, 6, 1)]
    assert report.pending["matures_on"].to_list() == [datetime(2025, 8, 30)]


# ------------------------------------------------------------------ generated data, three scoring runs
AS_OFS = (datetime(2026, 2, 1), datetime(2026, 3, 1), datetime(2026, 5, 1))


@pytest.fixture(scope="module")
def scored(trained: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The shared model (conftest's `trained`, no tracking store) scores its export at three as-of dates."""
    from propensity.scoring._batch import score_leads

    home = tmp_path_factory.mktemp("history")
    export, model = trained["export"], trained["model"]
    db = home / "score_history.db"
    runs = {}
    for t in AS_OFS:
        runs[t] = score_leads(export, model, model_version="1", as_of=t).scores
        record_scores(db, runs[t], as_of=t, model_name="lead-propensity", model_version="1", model_uri="models:/lead-propensity/1",
                      positive_outcomes=["opportunity"], horizon_days=90)
    return {"home": home, "crm": trained["crm"], "export": export, "db": db, "runs": runs}


RANK = {"D": 0, "C": 1, "B": 2, "A": 3}


@pytest.mark.slow
def test_surges_on_generated_data_are_exactly_the_leads_that_moved_up(scored: dict[str, Any]) -> None:
    before, now = scored["runs"][AS_OFS[1]], scored["runs"][AS_OFS[2]]
    pair = now.join(before, on="contact_id", suffix="_b")
    expected = {
        r["contact_id"]
        for r in pair.iter_rows(named=True)
        if RANK[r["grade"]] >= RANK["B"] and (RANK[r["grade"]] > RANK[r["grade_b"]] or r["percentile"] - r["percentile_b"] >= 20)
    }
    found = surges(scored["db"])
    assert expected and set(found["contact_id"]) == expected
    assert found["as_of"].unique().to_list() == [AS_OFS[2]] and found["as_of_before"].unique().to_list() == [AS_OFS[1]]
    assert found["grade"].to_list() == sorted(found["grade"].to_list())  # A first
    moved = found.filter(pl.col("grade_rise") >= 2)
    assert moved.height
    # a lead two grades up names its new reasons, or has exactly the reasons it had ("same reasons, stronger")
    reasons = pair.select("contact_id", "reasons", "reasons_b")
    for r in moved.join(reasons, on="contact_id").iter_rows(named=True):
        now_r, before_r = r["reasons"].split("; "), r["reasons_b"].split("; ")
        assert r["new_reasons"] == "; ".join(x for x in now_r if x not in before_r)
        assert r["new_reasons"] or set(now_r) <= set(before_r)
    assert (moved["new_reasons"].str.len_chars() > 0).any()


@pytest.mark.slow
def test_each_runs_views_are_in_the_history_as_scored(scored: dict[str, Any]) -> None:
    history = read_history(scored["db"])[1]
    views = ["fit", "fit_grade", "engagement", "engagement_level", "fit_engagement"]
    for t, run in scored["runs"].items():
        assert set(views) <= set(run.columns)
        kept = history.filter(pl.col("as_of") == t).select("contact_id", *views).sort("contact_id")
        assert kept.equals(run.select("contact_id", *views).sort("contact_id")), t
        assert kept["fit_engagement"].null_count() == 0 and kept.height == run.height


@pytest.mark.slow
def test_realised_conversion_by_grade_on_generated_data(scored: dict[str, Any]) -> None:
    export = scored["export"]
    report = realised_conversion(scored["db"], export)
    assert report.judged["as_of"].to_list() == list(AS_OFS[:2])  # 2026-05-01 + 90 days is after the data end
    assert report.pending["as_of"].to_list() == [AS_OFS[2]]
    frames = []
    for t in AS_OFS[:2]:
        s = scored["runs"][t]
        lab = label_pairs(s.select("contact_id", pl.lit(t, dtype=pl.Datetime("us")).alias("cutoff")), export.outcomes, LabelConfig())
        frames.append(s.join(lab, on="contact_id"))
    truth = pl.concat(frames).group_by("grade").agg(pl.len().alias("leads"), pl.col("label").sum().alias("converted"))
    table = report.table.filter(pl.col("grade") != "all")
    assert dict(zip(table["grade"], zip(table["leads"], table["converted"]))) == dict(zip(truth["grade"], zip(truth["leads"], truth["converted"])))
    rate = dict(zip(report.table["grade"], report.table["conversion_rate"]))
    # the served model was refitted on these months too: A leads buy more, and no grade below buys more than the one above
    assert rate["A"] > rate["B"] >= rate["D"] and rate["A"] > rate["D"]


@pytest.mark.slow
def test_cli_prints_surges_and_conversion_and_writes_the_tables(scored: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from propensity.cli import main

    db = str(scored["db"])
    assert main(["surges", "--history", db, "--top", "3", "--out", str(tmp_path / "surges.csv")]) == 0
    out = capsys.readouterr().out
    first = surges(scored["db"]).row(0, named=True)
    assert "leads surged between their previous scoring and 2026-05-01 00:00" in out and first["contact_id"] in out
    assert pl.read_csv(tmp_path / "surges.csv").height == surges(scored["db"]).height
    assert main(["conversion", str(scored["crm"]), "--history", db, "--out", str(tmp_path / "conv.parquet")]) == 0
    out = capsys.readouterr().out
    assert "not judged yet: as-of 2026-05-01 (version 1), horizon passes 2026-07-30" in out
    assert pl.read_parquet(tmp_path / "conv.parquet")["grade"].to_list() == ["A", "B", "C", "D", "all"]
    assert main(["surges", "--history", str(tmp_path / "none.db")]) == 2
    assert "none.db: no score history yet" in capsys.readouterr().err


def test_history_file_is_plain_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    _record(db, T1, [("C1", 0.1, "A", 90, "+ VP")])
    with sqlite3.connect(db) as conn:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(scores)")]
    assert cols == ["contact_id", "account_id", "as_of", "model_name", "model_version", "score", "grade", "percentile", "reasons",
                    "fit", "fit_grade", "engagement", "engagement_level", "fit_engagement"]


def _with_views(frame: pl.DataFrame, views: list[tuple[float, str, float, int]]) -> pl.DataFrame:
    """A scores frame with the view columns as `propensity score` writes them: (fit, fit grade, engagement, level)."""
    fit, grade, engagement, level = (list(x) for x in zip(*views, strict=True))
    return frame.with_columns(
        pl.Series("fit", fit, dtype=pl.Float64), pl.Series("fit_grade", grade, dtype=pl.String),
        pl.Series("engagement", engagement, dtype=pl.Float64), pl.Series("engagement_level", level, dtype=pl.Int8),
        pl.Series("fit_engagement", [f"{g}{n}" for g, n in zip(grade, level, strict=True)], dtype=pl.String),
    )


def test_the_history_keeps_the_fit_and_engagement_views_beside_each_score(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    frame = _with_views(_scores([("C1", 0.10, "A", 95, "+ VP"), ("C2", 0.01, "D", 20, "")]), [(0.031, "B", 0.42, 1), (0.002, "D", 0.004, 4)])
    record_scores(db, frame, as_of=T1, model_name="m", model_version="1", model_uri="models:/m/1", positive_outcomes=["opportunity"], horizon_days=90)
    got = read_history(db)[1].sort("contact_id")
    assert got.select("contact_id", "fit", "fit_grade", "engagement", "engagement_level", "fit_engagement").rows() == [
        ("C1", 0.031, "B", 0.42, 1, "B1"), ("C2", 0.002, "D", 0.004, 4, "D4")]
    assert got.schema["engagement_level"] == pl.Int8
    # the same run again with other views replaces them; a model without views records nulls
    again = _with_views(_scores([("C1", 0.10, "A", 95, "+ VP")]), [(0.05, "A", 0.3, 2)])
    record_scores(db, again, as_of=T1, model_name="m", model_version="1", model_uri="models:/m/1", positive_outcomes=["opportunity"], horizon_days=90)
    record_scores(db, _scores([("C1", 0.2, "A", 99, "")]), as_of=T2, model_name="m", model_version="1", model_uri="models:/m/1",
                  positive_outcomes=["opportunity"], horizon_days=90)
    got = read_history(db)[1].sort("as_of", "contact_id")
    assert got.select("contact_id", "fit_engagement", "fit").rows() == [("C1", "A2", 0.05), ("C2", "D4", 0.002), ("C1", None, None)]


def test_a_history_written_before_the_views_reads_and_gains_their_columns(tmp_path: Path) -> None:
    """An older history file (the nine-column scores table) still reads, its rows with null views, and
    takes a run with views without losing a row."""
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(
            "CREATE TABLE scoring_runs (as_of TEXT NOT NULL, model_name TEXT NOT NULL, model_version TEXT NOT NULL, "
            "model_uri TEXT NOT NULL, positive_outcomes TEXT NOT NULL, horizon_days INTEGER NOT NULL, leads INTEGER NOT NULL, "
            "scored_at TEXT NOT NULL, PRIMARY KEY (as_of, model_name, model_version));"
            "CREATE TABLE scores (contact_id TEXT NOT NULL, account_id TEXT, as_of TEXT NOT NULL, model_name TEXT NOT NULL, "
            "model_version TEXT NOT NULL, score REAL NOT NULL, grade TEXT NOT NULL, percentile INTEGER, reasons TEXT, "
            "PRIMARY KEY (contact_id, as_of, model_name, model_version));"
            "INSERT INTO scoring_runs VALUES ('2025-02-01T00:00:00', 'm', '1', 'models:/m/1', '[\"opportunity\"]', 90, 1, '2025-02-01T06:00:00');"
            "INSERT INTO scores VALUES ('C1', 'A1', '2025-02-01T00:00:00', 'm', '1', 0.1, 'B', 80, '+ VP');"
        )
    conn.close()
    old = read_history(db)[1]  # read-only: the file is not changed
    assert old.select("contact_id", "score", "fit", "fit_engagement").rows() == [("C1", 0.1, None, None)]
    with sqlite3.connect(db) as conn:
        assert "fit" not in [r[1] for r in conn.execute("PRAGMA table_info(scores)")]
    conn.close()
    record_scores(db, _with_views(_scores([("C1", 0.2, "A", 95, "")]), [(0.04, "A", 0.5, 1)]), as_of=T2, model_name="m",
                  model_version="1", model_uri="models:/m/1", positive_outcomes=["opportunity"], horizon_days=90)
    got = read_history(db)[1].sort("as_of")
    assert got.select("score", "grade", "fit", "engagement_level", "fit_engagement").rows() == [(0.1, "B", None, None, None), (0.2, "A", 0.04, 1, "A1")]


def test_previous_scores_are_each_leads_latest_scoring_strictly_before_the_as_of(tmp_path: Path) -> None:
    from propensity.lifecycle._score_history import contact_scores, previous_scores

    db = tmp_path / "h.db"
    assert previous_scores(db, "lead-propensity", T2).is_empty()  # no history yet: every lead is new
    # C1: scored at T1 and T2.  C2: only at T1.  C3: only at T3 (after the as-of asked for).
    _record(db, T1, [("C1", 0.10, "B", 80, ""), ("C2", 0.02, "D", 10, "")])
    _record(db, T2, [("C1", 0.20, "A", 95, "")])
    _record(db, T3, [("C3", 0.05, "C", 50, "")])
    prev = previous_scores(db, "lead-propensity", T3).sort("contact_id")
    assert prev.select("contact_id", "previous_score", "previous_grade").rows() == [("C1", 0.20, "A"), ("C2", 0.02, "D")]
    assert prev["previous_contributions"].to_list() == [None, None]  # recorded without contributions
    assert previous_scores(db, "lead-propensity", T2).select("contact_id", "previous_score").rows() == [("C1", 0.10), ("C2", 0.02)]
    assert previous_scores(db, "other-model", T3).is_empty()
    history = contact_scores(db, "C1")
    assert history.select("as_of", "score", "grade").rows() == [(T1, 0.10, "B"), (T2, 0.20, "A")]
