"""Everything the report shows, read back from a registered model and the MLflow run that trained it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from propensity.flat._model import FlatModel
from propensity.reports._data import (
    FIELDS_ARTIFACT,
    GRADES,
    VALIDATION_ARTIFACT,
    Report,
    axis_label,
    calibration_bins,
    dependence,
    drift,
    gains_points,
    grade_table,
    migration,
    movers,
    score_histogram,
)
from propensity.reports._flat import flat_card
from propensity.reports._matrix import fit_engagement_grid
from propensity.scoring._views import CELLS

__all__ = ["collect_report", "read_scores"]


def _run_id(loaded: Any) -> str:
    import mlflow

    from propensity._errors import UsageError
    from propensity.lifecycle._tracking import run_id_of

    meta = loaded.model.metadata
    if meta.get("run_id"):
        return str(meta["run_id"])
    run_id = run_id_of(mlflow.MlflowClient(), loaded.uri)
    if run_id is None:
        raise UsageError(f"model {loaded.uri}: cannot find the MLflow run that trained it")
    return run_id


def read_scores(path: str | Path) -> pl.DataFrame:
    """A `propensity score` output: only the score, grade, model_version and fit_engagement columns are used."""
    from propensity._errors import DataError, UsageError

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"--scores: no such file: {p}")
    try:
        frame = pl.read_parquet(p) if p.suffix.lower() == ".parquet" else pl.read_csv(p, infer_schema_length=10_000)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--scores: {p} cannot be read as {'Parquet' if p.suffix.lower() == '.parquet' else 'CSV'} ({str(exc).splitlines()[0][:120]})") from None
    for col in ("score", "grade"):
        if col not in frame.columns:
            raise DataError(str(p), col, "missing: not a `propensity score` output", ", ".join(frame.columns[:6]))
    score = frame["score"].cast(pl.Float64, strict=False)
    bad = frame.filter(score.is_null() | ~score.is_between(0, 1))
    if bad.height:
        raise DataError(str(p), "score", "must be a probability between 0 and 1", bad["score"][0])
    wrong = frame.filter(~pl.col("grade").cast(pl.String).is_in(list(GRADES)))
    if wrong.height:
        raise DataError(str(p), "grade", "must be one of A, B, C, D", wrong["grade"][0])
    if "fit_engagement" in frame.columns:
        odd = frame.filter(~pl.col("fit_engagement").cast(pl.String).is_in(list(CELLS)))
        if odd.height:
            raise DataError(str(p), "fit_engagement", "must be a fit grade A-D then an engagement level 1-4, as A1", odd["fit_engagement"][0])
    keep = [c for c in ("score", "grade", "model_version", "fit_engagement") if c in frame.columns]
    return frame.select(keep).with_columns(pl.col("score").cast(pl.Float64), pl.col("grade").cast(pl.String))


def _input_drift(scores: Path, spec: Any, top: int = 10) -> list[tuple[str, float]]:
    """The inputs that moved most, from the drift table `propensity score` writes beside its scores."""
    path = scores.with_name(f"{scores.stem}.drift.csv")
    if not path.is_file():
        return []
    try:
        table = pl.read_csv(path)
        rows = table.filter(pl.col("name") != "score").sort("psi", descending=True).head(top)
        by_name = spec.by_name()
        return [
            (_input_name(spec, by_name[n]) if n in by_name else str(n).replace("_", " "), float(v))
            for n, v in rows.select("name", "psi").iter_rows()
        ]
    except (pl.exceptions.PolarsError, OSError, ValueError, TypeError):  # a foreign or older drift file: the score PSI above still stands
        return []


def _input_name(spec: Any, f: Any) -> str:
    """A model input in words: its business field, and what the value measures when that says more."""
    label, axis = str(spec.field_label(f.field)), axis_label(spec, f)
    return label if axis == label else f"{label}: {axis}"


def collect_report(model_uri: str, scores: str | Path | None = None) -> Report:
    """Everything the report shows, read from the model and the MLflow run that trained it."""
    import tempfile

    import mlflow

    from propensity._errors import UsageError
    from propensity.lifecycle._tracking import (
        download_run_artifact,
        load_model,
        parse_model_uri,
    )
    from propensity.training._metrics import (
        backtest_metrics,
        capture_at,
        ranking_metrics,
    )

    scored = read_scores(scores) if scores is not None else None
    loaded = load_model(model_uri)
    run_id = _run_id(loaded)
    client = mlflow.MlflowClient()
    run = client.get_run(run_id)
    tmp = Path(tempfile.mkdtemp(prefix="propensity-report-"))
    try:
        vpath = download_run_artifact(run_id, VALIDATION_ARTIFACT, tmp)
        fpath = download_run_artifact(run_id, FIELDS_ARTIFACT, tmp)  # an auth or network error is raised: tracking_errors names it
        if vpath is None or fpath is None:
            raise UsageError(
                f"model {model_uri}: its run {run_id} has no {VALIDATION_ARTIFACT} (trained before reports existed): retrain it"
            )
        validation = pl.read_parquet(vpath)
        fields = json.loads(fpath.read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    meta = loaded.model.metadata
    drivers = list(meta.get("drivers", []))
    y = validation["label"].to_numpy().astype(np.int8)
    p = validation["score"].to_numpy()
    pts = validation["points"].to_numpy()
    # probability figures on the folds calibrated on earlier folds only, as training computes them
    # the figures training logged, from the same rows by the same rule (runs before the backtest: one fold)
    fold = validation["fold"].to_numpy() if "fold" in validation.columns else np.zeros(len(y), dtype=np.int8)
    recomputed = {f"valid_{k}": v for k, v in backtest_metrics(y, p, fold).items()}
    recomputed.update({f"points_valid_{k}": v for k, v in ranking_metrics(y, pts).items()})
    recomputed["points_valid_capture_30"] = capture_at(y, pts, 0.30)
    counts = meta.get("counts", {})
    card = {
        "positive_outcomes": list(meta.get("label", {}).get("positive_outcomes", [])),
        "horizon_days": meta.get("label", {}).get("horizon_days"),
        "training_window": meta.get("training_window", {}),
        "fitted_cutoffs": meta.get("fitted_cutoffs", []),
        "valid_cutoffs": meta.get("valid_cutoffs", []),
        "backtest_folds": (meta.get("backtest") or {}).get("folds", []),
        "newest": ((meta.get("backtest") or {}).get("folds") or [{}])[-1],
        "gate": meta.get("gate"),
        "sampling": meta.get("sampling"),
        "counts": counts,
        "trained_at": meta.get("trained_at"),
        "data_fingerprint": meta.get("data_fingerprint"),
        "data_window": run.data.tags.get("propensity.data_window"),
        "best_iteration": meta.get("best_iteration"),
        "features": len(loaded.model.spec.features),
        "left_out": dict(loaded.model.spec.left_out),
        "fields": len(fields),
    }
    hist_top = float(np.quantile(p, 0.995)) if len(p) else 1.0
    report = Report(
        model_uri=model_uri,
        model_name=parse_model_uri(model_uri).name,
        model_version=str(loaded.version),
        run_id=run_id,
        card=card,
        metrics=dict(run.data.metrics),
        recomputed=recomputed,
        validation=validation,
        fields=fields,
        drivers=drivers,
        gains={"model": gains_points(y, p), "points": gains_points(y, pts)},
        calibration=calibration_bins(y, p),
        grades=grade_table(validation),
        histogram=score_histogram(validation, top=hist_top),
        migration=migration(validation),
        movers=movers(validation, spec=loaded.model.spec, fields=fields),
        dependence=dependence(validation, fields, drivers, spec=loaded.model.spec),
    )
    if isinstance(loaded.model, FlatModel):  # a flat lead table: its own card and the company's scores beside the model
        report.card["flat"] = flat_card(run_id, meta)
    report.fit_engagement = fit_engagement_grid(validation, scored)  # None for a model without the views
    if scored is not None:
        report.scored_grades = grade_table(scored)
        report.scored_histogram = score_histogram(scored, top=hist_top)
        report.drift = drift(validation, scored, Path(scores).name, loaded.model)  # type: ignore[arg-type]
        report.drift.features.extend(_input_drift(Path(scores), loaded.model.spec))  # type: ignore[arg-type]
    return report
