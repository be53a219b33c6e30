"""Where runs and models live: the tracking URI, experiments, logging and loading registered models.

Default: an embedded SQLite store in `./models/mlflow.db` with artifacts in `./models/artifacts`.
`--tracking-uri` beats `MLFLOW_TRACKING_URI`, which beats the default.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from propensity._errors import PropensityError, UsageError

__all__ = [
    "resolve_tracking_uri",
    "open_store",
    "point_at",
    "use_tracking",
    "log_propensity_model",
    "LoadedModel",
    "load_model",
    "load_registered",
    "pip_requirements",
    "check_server",
    "describe_tracking_error",
    "tracking_errors",
    "ModelUri",
    "parse_model_uri",
    "run_id_of",
    "is_not_found",
    "download_run_artifact",
]

DEFAULT_HOME = Path("models")
CHAMPION = "champion"


def resolve_tracking_uri(flag: str | None = None, home: str | Path | None = None) -> str:
    """--tracking-uri, else MLFLOW_TRACKING_URI, else sqlite:///<home>/mlflow.db (home: ./models)."""
    if flag:
        return flag
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    root = Path(home) if home is not None else DEFAULT_HOME
    return f"sqlite:///{root.resolve() / 'mlflow.db'}"


def open_store(flag: str | None = None, home: str | Path | None = None) -> str:
    """Point MLflow at the store every command reads (`resolve_tracking_uri`) and return its URI.

    Read-only: a local SQLite store that does not exist is a `UsageError` naming the file it
    looked for, and nothing is created (MLflow would create an empty database there)."""
    uri = resolve_tracking_uri(flag, home)
    database = _sqlite_file(uri)
    if database is not None and not database.is_file():
        raise UsageError(
            f"no model store at {database}: train a model first (propensity train), "
            "or point --tracking-uri or MLFLOW_TRACKING_URI at your store"
        )
    point_at(uri)
    return uri


def _sqlite_file(uri: str) -> Path | None:
    """The database file of a local SQLite store's URI, else None."""
    return Path(uri[len("sqlite:///") :]) if uri.startswith("sqlite:///") else None


def _local_home(uri: str) -> Path | None:
    database = _sqlite_file(uri)
    return database.parent if database is not None else None


def point_at(uri: str) -> None:
    """Use `uri` for both tracking and the model registry."""
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)


def use_tracking(uri: str, experiment: str) -> str:
    """Point MLflow at `uri` and return the experiment id (created on first use)."""
    import mlflow

    home = _local_home(uri)
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)  # the first run writes the store
    point_at(uri)
    client = mlflow.MlflowClient()
    try:
        exp = client.get_experiment_by_name(experiment)
        if exp is not None:
            return exp.experiment_id
        location = (home / "artifacts").resolve().as_uri() if home is not None else None
        return client.create_experiment(experiment, artifact_location=location)
    except Exception as exc:  # MLflow raises several types for an unreachable or refusing server
        raise UsageError(f"tracking server {_redact(uri)}: {describe_tracking_error(exc) or _short(exc)}") from None


_CREDENTIALS = "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)"
_UNREACHABLE = (
    "Connection refused",
    "Failed to establish a new connection",
    "Max retries exceeded",
    "Name or service not known",
    "nodename nor servname",
    "timed out",
)


def describe_tracking_error(exc: BaseException) -> str | None:
    """One line for a tracking server that refuses us (401, 403) or cannot be reached; None for
    anything else. Never quotes credentials: they are not in the text it builds."""
    code = getattr(exc, "error_code", None)
    status: int | None = None
    get_status = getattr(exc, "get_http_status_code", None)
    if callable(get_status):
        try:
            status = int(get_status())
        except Exception:  # noqa: BLE001 - an unknown error code has no status
            status = None
    text = str(exc)
    if code == "UNAUTHENTICATED" or status == 401 or "error code 401" in text:
        return f"401 Unauthorized: the server refused the credentials (set {_CREDENTIALS})"
    if code == "PERMISSION_DENIED" or status == 403 or "error code 403" in text:
        return "403 Forbidden: this user lacks permission (ask the server's admin for EDIT on the experiment and model)"
    if any(marker in text for marker in _UNREACHABLE) or type(exc).__name__ in ("ConnectionError", "ConnectTimeout"):
        return "cannot reach the server (is it running, and is the URI right?)"
    return None


def check_server(uri: str) -> None:
    """Fail fast, before any work, when a remote tracking server refuses us or is not there.

    Read-only (one experiment search); a local store is not probed, so nothing is created.
    """
    if not uri.startswith(("http://", "https://")):
        return
    import mlflow

    with tracking_errors(uri):
        mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri).search_experiments(max_results=1)


@contextmanager
def tracking_errors(uri: str) -> Iterator[None]:
    """Turn a tracking server's refusal or absence into one `UsageError` line (exit code 2)."""
    try:
        yield
    except PropensityError:
        raise
    except Exception as exc:
        reason = describe_tracking_error(exc)
        if reason is None:
            raise
        raise UsageError(f"tracking server {_redact(uri)}: {reason}") from None


def _redact(uri: str) -> str:
    return re.sub(r"//[^/@\s]+@", "//***@", uri)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return _redact(text)[:200]


def pip_requirements() -> list[str]:
    """Pinned requirements of the logged model (given explicitly: inference is slow)."""
    from importlib.metadata import version

    return [f"{pkg}=={version(pkg)}" for pkg in ("lightgbm", "numpy", "pandas", "polars", "pyarrow", "scikit-learn", "mlflow")]


def log_propensity_model(model_dir: Path, model_name: str | None) -> Any:
    """Log the saved model as pyfunc (no pickle) and register it under `model_name`."""
    import mlflow

    package_dir = Path(__file__).resolve().parent
    return mlflow.pyfunc.log_model(
        name="model",
        loader_module="propensity._pyfunc",
        data_path=str(model_dir),
        code_paths=[str(package_dir)],
        pip_requirements=pip_requirements(),
        registered_model_name=model_name,
    )


@dataclass(frozen=True)
class LoadedModel:
    model: Any  # PropensityModel
    uri: str
    version: str


@dataclass(frozen=True)
class ModelUri:
    """A model URI taken apart: `models:/NAME@alias`, `models:/NAME/3` or `runs:/RUN_ID/path`.

    Any other URI (a logged model's `models:/m-...`, a path) leaves every part None.
    """

    name: str | None = None  # the registered model
    alias: str | None = None
    version: str | None = None
    run_id: str | None = None


def parse_model_uri(uri: str) -> ModelUri:
    if m := re.fullmatch(r"models:/([^/@]+)@(.+)", uri):
        return ModelUri(name=m.group(1), alias=m.group(2))
    if m := re.fullmatch(r"models:/([^/@]+)/(\d+)", uri):
        return ModelUri(name=m.group(1), version=m.group(2))
    if m := re.fullmatch(r"runs:/([0-9a-f]+)/.*", uri):
        return ModelUri(run_id=m.group(1))
    return ModelUri()


def _registered_version(client: Any, ref: ModelUri) -> Any:
    """The registry's model version a `models:/` URI names (None for any other URI)."""
    if ref.name and ref.alias:
        return client.get_model_version_by_alias(ref.name, ref.alias)
    if ref.name and ref.version:
        return client.get_model_version(ref.name, ref.version)
    return None


def run_id_of(client: Any, uri: str) -> str | None:
    """The MLflow run that logged the model `uri` names, asking the registry for a `models:/` URI."""
    ref = parse_model_uri(uri)
    if ref.run_id:
        return ref.run_id
    version = _registered_version(client, ref)
    return str(version.run_id) if version is not None and version.run_id else None


def download_run_artifact(run_id: str, artifact_path: str, dst: Path) -> Path | None:
    """A run's artifact as a local file, or None when the run does not have it (an older run).
    Any other failure (auth, network, a broken store) is raised, never read as "not there"."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        return Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=artifact_path, dst_path=str(dst)))
    except (MlflowException, OSError) as exc:
        if is_not_found(exc):
            return None
        raise


def is_not_found(exc: BaseException) -> bool:
    """An MLflow error that says the run, model or artifact does not exist (not auth, not network)."""
    from mlflow.exceptions import MlflowException

    return isinstance(exc, FileNotFoundError) or (isinstance(exc, MlflowException) and exc.error_code == "RESOURCE_DOES_NOT_EXIST")


def _version_of(uri: str) -> str:
    from mlflow import MlflowClient

    ref = parse_model_uri(uri)
    if ref.version:
        return ref.version
    if ref.alias:
        return str(_registered_version(MlflowClient(), ref).version)
    if ref.run_id:
        return f"run-{ref.run_id[:8]}"
    return uri


def load_registered(uri: str, *, tracking_uri: str | None = None) -> LoadedModel:
    """A registered model from the store every command uses (`tracking_uri`, else
    MLFLOW_TRACKING_URI, else ./models/mlflow.db): `propensity.load_model`. A store that does not
    exist is a `UsageError` naming it, and nothing is created."""
    open_store(tracking_uri)
    return load_model(uri)


def load_model(uri: str) -> LoadedModel:
    """Download a logged propensity model and load it from its plain files."""
    import mlflow
    from mlflow.models import Model

    from propensity._pyfunc import read_model

    with tempfile.TemporaryDirectory(prefix="propensity-model-") as tmp:  # loaded into memory, then removed
        try:
            version = _version_of(uri)
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tmp))
        except Exception as exc:
            refused = describe_tracking_error(exc)
            if refused is not None:
                raise UsageError(f"model {uri}: tracking server {_redact(mlflow.get_tracking_uri())}: {refused}") from None
            raise UsageError(f"model {uri}: cannot be loaded ({_short(exc)})") from None
        try:
            flavor = Model.load(str(local / "MLmodel")).flavors["python_function"]
            data = local / flavor["data"]
            if flavor.get("loader_module") != "propensity._pyfunc":
                raise KeyError("loader_module")
            return LoadedModel(read_model(data), uri, version)
        except (KeyError, FileNotFoundError, ValueError) as exc:
            raise UsageError(f"model {uri}: not a propensity model ({_short(exc)})") from None
