"""The CLI end to end on small generated data, against a real MLflow SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import polars as pl
import pytest

from propensity.cli import main
from propensity.scoring._batch import SCORE_COLUMNS
from propensity.scoring._views import VIEW_COLUMNS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(small_crm: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One `propensity train` on the small export; returns where its store is."""
    home = tmp_path_factory.mktemp("store")
    uri = f"sqlite:///{home / 'mlflow.db'}"
    code = main(["-q", "train", str(small_crm), "--tracking-uri", uri])
    assert code == 0
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return {"uri": uri, "home": home}


def test_train_registers_champion_with_params_metrics_and_plots(trained) -> None:  # type: ignore[no-untyped-def]
    client = mlflow.MlflowClient(trained["uri"], trained["uri"])
    version = client.get_model_version_by_alias("lead-propensity", "champion")
    assert str(version.version) == "1"
    run = client.get_run(version.run_id)
    assert run.data.params["label.horizon_days"] == "90"
    assert json.loads(run.data.params["label.positive_outcomes"]) == ["opportunity"]
    for key in ("valid_roc_auc", "valid_pr_auc", "valid_log_loss", "valid_brier", "valid_capture_10", "valid_capture_20",
                "points_valid_roc_auc", "points_valid_capture_10"):
        assert 0.0 <= run.data.metrics[key] <= 1.0 or key == "valid_log_loss"
    assert run.data.tags["propensity.label"] == "opportunity within 90 days"
    assert len(run.data.tags["propensity.data_fingerprint"]) == 64
    plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert {"plots/drivers.svg", "plots/calibration.svg", "plots/gains.svg", "plots/dependence.svg"} <= plots  # the report's charts, as SVG


def test_registered_model_loads_as_pyfunc_and_returns_probabilities(trained, small_crm: Path) -> None:  # type: ignore[no-untyped-def]
    from propensity._config import LabelConfig
    from propensity.features._builder import FeatureBuilder
    from propensity.io._sources import read_export
    from propensity.lifecycle._tracking import load_model
    from propensity.training._labels import open_leads

    pyfunc = mlflow.pyfunc.load_model("models:/lead-propensity@champion")
    loaded = load_model("models:/lead-propensity@champion")
    export = read_export(small_crm)
    t = export.events["occurred_at"].max()
    pairs = open_leads(export.contacts, export.outcomes, [t], LabelConfig()).select("contact_id", "cutoff").head(200)
    feats = FeatureBuilder.from_spec(loaded.model.spec).transform(export, pairs)
    table = feats.drop("contact_id", "cutoff").to_pandas()
    p = np.asarray(pyfunc.predict(table))
    assert p.shape == (200,)
    assert np.all((p > 0) & (p < 1))
    np.testing.assert_allclose(p, loaded.model.predict_proba(feats))


def test_score_writes_the_contract_columns_for_every_open_lead(trained, small_crm: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from propensity._config import LabelConfig
    from propensity.io._sources import read_export
    from propensity.training._labels import open_leads

    out = tmp_path / "scores.csv"
    code = main(["-q", "score", str(small_crm), "--model", "models:/lead-propensity@champion", "--out", str(out),
                 "--tracking-uri", trained["uri"]])
    assert code == 0
    scores = pl.read_csv(out)
    assert tuple(scores.columns) == SCORE_COLUMNS + VIEW_COLUMNS  # a model with the fit and engagement views
    export = read_export(small_crm)
    expected = open_leads(export.contacts, export.outcomes, [export.events["occurred_at"].max()], LabelConfig())
    assert sorted(scores["contact_id"].to_list()) == sorted(expected["contact_id"].to_list())
    assert scores["score"].is_between(0, 1).all()
    assert scores["score_100"].is_between(1, 100).all()
    assert set(scores["grade"].unique()) <= {"A", "B", "C", "D"}
    assert (scores["model_version"].cast(pl.String) == "1").all()
    assert scores["reasons"].str.count_matches("; ").max() == 2
    # best first, and grades follow the score
    assert scores["score"].is_sorted(descending=True)
    top, bottom = scores.head(1).row(0, named=True), scores.tail(1).row(0, named=True)
    assert top["grade"] <= bottom["grade"]


def test_score_as_of_an_earlier_date_scores_the_leads_open_then(trained, small_crm: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "scores.parquet"
    assert main(["-q", "score", str(small_crm), "--model", "models:/lead-propensity/1", "--out", str(out),
                 "--as-of", "2025-09-01", "--tracking-uri", trained["uri"]]) == 0
    early = pl.read_parquet(out)
    from datetime import datetime

    from propensity._config import LabelConfig
    from propensity.io._sources import read_export
    from propensity.training._labels import open_leads

    export = read_export(small_crm)
    expected = open_leads(export.contacts, export.outcomes, [datetime(2025, 9, 1)], LabelConfig())
    assert early.height == expected.height


def test_explain_prints_drivers_by_business_field(trained, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    png = tmp_path / "drivers.png"
    assert main(["explain", "--model", "models:/lead-propensity@champion", "--png", str(png), "--tracking-uri", trained["uri"]]) == 0
    out = capsys.readouterr().out
    assert "driver" in out and "weight" in out and "direction" in out
    assert "pricing-page views" in out
    assert "n_pricing_page_view_7d" not in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_score_with_unknown_model_is_one_line_exit_2_and_writes_nothing(trained, small_crm: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "scores.csv"
    code = main(["score", str(small_crm), "--model", "models:/no-such-model@champion", "--out", str(out), "--tracking-uri", trained["uri"]])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "models:/no-such-model@champion" in err[0]
    assert not out.exists()
