"""Drift: how far today's leads and scores have moved from the population the model was judged on.

At training time `reference_profile` bins every numeric feature and the score on the validation
rows (deciles; missing values get a bin of their own) and counts the share of each level of every
categorical feature; the profile is stored in the model's metadata under "reference". At scoring
time the same bins are filled with the scored leads and compared with the Population Stability
Index, PSI = sum((actual - expected) * ln(actual / expected)): below 0.1 is stable, 0.1 to 0.25 a
shift worth a look (warn), 0.25 and above a shift that makes the model's figures unreliable (alert).

The run's one-line headline weighs the features by what the model does with them: ALERT when the
score itself moved (PSI >= 0.25) or when the features in alert carry at least 20% of the model's
weight (its drivers' importance); a lone feature the model barely uses (a first-touch age that grows
with the calendar) makes it a warning, not an alarm. Every feature's PSI is in the table either way.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from propensity._model import model_columns
from propensity.features._spec import FeatureSpec

__all__ = [
    "WARN",
    "ALERT",
    "REFERENCE_BINS",
    "psi",
    "numeric_shares",
    "psi_status",
    "reference_profile",
    "drift_table",
    "DriftReport",
    "check_drift",
    "log_drift",
]

log = logging.getLogger("propensity")

WARN = 0.10
ALERT = 0.25
REFERENCE_BINS = 10
_EPS = 1e-4  # share floor: an empty bin on one side must not make PSI infinite
_MISSING = "__missing__"


def psi(expected: np.ndarray | list[float], actual: np.ndarray | list[float]) -> float:
    """Population Stability Index between two share vectors over the same bins."""
    e = np.maximum(np.asarray(expected, dtype=np.float64), _EPS)
    a = np.maximum(np.asarray(actual, dtype=np.float64), _EPS)
    if e.shape != a.shape:
        raise ValueError(f"PSI needs the same bins on both sides, got {e.shape} and {a.shape}")
    return float(np.sum((a - e) * np.log(a / e)))


def psi_status(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return "alert" if value >= ALERT else "warn" if value >= WARN else "ok"


# ------------------------------------------------------------------ profiles
def numeric_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Shares of the bins (-inf, e0], (e0, e1], ..., (ek, inf) and, last, of missing values."""
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    out = np.zeros(len(edges) + 2)
    if n == 0:
        return out
    missing = np.isnan(v)
    idx = np.searchsorted(edges, v[~missing], side="left")
    out[: len(edges) + 1] = np.bincount(idx, minlength=len(edges) + 1) / n
    out[-1] = missing.sum() / n
    return out


def _numeric_profile(values: np.ndarray, bins: int) -> dict[str, Any]:
    v = np.asarray(values, dtype=np.float64)
    present = v[~np.isnan(v)]
    if len(present):
        edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]))
    else:
        edges = np.array([], dtype=np.float64)
    return {"kind": "numeric", "edges": [float(x) for x in edges], "shares": [float(x) for x in numeric_shares(v, edges)]}


def _levels(values: pd.Series) -> pd.Series:
    return values.astype("object").where(values.notna(), _MISSING).astype(str)


def _category_profile(values: pd.Series) -> dict[str, Any]:
    shares = _levels(values).value_counts(normalize=True)
    return {"kind": "category", "shares": {str(k): float(v) for k, v in shares.sort_index().items()}}


def _category_psi(profile: dict[str, Any], values: pd.Series) -> float:
    ref: dict[str, float] = profile["shares"]
    now = _levels(values).value_counts(normalize=True).to_dict() if len(values) else {}
    levels = sorted(set(ref) | set(now))
    return psi([ref.get(k, 0.0) for k in levels], [float(now.get(k, 0.0)) for k in levels])


def reference_profile(spec: FeatureSpec, frame: pd.DataFrame | pl.DataFrame, scores: np.ndarray, bins: int = REFERENCE_BINS) -> dict[str, Any]:
    """The binned distribution of each feature and of the score; `frame` is the model input, or the
    features it is built from (a polars frame: read into the model input a column at a time)."""
    kinds = {f.name: f.kind for f in spec.features}
    features: dict[str, Any] = {}
    for name, values in model_columns(spec, frame):
        if kinds[name] == "category":
            features[name] = _category_profile(values)
        else:
            features[name] = _numeric_profile(pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64), bins)
    return {"bins": bins, "rows": int(len(frame)), "score": _numeric_profile(np.asarray(scores), bins), "features": features}


def drift_table(reference: dict[str, Any], spec: FeatureSpec, frame: pd.DataFrame, scores: np.ndarray) -> pl.DataFrame:
    """PSI of the score and of every feature against the reference: name, kind, field, psi, status."""
    rows: list[tuple[str, str, str, float]] = []
    score_ref = reference["score"]
    rows.append(("score", "score", "score", psi(score_ref["shares"], numeric_shares(np.asarray(scores), np.asarray(score_ref["edges"])))))
    by_name = spec.by_name()
    for name, profile in reference["features"].items():
        if name not in frame.columns or name not in by_name:
            continue
        if profile["kind"] == "category":
            value = _category_psi(profile, frame[name])
        else:
            now = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
            value = psi(profile["shares"], numeric_shares(now, np.asarray(profile["edges"])))
        rows.append((name, profile["kind"], by_name[name].field, value))
    table = pl.DataFrame(rows, schema={"name": pl.String, "kind": pl.String, "field": pl.String, "psi": pl.Float64}, orient="row")
    status = (
        pl.when(pl.col("psi").is_nan()).then(pl.lit("n/a"))
        .when(pl.col("psi") >= ALERT).then(pl.lit("alert"))
        .when(pl.col("psi") >= WARN).then(pl.lit("warn"))
        .otherwise(pl.lit("ok"))
    )
    table = table.with_columns(status.alias("status")).with_columns(pl.col("psi").round(6))
    return pl.concat([table.head(1), table.slice(1).sort(["psi", "name"], descending=[True, False])])


# ------------------------------------------------------------------ scoring runs
# the share of the model's weight (drivers' importance) whose features must drift before the run is
# an alert: one of 111 features moving (a first-touch age that grows with the calendar) is a warning
WEIGHT_SHARE = 0.20


def field_weights(model: Any) -> dict[str, float]:
    """Business field -> share of the model's mean |contribution| (the drivers stored at training)."""
    drivers = getattr(model, "metadata", {}).get("drivers") or []
    return {str(d["field"]): float(d["importance"]) for d in drivers if "field" in d and "importance" in d}


@dataclass(frozen=True)
class DriftReport:
    """The headline level: ALERT when the score's PSI reaches 0.25 or the features in alert carry at
    least `WEIGHT_SHARE` of the model's weight; warn when the score's PSI reaches 0.1 or any feature
    warns or alerts; else ok. Without driver weights (an older model) any feature alert is an ALERT."""

    table: pl.DataFrame  # name, kind, field, psi, status; the score first, then features by PSI
    as_of: datetime
    leads: int
    weights: dict[str, float] = field(default_factory=dict)  # business field -> share of the model's weight

    @property
    def score_psi(self) -> float:
        return float(self.table["psi"][0])

    def counts(self) -> dict[str, int]:
        feats = self.table.slice(1)
        return {s: int((feats["status"] == s).sum()) for s in ("alert", "warn", "ok")}

    def weight_in(self, statuses: tuple[str, ...]) -> float:
        """Share of the model's weight held by the fields with a feature in one of `statuses`."""
        fields = set(self.table.slice(1).filter(pl.col("status").is_in(list(statuses)))["field"].to_list())
        return float(sum(self.weights.get(f, 0.0) for f in fields))

    @property
    def level(self) -> str:
        c = self.counts()
        features_alert = self.weight_in(("alert",)) >= WEIGHT_SHARE if self.weights else c["alert"] > 0
        if self.score_psi >= ALERT or features_alert:
            return "ALERT"
        return "warn" if (self.score_psi >= WARN or c["alert"] or c["warn"]) else "ok"

    def summary(self) -> str:
        feats = self.table.slice(1)
        c = self.counts()
        worst = ""
        if feats.height:
            w = feats.row(0, named=True)
            worst = f"; worst {w['name']} {w['psi']:.3f}"
        weight = f" (in alert: {self.weight_in(('alert',)):.0%} of the model's weight)" if self.weights and c["alert"] else ""
        return (
            f"drift {self.level}: score PSI {self.score_psi:.3f} ({psi_status(self.score_psi)}); features {c['alert']} alert, "
            f"{c['warn']} warn of {feats.height}{weight}{worst} (PSI warn {WARN}, alert {ALERT})"
        )


def check_drift(export: Any, model: Any, scores: pl.DataFrame, as_of: datetime) -> DriftReport | None:
    """Drift of the scored leads (contact_id, score) at `as_of`; None when the model has no reference."""
    from propensity._model import to_model_frame
    from propensity.features._builder import FeatureBuilder

    reference = model.metadata.get("reference")
    if not reference:
        return None
    scored = scores.filter(pl.col("score").is_not_null()).select("contact_id", "score")
    pairs = scored.select("contact_id").with_columns(pl.lit(as_of, dtype=pl.Datetime("us")).alias("cutoff"))
    feats = FeatureBuilder.from_spec(model.spec).transform(export, pairs)
    feats = scored.join(feats, on="contact_id", how="inner")
    frame = to_model_frame(model.spec, feats)
    table = drift_table(reference, model.spec, frame, feats["score"].to_numpy())
    return DriftReport(table, as_of, feats.height, field_weights(model))


def log_drift(report: DriftReport, *, model_uri: str, model_version: str, scored: int, experiment: str = "propensity") -> str:
    """Record a scoring run (drift figures, table, model) in MLflow, under the model's own experiment."""
    import mlflow

    client = mlflow.MlflowClient()
    exp_id = _experiment_of(client, model_uri) or _default_experiment(experiment)
    counts = report.counts()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "drift.csv"
        report.table.write_csv(path)
        with mlflow.start_run(experiment_id=exp_id, run_name=f"score {report.as_of:%Y-%m-%d} version {model_version}") as run:
            mlflow.set_tags(
                {
                    "propensity.kind": "scoring",
                    "propensity.model_uri": model_uri,
                    "propensity.model_version": model_version,
                    "propensity.as_of": report.as_of.isoformat(),
                    "propensity.drift": report.summary(),
                }
            )
            metrics = {
                "scored_leads": float(scored),
                "drift_score_psi": report.score_psi,
                "drift_max_feature_psi": float(report.table["psi"].slice(1).max() or 0.0),
                "drift_features_alert": float(counts["alert"]),
                "drift_features_warn": float(counts["warn"]),
            }
            mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
            mlflow.log_artifact(str(path), artifact_path="drift")
            return str(run.info.run_id)


def _experiment_of(client: Any, model_uri: str) -> str | None:
    from mlflow.exceptions import MlflowException

    from propensity.lifecycle._tracking import is_not_found, run_id_of

    try:
        run_id = run_id_of(client, model_uri)
        return str(client.get_run(run_id).info.experiment_id) if run_id else None
    except MlflowException as exc:
        if is_not_found(exc):  # the model's run is gone: the default experiment
            return None
        raise


def _default_experiment(name: str) -> str:
    import mlflow

    from propensity.lifecycle._tracking import use_tracking

    return use_tracking(mlflow.get_tracking_uri(), name)
