"""No pickle on the model load path: a registered model is LightGBM's text model plus JSON, and it
loads (as a propensity model and as an MLflow pyfunc) with pickle deserialization disabled and
every pickle entry point booby-trapped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
import yaml

from propensity.scoring._views import VIEW_FILES
from tests.test_pii import MODEL, CanaryStore, canary_store

pytestmark = pytest.mark.slow

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".cloudpickle", ".dill", ".sav")
PICKLE_MAGIC = tuple(bytes([0x80, protocol]) for protocol in range(2, 6))  # protocols 2..5
MODEL_FILES = {"booster.txt", "calibration.json", "feature_spec.json", "metadata.json"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> CanaryStore:
    return canary_store(tmp_path_factory)


@pytest.fixture(scope="module")
def model_dir(store: CanaryStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The champion's artifacts, downloaded the way any client would get them."""
    mlflow.set_tracking_uri(store.uri)
    mlflow.set_registry_uri(store.uri)
    dst = tmp_path_factory.mktemp("champion")
    return Path(mlflow.artifacts.download_artifacts(artifact_uri=MODEL, dst_path=str(dst)))


def _pickle_like(files: list[Path]) -> list[str]:
    bad = []
    for f in files:
        name = f.name.lower()
        if name.endswith(PICKLE_SUFFIXES) or "pickle" in name:
            bad.append(f"{f}: pickle-like name")
        elif f.read_bytes()[:2] in PICKLE_MAGIC:
            bad.append(f"{f}: starts with a pickle opcode")
    return bad


def test_model_data_is_lightgbm_text_and_json_only(model_dir: Path) -> None:
    data = model_dir / "data" / "propensity_model"
    assert {f.name for f in data.iterdir()} == MODEL_FILES | set(VIEW_FILES)  # the fit and engagement views too
    for name in ("booster.txt", "fit_booster.txt", "engagement_booster.txt"):
        assert (data / name).read_text(encoding="utf-8").startswith("tree\nversion="), name
    for name in (MODEL_FILES | set(VIEW_FILES)) - {"booster.txt", "fit_booster.txt", "engagement_booster.txt"}:
        assert isinstance(json.loads((data / name).read_text(encoding="utf-8")), dict)


def test_no_artifact_of_the_model_or_the_run_is_a_pickle(model_dir: Path, store: CanaryStore) -> None:
    downloaded = [f for f in model_dir.rglob("*") if f.is_file()]
    stored = [f for f in (store.home / "artifacts").rglob("*") if f.is_file()]
    assert len(downloaded) >= len(MODEL_FILES) and len(stored) > len(downloaded)
    assert _pickle_like(downloaded) == []
    assert _pickle_like(stored) == []


def test_the_pyfunc_flavor_is_a_loader_module_not_a_pickled_python_model(model_dir: Path) -> None:
    mlmodel = yaml.safe_load((model_dir / "MLmodel").read_text(encoding="utf-8"))
    assert set(mlmodel["flavors"]) == {"python_function"}
    flavor = mlmodel["flavors"]["python_function"]
    assert flavor["loader_module"] == "propensity._pyfunc"
    assert flavor["data"] == "data/propensity_model"
    assert "python_model" not in flavor and "cloudpickle_version" not in flavor


# Runs in a fresh interpreter: pickle is disarmed before anything else is imported.
_LOAD_WITHOUT_PICKLE = r"""
import json, pickle, sys

def refuse(*args, **kwargs):
    raise RuntimeError("pickle used on the model load path")

def guard(real):
    def guarded(*args, **kwargs):
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.startswith("numba."):  # numba's cache of its own compiled code (a local build product, like .pyc)
            return real(*args, **kwargs)
        refuse()
    return guarded

class NoUnpickler(pickle.Unpickler):
    def __init__(self, *args, **kwargs):
        refuse()

pickle.load, pickle.loads = guard(pickle.load), guard(pickle.loads)
pickle.Unpickler = NoUnpickler

import mlflow
import numpy as np
from propensity._config import LabelConfig
from propensity.features._builder import FeatureBuilder
from propensity.training._labels import open_leads
from propensity.io._sources import read_export
from propensity.lifecycle._tracking import load_model, point_at

uri, model_uri, crm = sys.argv[1:4]
point_at(uri)
loaded = load_model(model_uri)
pyfunc = mlflow.pyfunc.load_model(model_uri)
export = read_export(crm)
t = export.events["occurred_at"].max()
pairs = open_leads(export.contacts, export.outcomes, [t], LabelConfig()).select("contact_id", "cutoff").head(50)
feats = FeatureBuilder.from_spec(loaded.model.spec).transform(export, pairs)
p_pyfunc = np.asarray(pyfunc.predict(feats.drop("contact_id", "cutoff").to_pandas()))
p_model = loaded.model.predict_proba(feats)
print(json.dumps({"n": len(p_pyfunc), "max_diff": float(np.max(np.abs(p_pyfunc - p_model))),
                  "min": float(p_model.min()), "max": float(p_model.max()), "version": loaded.version}))
"""


def test_model_loads_with_pickle_deserialization_disabled(store: CanaryStore) -> None:
    env = {**os.environ, "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "false"}
    proc = subprocess.run(
        [sys.executable, "-c", _LOAD_WITHOUT_PICKLE, store.uri, MODEL, str(store.crm)],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["n"] == 50 and result["version"] == "1"
    assert result["max_diff"] == 0.0
    assert 0.0 < result["min"] <= result["max"] < 1.0
