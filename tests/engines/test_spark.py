"""The Spark engine computes the local features and scores (Spark in local mode, Java 17)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from propensity._errors import UsageError
from propensity.io._sources import read_export
from propensity.scoring._batch import score_leads
from tests.scoring._scoring_case import ScoringCase, scoring_case

pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def case() -> ScoringCase:
    return scoring_case()


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    from propensity.engines._spark import spark_session

    session = spark_session("propensity-tests")
    yield session
    session.stop()


def test_spark_scores_equal_local_scores(case: ScoringCase, spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from propensity.engines._spark import score_with_spark

    out = tmp_path / "scores.parquet"
    summary = score_with_spark(case.folder, case.model, out, model_version="3", spark=spark, buckets=5)
    local = score_leads(read_export(case.folder, created_at_required=False), case.model, model_version="3")
    on_spark = pl.read_parquet(out / "*.parquet")
    assert local.scores.height > 1000
    assert_frame_equal(on_spark, local.scores)  # same rows, order, scores, grades and reasons
    assert summary.startswith(f"scored {local.scores.height:,} open leads (0 rejected)")
    assert pl.read_csv(tmp_path / "scores.rejects.csv").height == 0


def test_spark_scoring_gives_the_local_trend_at_two_as_of_dates_and_records_its_runs_in_the_history(  # type: ignore[no-untyped-def]
    case: ScoringCase, spark, tmp_path: Path
) -> None:
    """Scored twice (45 days apart) on Spark and locally, each with its own score history: the same
    previous_score, trend and moved_by, and the same rows and contributions in the two histories."""
    from datetime import timedelta

    from propensity._config import TrendConfig
    from propensity.engines._spark import score_with_spark
    from propensity.lifecycle._score_history import (
        history_run,
        previous_scores,
        read_history,
        record_scores,
    )
    from propensity.scoring._batch import default_as_of

    export = read_export(case.folder, created_at_required=False)
    t2 = default_as_of(export)
    key = {"model_name": "m", "model_version": "3", "model_uri": "models:/m/3", "positive_outcomes": ["opportunity"], "horizon_days": 90}
    local_db, spark_db, trend = tmp_path / "local.db", tmp_path / "spark.db", TrendConfig()
    for when in (t2 - timedelta(days=45), t2):
        local = score_leads(export, case.model, model_version="3", as_of=when, previous=previous_scores(local_db, "m", when), trend=trend)
        record_scores(local_db, local.for_history(), as_of=when, **key)  # type: ignore[arg-type]
        out = tmp_path / f"scores-{when:%Y%m%d}.parquet"
        with history_run(spark_db, as_of=when, **key) as recorded:  # type: ignore[arg-type]
            score_with_spark(case.folder, case.model, out, model_version="3", as_of=when, spark=spark, buckets=5,
                             previous=previous_scores(spark_db, "m", when), trend=trend, on_scores=recorded.add)
        on_spark = pl.read_parquet(out / "*.parquet")
        assert_frame_equal(on_spark, local.scores)  # trend columns included
        assert recorded.rows == local.scores.height > 1000
    # the second scoring has a trend: it would be all "new" without the history
    assert {"up", "down", "steady"} <= set(on_spark["trend"]) and (on_spark["moved_by"] != "").sum() > 100
    assert on_spark["previous_score"].null_count() < on_spark.height // 2
    runs_local, scores_local = read_history(local_db, "m")
    runs_spark, scores_spark = read_history(spark_db, "m")
    assert_frame_equal(scores_spark.sort("as_of", "contact_id"), scores_local.sort("as_of", "contact_id"))
    assert runs_spark["leads"].to_list() == runs_local["leads"].to_list() and runs_spark.height == 2
    after = t2 + timedelta(days=1)
    assert_frame_equal(previous_scores(spark_db, "m", after).sort("contact_id"), previous_scores(local_db, "m", after).sort("contact_id"))


def test_spark_training_set_equals_local_training_set(case: ScoringCase, spark) -> None:  # type: ignore[no-untyped-def]
    """Labels, the seeded downsampling keep, features and the judged rows' points, built on the executors."""
    from dataclasses import replace

    from propensity._config import Config, SamplingConfig
    from propensity.engines._spark_read import read_spark_export
    from propensity.engines._spark_train import spark_training
    from propensity.scoring._points import points_scores
    from propensity.training._preflight import cutoff_counts
    from propensity.training._training_set import build_training_set

    config = replace(Config(), sampling=SamplingConfig(negative_rate=0.3))
    sx = read_spark_export(spark, case.folder, buckets=5, require_outcomes=True)
    checked, ts = spark_training(sx, config)
    local = build_training_set(case.export, config)
    assert local.sampling is not None and local.sampling.rate == 0.3
    assert ts.sampling == local.sampling  # the same rows kept: the same seeded hash, bucket by bucket
    assert ts.plan == local.plan
    assert ts.builder.spec_ == local.builder.spec_
    assert_frame_equal(ts.frame.drop("_points"), local.frame)
    assert_frame_equal(checked.per_cutoff, cutoff_counts(case.export, config, local.plan))  # the preflight's counts
    judged = ts.judged()
    points = points_scores(case.export, judged.select("contact_id", "cutoff"), config.points)
    assert judged["_points"].to_list() == points["points"].to_list()
    assert ts.frame.filter(pl.col("fold") < 0)["_points"].null_count() == ts.frame.filter(pl.col("fold") < 0).height


def test_spark_export_reads_as_the_local_reader(case: ScoringCase, spark) -> None:  # type: ignore[no-untyped-def]
    """The driver's view (no event row) gives the local read line, history, plan and event-type counts."""
    from propensity._config import Config
    from propensity.engines._spark_read import read_spark_export
    from propensity.io._read_line import read_line
    from propensity.training._check import check_export, render_summary

    sx = read_spark_export(spark, case.folder, buckets=3, require_outcomes=True)
    assert sx.export.events.height == 0 and sx.export.n_events == case.export.events.height > 10_000
    assert read_line(sx.export) == read_line(case.export)
    assert (sx.export.data_start, sx.export.data_end) == (case.export.data_start, case.export.data_end)
    summary = render_summary(check_export(sx.export, Config(), count_leads=False))
    assert summary == render_summary(check_export(case.export, Config(), count_leads=False))
    cut = case.training_set.plan.cutoffs[-1]
    assert_frame_equal(sx.export.event_type_counts(cut).sort("event_type"), case.export.event_type_counts(cut).sort("event_type"))


def test_spark_bad_event_value_is_one_line_naming_file_column_and_value(tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    from propensity._errors import DataError
    from propensity.engines._spark_read import read_spark_export

    pl.DataFrame({"contact_id": ["c1", "c2"], "created_at": ["2025-01-01", "2025-01-02"]}).write_parquet(tmp_path / "contacts.parquet")
    pl.DataFrame({"contact_id": ["c1", "c2"], "occurred_at": ["2025-02-01", "last tuesday"], "event_type": ["web_visit", "web_visit"]}).write_parquet(
        tmp_path / "events.parquet"
    )
    with pytest.raises(DataError, match=r"^events\.parquet: column 'occurred_at': unparseable timestamp \(example: 'last tuesday'\)$"):
        read_spark_export(spark, tmp_path, buckets=2)
    pl.DataFrame({"contact_id": ["c1"], "when": ["2025-02-01"], "event_type": ["web_visit"]}).write_parquet(tmp_path / "events.parquet")
    with pytest.raises(DataError, match=r"^events\.parquet: column 'occurred_at': required column not found \(columns found: contact_id, when, event_type\)$"):
        read_spark_export(spark, tmp_path, buckets=2)


def test_spark_delta_folder_without_delta_spark_is_one_line(tmp_path: Path) -> None:
    from propensity.engines._spark_read import delta_available, spark_table_paths

    if delta_available():
        pytest.skip("delta-spark is installed: a Delta folder is read")
    pl.DataFrame({"contact_id": ["c1"], "created_at": ["2025-01-01"]}).write_parquet(tmp_path / "contacts.parquet")
    (tmp_path / "events" / "_delta_log").mkdir(parents=True)
    with pytest.raises(UsageError, match=r"events: a Delta table: --engine spark reads it with delta-spark installed \(pip install delta-spark\)$"):
        spark_table_paths(tmp_path)


def test_spark_engine_reads_parquet_only(tmp_path: Path) -> None:
    from propensity.engines._spark import score_with_spark

    (tmp_path / "contacts.csv").write_text("contact_id,created_at\nc1,2025-01-01\n", encoding="utf-8")
    (tmp_path / "events.csv").write_text("contact_id,occurred_at,event_type\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"--engine spark reads Parquet tables: .* has no contacts\.parquet"):
        score_with_spark(tmp_path, object(), tmp_path / "out.parquet", model_version="1")  # type: ignore[arg-type]
