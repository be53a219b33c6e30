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


def test_spark_training_set_equals_local_training_set(case: ScoringCase, spark) -> None:  # type: ignore[no-untyped-def]
    from propensity._config import Config
    from propensity.engines._spark import spark_training_set

    ts = spark_training_set(case.folder, case.export, Config(), spark=spark)
    assert ts.plan == case.training_set.plan
    assert ts.builder.spec_ == case.training_set.builder.spec_
    assert_frame_equal(ts.frame, case.training_set.frame)


def test_spark_engine_reads_parquet_only(tmp_path: Path) -> None:
    from propensity.engines._spark import score_with_spark

    (tmp_path / "contacts.csv").write_text("contact_id,created_at\nc1,2025-01-01\n", encoding="utf-8")
    (tmp_path / "events.csv").write_text("contact_id,occurred_at,event_type\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"--engine spark reads Parquet tables: .* has no contacts\.parquet"):
        score_with_spark(tmp_path, object(), tmp_path / "out.parquet", model_version="1")  # type: ignore[arg-type]
