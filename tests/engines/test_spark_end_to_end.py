"""`propensity train|score --engine spark` end to end (Spark local mode): the events never reach the
driver, and the model and scores are the local engine's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

pytestmark = pytest.mark.slow  # trains three models (local, Spark, Spark again): minutes

pytest.importorskip("pyspark")


@dataclass
class EventReads:
    """Every driver-side read or validation of the events table."""

    calls: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Runs:
    folder: Path
    uri: str
    reads: EventReads
    spark_scores: Path
    codes: tuple[int, ...]


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    from propensity.engines._spark import spark_session

    session = spark_session("propensity-tests")
    yield session
    session.stop()


def _instrument(mp: pytest.MonkeyPatch, reads: EventReads) -> None:
    """Count the local readers' reads of events in this (the driver) process."""
    import propensity.io._export as export_module
    import propensity.io._sources as sources

    def wrap(owner: Any, name: str, is_events: Any) -> None:
        original = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            if is_events(*args, **kwargs):
                reads.calls.append(f"{name}{args[:2]!r}")
            return original(*args, **kwargs)

        mp.setattr(owner, name, counted)

    wrap(sources, "read_export", lambda *a, **k: True)  # reads every table, events included
    wrap(sources, "read_table", lambda file, *a, **k: Path(file).stem.lower() == "events")
    wrap(pl, "read_parquet", lambda source, *a, **k: "events" in str(source).lower())
    wrap(pl, "scan_parquet", lambda source, *a, **k: "events" in str(source).lower())
    wrap(export_module, "clean_history", lambda frame, kind, *a, **k: kind == "event_type" and frame.height > 0)


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory: pytest.TempPathFactory) -> Runs:  # type: ignore[no-untyped-def]
    from propensity.cli._main import main
    from propensity.synthetic._generate import generate_crm

    root = tmp_path_factory.mktemp("spark-e2e")
    folder = root / "crm"
    generate_crm(folder, n_contacts=1500, seed=2)
    config = root / "training.toml"
    config.write_text("[sampling]\nnegative_rate = 0.3\n", encoding="utf-8")  # the seeded keep is exercised
    uri = f"sqlite:///{root / 'mlflow.db'}"
    reads = EventReads()
    out = root / "scores.parquet"
    with pytest.MonkeyPatch.context() as mp:
        _instrument(mp, reads)
        codes = (
            main(["-q", "train", str(folder), "--engine", "spark", "--config", str(config), "--model-name", "on-spark",
                  "--no-champion", "--tracking-uri", uri]),
            main(["-q", "score", str(folder), "--engine", "spark", "--model", "models:/on-spark/1", "--out", str(out),
                  "--tracking-uri", uri]),
        )
    codes += (main(["-q", "train", str(folder), "--config", str(config), "--model-name", "local", "--no-champion", "--tracking-uri", uri]),)
    return Runs(folder, uri, reads, out, codes)


def _loaded(runs: Runs, name: str) -> Any:
    from propensity.lifecycle._tracking import load_model, point_at

    point_at(runs.uri)
    return load_model(f"models:/{name}/1")


def test_spark_train_and_score_never_read_events_into_the_driver(runs: Runs) -> None:
    assert runs.codes == (0, 0, 0)
    assert runs.reads.calls == []


def test_event_reads_are_counted_by_the_instrument(runs: Runs) -> None:
    """The instrument sees a local read of events (what `--engine spark` did before it read on Spark)."""
    from propensity.io import _sources

    reads = EventReads()
    with pytest.MonkeyPatch.context() as mp:
        _instrument(mp, reads)
        _sources.read_export(runs.folder)
    assert len(reads.calls) >= 3  # read_export, read_table(events.parquet), polars' read and the validation


def test_spark_model_equals_local_model(runs: Runs) -> None:
    on_spark, local = _loaded(runs, "on-spark").model, _loaded(runs, "local").model
    assert on_spark.booster.model_to_string() == local.booster.model_to_string()  # same trees, same seed and search
    assert (on_spark.calibration.a, on_spark.calibration.b) == (local.calibration.a, local.calibration.b)
    assert on_spark.metadata["sampling"] == local.metadata["sampling"] and on_spark.metadata["sampling"]["negative_rate"] == 0.3
    assert on_spark.metadata["preflight"]["counts"] == local.metadata["preflight"]["counts"]
    assert on_spark.metadata["data_fingerprint"] != ""


def test_spark_scores_equal_local_scores_of_the_spark_model(runs: Runs) -> None:
    from propensity.io._sources import read_export
    from propensity.scoring._batch import score_leads

    loaded = _loaded(runs, "on-spark")
    local = score_leads(read_export(runs.folder, created_at_required=False), loaded.model, model_version=loaded.version)
    assert local.scores.height > 500
    assert_frame_equal(pl.read_parquet(runs.spark_scores / "*.parquet"), local.scores)
    # the Spark run is in the score history beside the store, every scored lead with its contributions
    from propensity.lifecycle._score_history import previous_scores, read_history

    history = runs.folder.parent / "score_history.db"
    scoring_runs, scores = read_history(history, "on-spark")
    assert scoring_runs["leads"].to_list() == [local.scores.height] and scores.height == local.scores.height
    assert previous_scores(history, "on-spark", local.as_of + timedelta(days=1))["previous_contributions"].null_count() == 0


def test_registered_model_scores_through_spark_udf_as_predict_proba(runs: Runs, spark) -> None:  # type: ignore[no-untyped-def]
    import mlflow
    from pyspark.sql import functions as F

    from propensity._config import Config
    from propensity.io._sources import read_export
    from propensity.training._training_set import build_training_set

    model = _loaded(runs, "on-spark").model
    export = read_export(runs.folder, require_outcomes=True)
    table = build_training_set(export, Config()).judged().select(model.spec.names).head(400)
    expected = model.predict_proba(table)
    udf = mlflow.pyfunc.spark_udf(spark, "models:/on-spark/1", result_type="double", env_manager="local")
    frame = spark.createDataFrame(table.to_pandas())
    got = frame.select(udf(F.struct(*[F.col(f"`{c}`") for c in model.spec.names])).alias("p")).toPandas()["p"].to_numpy()
    assert len(got) == 400 and 0.0 < expected.min() < expected.max() < 1.0
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
