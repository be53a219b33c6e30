"""Trend and what moved: each lead against its previous scoring in the score history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from propensity._config import TrendConfig
from propensity.scoring._trend import trend_of


def test_trend_is_a_grade_change_or_a_change_both_absolute_and_relative() -> None:
    # L1: 0.10 -> 0.13, same grade: +0.03 is >= 0.02 and >= 20% of 0.10: up.
    # L2: 0.10 -> 0.115: +0.015 is below 0.02: steady.
    # L3: 0.30 -> 0.33: +0.03 is below 20% of 0.30: steady.
    # L4: 0.05 -> 0.055 but C -> B: up by the grade (steady when grade changes do not count).
    # L5: 0.20 -> 0.10, A -> B: down.  L6: never scored before: new.
    score = pl.Series([0.13, 0.115, 0.33, 0.055, 0.10, 0.2])
    grade = pl.Series(["B", "B", "A", "B", "B", "A"])
    prev = pl.Series([0.10, 0.10, 0.30, 0.05, 0.20, None], dtype=pl.Float64)
    prev_grade = pl.Series(["B", "B", "A", "C", "A", None], dtype=pl.String)
    assert trend_of(score, grade, prev, prev_grade, TrendConfig()).to_list() == ["up", "steady", "steady", "up", "down", "new"]
    no_grades = TrendConfig(grade_change=False)
    assert trend_of(score, grade, prev, prev_grade, no_grades).to_list() == ["up", "steady", "steady", "steady", "down", "new"]


def _by_hand(case, contact_id: str, t1, t2, index_fields: list[str], config: TrendConfig) -> tuple[float | None, str, str]:  # type: ignore[no-untyped-def]
    """The lead's previous score, trend and moved_by worked out from `explain_contact` at both dates:
    the stored rule (contributions rounded to 4 decimals, |c| >= 0.005 kept), the biggest changes first
    (ties in field order), at least `min_change`, in words at the later date."""
    from propensity.scoring._explain import explain_contact

    before = explain_contact(case.export, case.model, contact_id, as_of=t1)
    now = explain_contact(case.export, case.model, contact_id, as_of=t2)
    stored = {c.field: round(c.contribution, 4) for c in before.contributions if abs(round(c.contribution, 4)) >= 0.005}
    current = {c.field: c for c in now.contributions}
    deltas = [(f, round(current[f].contribution, 4) - stored.get(f, 0.0)) for f in index_fields]
    deltas.sort(key=lambda fd: -abs(fd[1]))  # stable: field order on ties
    moved = "; ".join(f"{'+' if d >= 0 else '-'} {current[f].text}" for f, d in deltas[: config.fields] if abs(d) >= config.min_change)
    rank = {"D": 0, "C": 1, "B": 2, "A": 3}
    change = now.score - before.score
    if rank[now.grade] != rank[before.grade]:
        trend = "up" if rank[now.grade] > rank[before.grade] else "down"
    elif abs(change) >= config.absolute and abs(change) >= config.relative * before.score:
        trend = "up" if change > 0 else "down"
    else:
        trend = "steady"
    return before.score, trend, moved


@pytest.mark.slow
def test_scoring_twice_gives_trend_and_moved_by_that_match_a_hand_built_case(tmp_path: Path) -> None:
    from propensity.lifecycle._score_history import previous_scores, record_scores
    from propensity.scoring._batch import default_as_of, score_leads
    from propensity.scoring._reasons import FieldIndex
    from tests.scoring._scoring_case import scoring_case

    case = scoring_case()
    t2 = default_as_of(case.export)
    t1 = t2 - timedelta(days=45)
    db = tmp_path / "history.db"
    first = score_leads(case.export, case.model, model_version="1", as_of=t1)
    assert set(first.scores["trend"]) == {"new"} and (first.scores["moved_by"] == "").all()
    record_scores(db, first.for_history(), as_of=t1, model_name="m", model_version="1", model_uri="models:/m/1",
                  positive_outcomes=["opportunity"], horizon_days=90)
    config = TrendConfig()
    second = score_leads(case.export, case.model, model_version="1", as_of=t2, previous=previous_scores(db, "m", t2), trend=config)
    scores = second.scores
    both = scores.join(first.scores.select("contact_id", pl.col("score").alias("score_1")), on="contact_id", how="left")
    # a lead created since the first scoring is new; every other has its earlier score as previous_score
    assert (both.filter(pl.col("score_1").is_null())["trend"] == "new").all()
    assert both.filter(pl.col("score_1").is_not_null()).select((pl.col("previous_score") == pl.col("score_1")).all()).item()
    assert {"up", "down", "steady"} <= set(scores["trend"])

    fields = FieldIndex(case.model.spec).fields
    picked = []
    for trend in ("up", "down", "steady"):
        picked += scores.filter((pl.col("trend") == trend) & (pl.col("moved_by") != "")).sort("contact_id")["contact_id"].head(2).to_list()
    picked += scores.filter(pl.col("trend") == "new").sort("contact_id")["contact_id"].head(1).to_list()
    assert len(picked) >= 6
    for contact_id in picked:
        row = scores.filter(pl.col("contact_id") == contact_id).row(0, named=True)
        if row["trend"] == "new":
            assert row["previous_score"] is None and row["moved_by"] == ""
            continue
        previous, trend, moved = _by_hand(case, contact_id, t1, t2, fields, config)
        assert (row["previous_score"], row["trend"], row["moved_by"]) == (pytest.approx(previous, abs=1e-9), trend, moved), contact_id
        assert 1 <= len(moved.split("; ")) <= 3 and all(part[:2] in ("+ ", "- ") for part in moved.split("; "))


@pytest.mark.slow
def test_cli_scores_twice_with_a_trend_and_explain_shows_the_leads_score_history(tmp_path_factory: pytest.TempPathFactory) -> None:
    from propensity.io._sources import read_export
    from propensity.scoring._batch import default_as_of
    from tests.test_pii import MODEL, canary_store, run_cli

    store = canary_store(tmp_path_factory)
    out = tmp_path_factory.mktemp("trend-cli")
    history = out / "history.db"
    t2 = default_as_of(read_export(store.crm, created_at_required=False))
    t1 = t2 - timedelta(days=30)
    for name, when in (("first", t1), ("second", t2)):
        proc = run_cli(["score", str(store.crm), "--model", MODEL, "--out", str(out / f"{name}.csv"), "--as-of", when.isoformat(),
                        "--history", str(history), "--tracking-uri", store.uri])
        assert proc.returncode == 0, proc.stderr[-2000:]
    first = pl.read_csv(out / "first.csv", infer_schema=False)
    second = pl.read_csv(out / "second.csv", schema_overrides={"score": pl.Float64, "previous_score": pl.Float64})
    assert set(first["trend"]) == {"new"}
    seen = second.filter(pl.col("contact_id").is_in(first["contact_id"].implode()))
    assert seen.height and (seen["trend"] != "new").all() and seen["previous_score"].is_not_null().all()
    lead = seen.filter(pl.col("trend") == "up").row(0, named=True) if (seen["trend"] == "up").any() else seen.row(0, named=True)
    proc = run_cli(["explain", str(store.crm), "--model", MODEL, "--contact", lead["contact_id"], "--history", str(history),
                    "--tracking-uri", store.uri])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "score history" in proc.stdout
    assert f"{t1:%Y-%m-%d %H:%M}" in proc.stdout and f"{t2:%Y-%m-%d %H:%M}" in proc.stdout
    assert f"{100 * lead['previous_score']:.1f}%" in proc.stdout and f"{100 * lead['score']:.1f}%" in proc.stdout
