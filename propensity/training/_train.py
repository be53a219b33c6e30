"""Training: fit LightGBM on the train cutoffs, early-stop and calibrate on later held-out cutoffs,
judge model and points on the latest matured cutoffs, and track it all in MLflow."""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import polars as pl

from propensity._config import Config, config_to_dict
from propensity._errors import PropensityError
from propensity._model import (
    PropensityModel,
    category_levels,
    to_model_frame,
    to_model_matrix,
)
from propensity.io._export import CrmExport
from propensity.lifecycle._drift import reference_profile
from propensity.scoring._grades import GradeScale
from propensity.scoring._points import points_scores
from propensity.scoring._reasons import drivers
from propensity.scoring._views import VIEW_SCHEMA
from propensity.training._backtest import (
    HALF_LIFE_FOLDS,
    Backtest,
    fit_backtested,
)
from propensity.training._fit import binned_dataset, frame_rows
from propensity.training._gate import backtest_figures, guard_checks, judge
from propensity.training._labels import SplitPlan
from propensity.training._metrics import backtest_metrics, capture_at, ranking_metrics
from propensity.training._sampling import row_weights
from propensity.training._training_set import (
    POINTS_COLUMN,
    TrainingSet,
    build_training_set,
    rows_at,
)

if TYPE_CHECKING:
    from propensity.training._preflight import PreflightResult

__all__ = ["TrainResult", "fit_model", "evaluate", "train", "fitted_cutoffs_text"]

log = logging.getLogger("propensity")


@dataclass(frozen=True)
class TrainResult:
    run_id: str | None
    model_uri: str | None
    model_name: str | None
    model_version: str | None
    tracking_uri: str | None
    metrics: dict[str, float]
    drivers: pd.DataFrame
    plan: SplitPlan
    counts: dict[str, int]
    model: PropensityModel
    validation: pl.DataFrame  # contact_id, cutoff, label, score, points, fold: the backtest's rows
    scorecard: Any = None  # the learned points (propensity.training._scorecard.Scorecard)
    decision: Any = None  # the gate's verdict (propensity.training._gate.GateDecision): may it be champion?
    champion: bool = False  # the `champion` alias was moved to this model


def _check_labels(y: np.ndarray, role: str) -> None:
    pos = int(y.sum())
    if pos == 0 or pos == len(y):
        raise PropensityError(
            f"the {role} cutoffs have {pos} positive and {len(y) - pos} negative leads: "
            "both classes are needed to learn (check label.positive_outcomes and the export's outcomes)"
        )


def fit_model(ts: TrainingSet, config: Config) -> tuple[PropensityModel, Backtest]:
    """Search and backtest on the forward folds, then refit on every matured cutoff.

    The backtest decides the settings (search), the number of trees (early stopping on the folds'
    mean held-out log loss) and the calibration (Platt on the out-of-time margins, newest folds
    weighing most); the model returned is LightGBM refitted with those settings on all the rows.

    With `[views] enabled`, the fit and engagement views (`propensity.training._views`) are fitted the same
    way beside it, with the same settings; `Backtest.views` holds their out-of-time scores."""
    from propensity.training._fit import lgb_params
    from propensity.training._search import search_params
    from propensity.training._views import fit_views

    spec = ts.builder.spec_
    y = ts.frame["label"].to_numpy().astype(np.int8)
    cutoffs = ts.frame["cutoff"].to_numpy()
    _check_labels(y, "training")
    kept = ts.kept()  # negative downsampling: only these rows are fitted on; every judged row is judged
    rate = ts.sampling.rate if ts.sampling is not None else 1.0
    # read a batch of float32 rows at a time and binned once: neither a pandas copy nor a whole matrix
    rows = frame_rows(spec, ts.frame)
    data = binned_dataset(rows, y, spec.categorical, row_weights(y, kept, rate), names=spec.names, levels=category_levels(spec))
    del rows
    found = search_params(data, y, cutoffs, ts.plan, config, kept)  # None when [search] trials <= 1
    if found is not None:
        config = replace(config, model=replace(config.model, **found.params))
    params = lgb_params(config)
    rounds, patience = config.model.num_boost_round, config.model.early_stopping_rounds
    booster, bt = fit_backtested(  # the backtest, then every matured cutoff
        params, data, lambda at: to_model_matrix(spec, rows_at(ts.frame, at, spec.names)), y, cutoffs, ts.plan, rounds=rounds, patience=patience, kept=kept,
    )
    meta: dict[str, Any] = {"search": found.to_dict()} if found else {}
    meta["fitted_rows"] = int(kept.sum())  # the rows the served booster was fitted on
    if ts.sampling is not None:
        meta["sampling"] = ts.sampling.to_dict()
    model = PropensityModel(booster, spec, bt.calibration, meta)
    if config.views.enabled:
        model.views, oot = fit_views(spec, ts.frame, y, ts.frame.select("contact_id", "cutoff"), ts.plan, params, kept, rate, config)
        bt = replace(bt, views=oot)
    return model, bt


def _spread(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.std(finite, ddof=1)) if len(finite) > 1 else float("nan")


def evaluate(bt: Backtest, ts: TrainingSet, export: CrmExport, config: Config) -> dict[str, Any]:
    """Model and points on the backtest's judged rows: the same rows, the same labels, out of time.

    Ranking figures pool every fold; probability figures (log loss, Brier, ECE, mean score) pool the
    folds calibrated only on earlier folds. Per-fold figures give the spread."""
    spec = ts.builder.spec_
    extra = [POINTS_COLUMN] if POINTS_COLUMN in ts.frame.columns else []
    # the judged rows' columns that are read, not the whole training-set row (a gather of every column
    # of a backtest's millions of leads made the training's peak)
    part = rows_at(ts.frame, bt.rows, ["contact_id", "cutoff", "label", *extra, *spec.names])
    p, y = bt.score, bt.y
    if POINTS_COLUMN in part.columns:  # built on Spark, where the events are
        pts = part[POINTS_COLUMN].cast(pl.Float64).to_numpy()
    else:
        pts = points_scores(export, part.select("contact_id", "cutoff"), config.points)["points"].to_numpy()
    model_metrics = backtest_metrics(y, p, bt.fold)
    folds = []
    for k, fold in enumerate(ts.plan.folds):
        m = bt.fold == k
        mm, pm = ranking_metrics(y[m], p[m]), ranking_metrics(y[m], pts[m])
        folds.append(
            {
                "fold": k,
                "fit_first": fold.fit[0].isoformat(), "fit_last": fold.fit[-1].isoformat(), "fit_cutoffs": len(fold.fit),
                "judged": [t.isoformat() for t in fold.judged],
                "rows": int(m.sum()), "positives": int(y[m].sum()),
                "forward_calibrated": bool(bt.forward[m].all()) if m.any() else False,
                "roc_auc": mm["roc_auc"], "pr_auc": mm["pr_auc"], "capture_10": mm["capture_10"],
                "mean_score": float(p[m].mean()) if m.any() else float("nan"),
                "observed_rate": float(y[m].mean()) if m.any() else float("nan"),
                "points_roc_auc": pm["roc_auc"], "points_capture_10": pm["capture_10"],
            }
        )
    for key in ("roc_auc", "pr_auc", "capture_10"):
        model_metrics[f"{key}_sd"] = _spread([f[key] for f in folds])
    newest = folds[-1]
    model_metrics["newest_mean_score"] = newest["mean_score"]
    model_metrics["newest_observed_rate"] = newest["observed_rate"]
    return {
        "rows": part.select("contact_id", "cutoff", "label").with_columns(
            pl.Series("score", p), pl.Series("points", pts), pl.Series("fold", bt.fold, dtype=pl.Int8)
        ),
        "y": y,
        "p": p,
        "points": pts,
        "frame": part.select(spec.names),  # the model input's features, built into the model frame a chunk at a time where read
        "model": model_metrics,
        "points_metrics": {**ranking_metrics(y, pts), "capture_30": capture_at(y, pts, 0.30)},
        "folds": folds,
    }


def train(
    export: CrmExport,
    config: Config,
    *,
    tracking_uri: str | None,
    model_name: str | None = None,
    set_champion: bool = True,
    training_set: TrainingSet | None = None,
    checked: PreflightResult | None = None,
) -> TrainResult:
    """Preflight, build the training set (unless given: e.g. built on Spark), guard it against leakage, fit, evaluate (model, points and
    the learned scorecard), and (with a tracking URI) log and register. `checked`: the preflight's
    result when it was counted elsewhere (e.g. on Spark)."""
    from propensity.scoring._account_view import account_grades
    from propensity.scoring._treeshap import explainer_for
    from propensity.training._metrics import calibration_by_cutoff
    from propensity.training._no_information import guard_training_set
    from propensity.training._preflight import preflight
    from propensity.training._scorecard import scorecard_for

    checked = checked if checked is not None else preflight(export, config)  # refuses (exit 2) before any feature is built
    built = training_set if training_set is not None else build_training_set(export, config, checked.plan)
    guard = guard_training_set(built, config)
    ts = guard.training_set
    kept, labels = ts.kept(), ts.frame["label"].to_numpy()
    judged = ts.judged(["label"])  # counted from one column: the judged rows of a big export are millions
    counts = {
        "train_rows": int(kept.sum()),  # the rows the served model is fitted on (after any downsampling)
        "train_positives": int(labels[kept].sum()),
        "valid_rows": judged.height,
        "valid_positives": int(judged["label"].sum()),
    }
    log.info("training set: %s", ", ".join(f"{k}={v}" for k, v in counts.items()))
    model, bt = fit_model(ts, config)
    best = bt.best_iteration
    ev = evaluate(bt, ts, export, config)
    if model.views is not None:  # the fit and engagement views on the same out-of-time rows, graded as scoring grades them
        graded = model.views.graded(bt.views["fit"], bt.views["engagement"])
        ev["rows"] = ev["rows"].with_columns(pl.Series(k, v, dtype=VIEW_SCHEMA[k]) for k, v in graded.items())
    card, card_metrics, _ = scorecard_for(ts, config)
    ev.update(scorecard=card, scorecard_metrics=card_metrics, guard=guard, preflight=checked, search=model.metadata.get("search"))
    ev["by_cutoff"] = calibration_by_cutoff(ev["rows"]["cutoff"].to_numpy(), ev["y"], ev["p"])
    valid_accounts = rows_at(ts.frame, bt.rows, ["contact_id", "account_id", "cutoff", "label"]).with_columns(pl.Series("score", ev["p"]))
    account_scale, account_metrics = account_grades(valid_accounts, config.grades)
    sample = to_model_frame(model.spec, ev["frame"].head(20_000))
    contrib = explainer_for(model.booster).contributions(sample)
    table = drivers(model.spec, sample, contrib)
    grades = GradeScale.from_scores(ev["p"], config.grades)
    model.metadata = {**_metadata(export, config, ts.plan, counts, best, grades), **model.metadata}
    model.metadata["drivers"] = table.to_dict(orient="records")
    # drift baseline: the backtest's out-of-time scores, which the served model's scores of new leads follow
    model.metadata["reference"] = reference_profile(model.spec, ev["frame"], ev["p"])
    metrics = {f"valid_{k}": v for k, v in ev["model"].items()}
    metrics.update({f"points_valid_{k}": v for k, v in ev["points_metrics"].items()})
    metrics["best_iteration"] = float(best)
    metrics["backtest_folds"] = float(len(ts.plan.folds))
    metrics["fitted_cutoffs"] = float(len(ts.plan.cutoffs))
    metrics["sampling_negative_rate"] = ts.sampling.rate if ts.sampling is not None else 1.0
    metrics.update({f"scorecard_valid_{k}": v for k, v in card_metrics.items()})
    metrics.update({f"account_valid_{k}": v for k, v in account_metrics.items()})
    for name, p_view in bt.views.items():  # the views' own ranking on the backtest's rows
        metrics.update({f"{name}_valid_{k}": v for k, v in ranking_metrics(ev["y"], p_view).items()})
    if account_scale is not None:
        model.metadata["account_grades"] = account_scale.to_dict()
    model.metadata["leakage"] = guard.to_dict()
    model.metadata["calibration_by_cutoff"] = ev["by_cutoff"]
    model.metadata["backtest"] = {"folds": ev["folds"], "best_iteration": best, "logloss": bt.logloss, "calibration_half_life_folds": HALF_LIFE_FOLDS}
    # the retrain gate reads this: training got here, so the preflight passed (possibly with warnings)
    model.metadata["preflight"] = {
        "passed": True,
        "status": "passed with warnings" if checked.warnings else "passed",
        "counts": dict(checked.counts),
        "warnings": list(checked.warnings),
    }

    figures, points = backtest_figures(ev["rows"], metrics)
    decision = judge(figures, None, config.gate, guard_checks(model.metadata), points=points)
    model.metadata["gate"] = {"promote": decision.promote, "rule": decision.rule, "reasons": decision.reasons()}
    run_id = model_uri = version = None
    champion = False
    if tracking_uri is not None:
        champion = set_champion and decision.promote
        run_id, model_uri, version = _track(model, ev, table, metrics, export, config, tracking_uri, model_name, champion)
    return TrainResult(
        run_id, model_uri, model_name, version, tracking_uri, metrics, table, ts.plan, counts, model,
        ev["rows"], card, decision, champion,
    )


def _metadata(
    export: CrmExport, config: Config, plan: SplitPlan, counts: dict[str, int], best: int, grades: GradeScale
) -> dict[str, Any]:
    return {
        "label": {"positive_outcomes": list(config.label.positive_outcomes), "horizon_days": config.label.horizon_days},
        "training_window": {"first_cutoff": plan.cutoffs[0].isoformat(), "last_cutoff": plan.cutoffs[-1].isoformat()},
        # the served model was refitted on every matured cutoff of the export
        "fitted_cutoffs": [t.isoformat() for t in plan.cutoffs],
        "valid_cutoffs": [t.isoformat() for t in plan.judged],
        "counts": counts,
        "best_iteration": best,
        "grades": grades.to_dict(),
        "points": asdict(config.points),
        "data_fingerprint": export.fingerprint,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def fitted_cutoffs_text(metadata: dict[str, Any]) -> str:
    """'2024-03 .. 2025-01 (11 matured monthly cutoffs)': what the served model was fitted on."""
    cut = metadata.get("fitted_cutoffs") or []
    if not cut:
        return ""
    return f"{cut[0][:7]} .. {cut[-1][:7]} ({len(cut)} matured monthly cutoffs)"


def _flat_params(config: Config) -> dict[str, str]:
    out: dict[str, str] = {}
    for section, values in config_to_dict(config).items():
        if section == "points":
            continue
        if isinstance(values, dict):
            for k, v in values.items():
                out[f"{section}.{k}"] = json.dumps(v) if isinstance(v, (list, tuple, dict)) else str(v)
        else:
            out[section] = str(values)
    return out


def _track(
    model: PropensityModel,
    ev: dict[str, Any],
    table: pd.DataFrame,
    metrics: dict[str, float],
    export: CrmExport,
    config: Config,
    tracking_uri: str,
    model_name: str | None,
    set_champion: bool,
) -> tuple[str, str, str | None]:
    import mlflow

    from propensity.lifecycle._tracking import (
        CHAMPION,
        log_propensity_model,
        use_tracking,
    )
    from propensity.reports._data import log_report_artifacts
    from propensity.training._quality_log import log_quality

    exp_id = use_tracking(tracking_uri, config.experiment)
    meta = model.metadata
    label_text = f"{' or '.join(config.label.positive_outcomes)} within {config.label.horizon_days} days"
    with mlflow.start_run(experiment_id=exp_id) as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.log_params(_flat_params(config))
        mlflow.set_tags(
            {
                "propensity.label": label_text,
                "propensity.training_window": f"{meta['training_window']['first_cutoff']} .. {meta['training_window']['last_cutoff']}",
                "propensity.valid_cutoffs": ", ".join(meta["valid_cutoffs"]),
                "propensity.fitted_cutoffs": fitted_cutoffs_text(meta),
                "propensity.data_fingerprint": export.fingerprint,
                "propensity.data_window": f"{export.data_start:%Y-%m-%d} .. {export.data_end:%Y-%m-%d}",
            }
        )
        mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
        mlflow.log_metrics({f"rows_{k}": float(v) for k, v in meta["counts"].items()})
        d = Path(tmp)
        table.to_csv(d / "drivers.csv", index=False)
        comparison = {
            "label": label_text,
            "model": ev["model"],
            "points": ev["points_metrics"],
        }
        (d / "model_vs_points.json").write_text(json.dumps(comparison, indent=2), encoding="utf-8")
        (d / "points_table.json").write_text(json.dumps(asdict(config.points), indent=2), encoding="utf-8")
        for name in ("drivers.csv", "model_vs_points.json", "points_table.json"):
            mlflow.log_artifact(str(d / name), artifact_path="evaluation")
        log_report_artifacts(model, ev, d / "report")  # validation rows, and the report's charts as plots/*.svg
        log_quality(ev, d / "quality")  # leakage verdicts, calibration by cutoff, search, scorecard
        model.metadata["run_id"] = run.info.run_id  # `propensity report` finds the run's figures from the model
        model_dir = model.save(d / "propensity_model")
        info = log_propensity_model(model_dir, model_name)
        version = None
        if model_name:
            version = str(info.registered_model_version)
            client = mlflow.MlflowClient()
            client.set_model_version_tag(model_name, version, "propensity.label", label_text)
            client.set_model_version_tag(model_name, version, "propensity.valid_roc_auc", f"{metrics['valid_roc_auc']:.4f}")
            client.set_model_version_tag(model_name, version, "propensity.gate.rule", meta["gate"]["rule"][:4000])
            if set_champion:
                client.set_registered_model_alias(model_name, CHAMPION, version)
        model_uri = f"models:/{model_name}/{version}" if model_name else info.model_uri
        return run.info.run_id, model_uri, version
