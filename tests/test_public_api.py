"""The Python API a data scientist uses in a notebook: `propensity.__all__` is exactly what is documented,
every name resolves, and `load_model` finds models where the CLI does, creating nothing when it does not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import propensity
from propensity._errors import UsageError

PUBLIC = [
    "Config",
    "ContactExplanation",
    "CrmExport",
    "DataError",
    "FeatureBuilder",
    "FeatureSpec",
    "FlatModel",
    "LoadedModel",
    "PropensityError",
    "PropensityModel",
    "ScoreRun",
    "TrainResult",
    "TrainingSet",
    "UsageError",
    "__version__",
    "build_training_set",
    "explain_contact",
    "generate_crm",
    "load_config",
    "load_model",
    "open_leads",
    "plan_split",
    "read_export",
    "read_flat",
    "score_leads",
    "score_table",
    "train",
    "train_flat",
]


def test_all_is_exactly_the_documented_api() -> None:
    assert propensity.__all__ == PUBLIC


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(propensity, name) is not None


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'score'"):
        propensity.score  # noqa: B018


def test_readme_documents_every_public_name() -> None:
    docs = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    docs += "".join(p.read_text(encoding="utf-8") for p in (Path(__file__).resolve().parents[1] / "docs").rglob("*.md"))
    missing = [n for n in PUBLIC if n != "__version__" and f"{n}" not in docs]
    assert missing == []


def test_load_model_without_a_store_names_it_and_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(UsageError, match=r"no model store at .*models/mlflow\.db"):
        propensity.load_model("models:/propensity@champion")
    assert list(tmp_path.iterdir()) == []


def test_score_from_another_folder_creates_no_store(tmp_path: Path, generated_crm: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])  # this checkout, wherever it is
    done = subprocess.run(
        [sys.executable, "-m", "propensity.cli", "score", str(generated_crm), "--model", "models:/propensity@champion", "--out", "s.csv"],
        cwd=tmp_path, capture_output=True, text=True, env=env, check=False,
    )
    assert done.returncode == 2
    assert f"no model store at {tmp_path.resolve()}/models/mlflow.db" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_load_model_reads_the_store_the_cli_trained_into(report_store: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """The API loads what `propensity train` registered, from the same store, and its scoring run counts itself."""
    from propensity.io._sources import read_export

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    loaded = propensity.load_model("models:/lead-propensity@champion", tracking_uri=str(report_store["uri"]))
    assert loaded.version == "1"
    assert type(loaded.model) is propensity.PropensityModel
    run = propensity.score_leads(read_export(report_store["crm"]), loaded.model, model_version=loaded.version)
    assert run.n_scored == run.scores.height > 0
    assert run.grade_counts == {g: int((run.scores["grade"] == g).sum()) for g in sorted(set(run.scores["grade"]))}
    assert sum(run.grade_counts.values()) == run.n_scored


def test_the_feature_builder_names_its_output_like_scikit_learn(generated_crm: Path) -> None:
    from datetime import datetime

    import polars as pl

    from propensity.io._sources import read_export

    export = read_export(generated_crm)
    cutoff = datetime(2026, 1, 1)
    pairs = export.contacts.select("contact_id").head(50).with_columns(pl.lit(cutoff).alias("cutoff"))
    builder = propensity.FeatureBuilder()
    features = builder.fit_transform(export, cutoff, pairs)
    assert features.columns == ["contact_id", "cutoff", *builder.get_feature_names_out()]
    assert features.height == 50
