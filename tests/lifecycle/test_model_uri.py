"""One model-URI parser, and MLflow errors that mean "not found" kept apart from auth and network errors."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    PERMISSION_DENIED,
    RESOURCE_DOES_NOT_EXIST,
    UNAUTHENTICATED,
)

from propensity.lifecycle._tracking import (
    ModelUri,
    is_not_found,
    parse_model_uri,
    run_id_of,
)

RUN = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("uri", "parsed"),
    [
        ("models:/lead-propensity@champion", ModelUri(name="lead-propensity", alias="champion")),
        ("models:/lead-propensity/3", ModelUri(name="lead-propensity", version="3")),
        (f"runs:/{RUN}/model", ModelUri(run_id=RUN)),
        ("models:/m-4a5b6c", ModelUri()),  # a logged model's id: no registered name
        ("/tmp/model", ModelUri()),
    ],
)
def test_a_model_uri_is_taken_apart_once(uri: str, parsed: ModelUri) -> None:
    assert parse_model_uri(uri) == parsed


class FakeClient:
    """The two registry look-ups `run_id_of` makes; `error` is raised by every call when set."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def get_model_version_by_alias(self, name: str, alias: str) -> Any:
        if self.error:
            raise self.error
        return SimpleNamespace(run_id=f"{name}-{alias}-run", version="7")

    def get_model_version(self, name: str, version: str) -> Any:
        return SimpleNamespace(run_id=f"{name}-{version}-run", version=version)

    def get_run(self, run_id: str) -> Any:
        if self.error:
            raise self.error
        return SimpleNamespace(info=SimpleNamespace(experiment_id="5"))


def test_the_run_of_a_model_uri() -> None:
    client = FakeClient()
    assert run_id_of(client, "models:/m@champion") == "m-champion-run"
    assert run_id_of(client, "models:/m/2") == "m-2-run"
    assert run_id_of(client, f"runs:/{RUN}/model") == RUN
    assert run_id_of(client, "models:/m-4a5b6c") is None


def test_only_a_missing_resource_is_not_found() -> None:
    assert is_not_found(MlflowException("gone", error_code=RESOURCE_DOES_NOT_EXIST))
    assert is_not_found(FileNotFoundError("validation.parquet"))
    assert not is_not_found(MlflowException("who are you", error_code=UNAUTHENTICATED))
    assert not is_not_found(MlflowException("no", error_code=PERMISSION_DENIED))
    assert not is_not_found(ConnectionError("refused"))


def test_drift_falls_back_to_the_default_experiment_only_when_the_run_is_gone() -> None:
    from propensity.lifecycle._drift import _experiment_of

    assert _experiment_of(FakeClient(), "models:/m@champion") == "5"
    assert _experiment_of(FakeClient(MlflowException("gone", error_code=RESOURCE_DOES_NOT_EXIST)), "models:/m@champion") is None
    with pytest.raises(MlflowException, match="who are you"):
        _experiment_of(FakeClient(MlflowException("who are you", error_code=UNAUTHENTICATED)), "models:/m@champion")


@pytest.mark.parametrize(
    ("error", "expected", "match"),
    [
        (MlflowException("gone", error_code=RESOURCE_DOES_NOT_EXIST), "UsageError", r"trained before reports existed\): retrain it$"),
        (MlflowException("who are you", error_code=UNAUTHENTICATED), "MlflowException", r"who are you"),
        (ConnectionError("connection refused"), "ConnectionError", r"connection refused"),
    ],
)
def test_a_report_calls_a_model_old_only_when_its_artifacts_are_missing(
    error: Exception, expected: str, match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    import propensity.lifecycle._tracking as tracking
    from propensity.reports._collect import collect_report

    loaded = SimpleNamespace(uri="models:/m@champion", version="1", model=SimpleNamespace(metadata={"run_id": RUN}))
    monkeypatch.setattr(tracking, "load_model", lambda uri: loaded)
    monkeypatch.setattr(mlflow, "MlflowClient", lambda: FakeClient())

    def download(**kwargs: Any) -> str:
        raise error

    monkeypatch.setattr(mlflow.artifacts, "download_artifacts", download)
    with pytest.raises(Exception, match=match) as raised:
        collect_report("models:/m@champion")
    assert type(raised.value).__name__ == expected
