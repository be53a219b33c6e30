"""Train on a flat lead table: guard against outcomes in disguise, cross-validate, compare, register.

Before any model sees the data, the leakage guard names the columns that predict the target almost
by themselves or that a data dictionary or their name marks as filled in after the fact, with their
single-column ROC AUC, and leaves them out unless kept on purpose (`keep`). The model is LightGBM
with early stopping and Platt calibration on a held-out slice inside each fold, judged by stratified
k-fold cross-validation (or one time split when a date column is named). Each `compare` column
(a company's own score, a rep's judgement) is judged on the same folds, beside the model.
The registered model is trained the same way on every row and saved as plain files (no pickle).
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from propensity._config import Config
from propensity._errors import DataError, PropensityError, UsageError
from propensity._model import PlattCalibration
from propensity.flat._model import FlatModel
from propensity.flat._table import (
    FEATURE_KINDS,
    ColumnProfile,
    FlatTable,
    binary_target,
    feature_name,
    fit_flat_spec,
    flat_features,
    lead_ids,
    level_key,
    profile_columns,
    require_column,
)
from propensity.leakage._guard import (
    DEFAULT_THRESHOLD,
    LeakVerdict,
    after_the_fact,
    find_leaks,
)
from propensity.leakage._plausibility import (
    DEFAULT_SUSPICIOUS_AUC,
    Plausibility,
    check_plausibility,
)
from propensity.scoring._grades import GradeScale
from propensity.training._fit import boost, calibrate, lgb_params
from propensity.training._metrics import probability_metrics, ranking_metrics

__all__ = ["FLAT_MODEL_NAME", "FlatTrainResult", "Guarded", "guard", "train_flat", "compare_scores", "format_flat_summary"]

log = logging.getLogger("propensity")

FLAT_MODEL_NAME = "lead-propensity-flat"
"""Registered name of flat-table models unless one is given (history models are `lead-propensity`)."""

_RANKING = ("roc_auc", "pr_auc", "capture_10", "capture_20")
_HOLDOUT = 0.2  # share of each training part held out for early stopping and calibration
_TIME_TEST = 0.2  # share of the latest rows judged in a time split
_RATE_LEVELS = 50  # a compare column with at most this many values is read level by level


@dataclass(frozen=True)
class FlatTrainResult:
    run_id: str | None
    model_uri: str | None
    model_name: str | None
    model_version: str | None
    tracking_uri: str | None
    table: str
    target: str
    split: str  # "5-fold stratified cross-validation" or "time split on ..."
    metrics: dict[str, float]  # cv_* (mean and sd over folds), valid_* (pooled out of fold), compare_*
    folds: pd.DataFrame  # fold, score, rows, positives, roc_auc, pr_auc, capture_10, capture_20, covered_*
    comparison: pd.DataFrame  # one row per score (the model, then each compare column)
    verdicts: list[LeakVerdict]
    excluded: dict[str, str]  # column -> why it is not a feature
    profiles: dict[str, ColumnProfile]
    features: list[str]  # the original columns the model reads
    drivers: pd.DataFrame
    counts: dict[str, int]
    model: FlatModel
    validation: pl.DataFrame  # id, fold, label, score (out of fold)
    plausibility: Plausibility | None = None  # is the cross-validated ROC AUC too good to be true?


# ----------------------------------------------------------------------------------- LightGBM
def _params(config: Config) -> dict[str, Any]:
    """The [model] settings as the history path trains them, with smoothing for a flat table's
    many-level categories."""
    return lgb_params(config, min_data_per_group=20, cat_smooth=10.0)


def _fit(
    x: pd.DataFrame, y: np.ndarray, fit_idx: np.ndarray, stop_idx: np.ndarray, config: Config, spec_categorical: list[str]
) -> tuple[Any, PlattCalibration, int]:
    """LightGBM on `fit_idx`, early stopping and Platt calibration on `stop_idx` (the one fit path)."""
    import lightgbm as lgb

    for part, idx in (("training", fit_idx), ("early-stopping", stop_idx)):
        if len(np.unique(y[idx])) < 2:
            raise PropensityError(f"the {part} rows of a fold hold one class only: too few converted (or unconverted) leads to learn from")
    dtrain = lgb.Dataset(x.iloc[fit_idx], y[fit_idx], categorical_feature=spec_categorical or "auto", free_raw_data=True)
    dstop = lgb.Dataset(x.iloc[stop_idx], y[stop_idx], reference=dtrain)
    booster, best = boost(_params(config), dtrain, config.model.num_boost_round, valid_set=dstop, patience=config.model.early_stopping_rounds)
    margin = np.asarray(booster.predict(x.iloc[stop_idx], raw_score=True), dtype=np.float64)
    return booster, calibrate(margin, y[stop_idx]), best


def _holdout(idx: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split `idx` into (fit, stop), stratified."""
    from sklearn.model_selection import train_test_split

    fit, stop = train_test_split(idx, test_size=_HOLDOUT, stratify=y[idx], random_state=seed)
    return np.sort(fit), np.sort(stop)


# ---------------------------------------------------------------------------------- the splits
@dataclass(frozen=True)
class _Fold:
    k: int
    fit: np.ndarray
    stop: np.ndarray
    test: np.ndarray


def _kfold(y: np.ndarray, folds: int, seed: int) -> list[_Fold]:
    from sklearn.model_selection import StratifiedKFold

    out = []
    for k, (train, test) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)):
        fit, stop = _holdout(train, y, seed + k)
        out.append(_Fold(k + 1, fit, stop, test))
    return out


def _time_split(when: np.ndarray) -> list[_Fold]:
    """The latest rows are judged; the ones before them fit, the latest of those early-stop."""
    order = np.argsort(when, kind="stable")
    n = len(order)
    n_test = max(1, int(round(_TIME_TEST * n)))
    train, test = order[: n - n_test], order[n - n_test :]
    n_stop = max(1, int(round(_HOLDOUT * len(train))))
    return [_Fold(1, np.sort(train[: len(train) - n_stop]), np.sort(train[len(train) - n_stop :]), np.sort(test))]


# ---------------------------------------------------------------------------- compare columns
def compare_scores(values: pd.Series, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """A company's own column as a score on `test`, read with what `train` shows.

    A number with many values is used as it is (higher is better unless the training rows say the
    opposite; an empty value ranks first or last as the training rows favour). A judgement or a score
    with few values ("Might be", "High in Relevance"; 5, 10, 15) is ranked by each value's conversion
    rate on the training rows, missing being a value of its own: the most favourable reading of it.
    """
    numbers = pd.to_numeric(values, errors="coerce")
    numeric = numbers.notna().sum() == values.notna().sum() and values.notna().any()
    y = np.asarray(y, dtype=np.float64)
    prior = float(y[train].mean())
    if numeric and numbers.nunique() > _RATE_LEVELS:
        v = numbers.to_numpy(dtype=np.float64)
        tr = v[train]
        ok = ~np.isnan(tr)
        sign = 1.0
        if ok.sum() > 1 and len(np.unique(y[train][ok])) == 2:
            from sklearn.metrics import roc_auc_score

            sign = 1.0 if roc_auc_score(y[train][ok], tr[ok]) >= 0.5 else -1.0
        out = sign * v[test]
        missing_rate = float(y[train][~ok].mean()) if (~ok).any() else prior
        fill = np.inf if missing_rate > prior else -np.inf
        return np.where(np.isnan(out), fill, out)
    keys = values.astype("object").map(lambda v: "\0missing" if v is None or pd.isna(v) else level_key(v)).to_numpy()
    stats = pd.DataFrame({"k": keys[train], "y": y[train]}).groupby("k")["y"].agg(["sum", "count"])
    rate = (stats["sum"] + 10.0 * prior) / (stats["count"] + 10.0)
    return pd.Series(keys[test]).map(rate).fillna(prior).to_numpy(dtype=np.float64)


def _finite(score: np.ndarray) -> np.ndarray:
    """Replace +-inf by values beyond the finite range, for metrics that need finite numbers."""
    s = np.asarray(score, dtype=np.float64)
    finite = s[np.isfinite(s)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    return np.where(s == np.inf, hi + 1.0, np.where(s == -np.inf, lo - 1.0, s))


# ----------------------------------------------------------------------------------- training
def _resolve(table: FlatTable, names: Iterable[str], option: str) -> list[str]:
    out = []
    for name in names:
        try:
            out.append(require_column(table, name, option))
        except DataError:
            raise UsageError(f"{option} {name!r}: {table.name} has no such column") from None
    return out


@dataclass(frozen=True)
class Guarded:
    """What the leakage guard saw: column kinds, candidate features, their frame and the verdicts."""

    profiles: dict[str, ColumnProfile]
    candidates: list[str]
    spec: Any  # FeatureSpec of every candidate
    frame: pd.DataFrame  # LightGBM input of every candidate
    verdicts: list[LeakVerdict]


def guard(
    table: FlatTable,
    y: np.ndarray,
    *,
    skip: Iterable[str],
    keep: Sequence[str] = (),
    dictionary: Mapping[str, str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> Guarded:
    """Verdicts on every column that could be a feature (all but `skip`: target, id, date)."""
    profiles = profile_columns(table, skip=skip, keep=keep)
    candidates = [c for c, p in profiles.items() if p.kind in FEATURE_KINDS]
    if not candidates:
        raise DataError(table.name, None, "no column can be a feature (every other column is an id, a date, free text or empty)")
    spec = fit_flat_spec(table, profiles, candidates)
    frame = flat_features(spec, table.frame, {"placeholders": table.placeholders}, name=table.name)
    by_column = frame.set_axis([f.source for f in spec.features], axis=1)
    marked = after_the_fact(candidates, dictionary)
    verdicts = find_leaks(by_column, y, threshold=threshold, keep=keep, marked=marked, columns=candidates)
    return Guarded(profiles, candidates, spec, frame, verdicts)


def train_flat(
    table: FlatTable,
    *,
    target: str,
    id_column: str,
    config: Config,
    compare: Sequence[str] = (),
    keep: Sequence[str] = (),
    exclude: Sequence[str] = (),
    date_column: str | None = None,
    dictionary: Mapping[str, str] | None = None,
    folds: int = 5,
    threshold: float = DEFAULT_THRESHOLD,
    tracking_uri: str | None = None,
    model_name: str | None = None,
    set_champion: bool = True,
    suspicious_auc: float = DEFAULT_SUSPICIOUS_AUC,
) -> FlatTrainResult:
    """Guard, cross-validate, compare, fit the final model and (with a tracking URI) log and register.

    `dictionary` maps table columns to their data-dictionary descriptions (see `_dictionary`). A
    cross-validated ROC AUC at or above `suspicious_auc` is reported as too good to be true, with
    the columns that carry the model (`_plausibility`).
    """
    target = require_column(table, target, "target")
    id_column = require_column(table, id_column, "id")
    if target == id_column:
        raise UsageError(f"--target and --id name the same column {target!r}")
    compare, keep, exclude = (_resolve(table, c, o) for c, o in ((compare, "--compare"), (keep, "--keep"), (exclude, "--exclude")))
    ids = lead_ids(table, id_column)
    y = binary_target(table, target)
    if folds < 2 and date_column is None:
        raise UsageError(f"--folds must be at least 2, got {folds}")
    skip = {target, id_column}
    when = None
    if date_column is not None:
        date_column = require_column(table, date_column, "date")
        from propensity.io._timestamps import parse_utc

        when = parse_utc(table.frame[date_column], file=table.name, column=date_column, required=True).to_numpy()
        skip.add(date_column)
    minority = int(min(y.sum(), len(y) - y.sum()))
    need = 2 * folds if when is None else 4
    if minority < need:
        raise DataError(table.name, target, f"only {minority} leads of the rarer class: at least {need} are needed to train and judge a model")

    g = guard(table, y, skip=skip, keep=keep, dictionary=dictionary, threshold=threshold)
    profiles, candidates, spec_all, x_all, verdicts = g.profiles, g.candidates, g.spec, g.frame, g.verdicts
    excluded: dict[str, str] = {v.column: v.reason for v in verdicts if v.excluded}
    for c in compare:
        if c in candidates and c not in keep:
            excluded.setdefault(c, "compared with the model (--compare)")
    for c in exclude:
        excluded[c] = "excluded on purpose (--exclude)"
    features = [c for c in candidates if c not in excluded]
    if not features:
        raise PropensityError("every candidate feature was excluded: keep one with --keep COLUMN")
    keep_names = {f.name for f in spec_all.features if f.source in set(features)}
    spec = replace(
        spec_all,
        features=tuple(f for f in spec_all.features if f.name in keep_names),
        categories={k: v for k, v in spec_all.categories.items() if k in keep_names},
        field_labels={k: v for k, v in spec_all.field_labels.items() if k in keep_names},
    )
    x = x_all.loc[:, spec.names]

    splits = _kfold(y, folds, config.model.seed) if when is None else _time_split(when)
    split_text = (
        f"{folds}-fold stratified cross-validation"
        if when is None
        else f"time split on {date_column}: the latest {int(_TIME_TEST * 100)}% of leads judged"
    )
    oof = np.full(len(y), np.nan)
    fold_of = np.zeros(len(y), dtype=np.int16)
    rows: list[dict[str, Any]] = []
    compare_oof = {c: np.full(len(y), np.nan) for c in compare}
    bests = []
    for fold in splits:
        booster, cal, best = _fit(x, y, fold.fit, fold.stop, config, spec.categorical)
        bests.append(best)
        p = cal.apply(np.asarray(booster.predict(x.iloc[fold.test], raw_score=True), dtype=np.float64))
        oof[fold.test] = p
        fold_of[fold.test] = fold.k
        yt = y[fold.test]
        train = np.concatenate([fold.fit, fold.stop])
        rows.append({"fold": fold.k, "score": "model", "rows": len(yt), "positives": int(yt.sum()), **ranking_metrics(yt, p)})
        for c in compare:
            s = compare_scores(table.frame[c].to_pandas(), y, train, fold.test)
            compare_oof[c][fold.test] = s
            covered = table.frame[c].to_pandas().notna().to_numpy()[fold.test]
            row = {"fold": fold.k, "score": c, "rows": len(yt), "positives": int(yt.sum()), **ranking_metrics(yt, _finite(s))}
            row["covered_rows"] = int(covered.sum())
            if covered.any() and len(np.unique(yt[covered])) == 2:
                row["covered_roc_auc"] = ranking_metrics(yt[covered], _finite(s)[covered])["roc_auc"]
                row["covered_model_roc_auc"] = ranking_metrics(yt[covered], p[covered])["roc_auc"]
            rows.append(row)
    judged = np.flatnonzero(fold_of > 0)
    folds_table = pd.DataFrame(rows)
    comparison = _comparison(folds_table, table, compare, len(judged))
    pooled = probability_metrics(y[judged], oof[judged])

    if when is None:  # the registered model learns from every row, the same way as in each fold
        fit, stop = _holdout(np.arange(len(y)), y, config.model.seed)
        booster, cal, best = _fit(x, y, fit, stop, config, spec.categorical)
    else:  # the judged model is the registered one
        booster, cal, best = _fit(x, y, splits[0].fit, splits[0].stop, config, spec.categorical)
    model = FlatModel(booster, spec, cal, {})

    from propensity.scoring._reasons import drivers

    sample = x.iloc[judged[: 20_000]]
    table_drivers = drivers(spec, sample, model.contributions(sample))
    grades = GradeScale.from_scores(oof[judged], config.grades)
    metrics = _metrics(folds_table, pooled, compare, comparison)
    metrics["best_iteration"] = float(best)
    plausibility = check_plausibility(metrics["cv_roc_auc"], table_drivers, suspicious_auc)
    counts = {"rows": len(y), "positives": int(y.sum()), "judged_rows": len(judged), "judged_positives": int(y[judged].sum()),
              "features": len(features), "folds": len(splits)}
    model.metadata = {
        "mode": FlatModel.KIND,
        "flat": {
            "table": table.name,
            "target": target,
            "id_column": id_column,
            "date_column": date_column,
            "placeholders": list(table.placeholders),
            "columns": features,
            # identifiers and free text: never features unless kept (--keep); the report names them
            "left_out": {p.column: p.note for p in profiles.values() if p.kind in ("identifier", "text")},
        },
        "label": {"target": target, "text": f"{target} (one row per lead)", "positive_outcomes": [target], "horizon_days": None},
        "split": split_text,
        "counts": counts,
        "best_iteration": best,
        "fold_best_iterations": bests,
        "grades": grades.to_dict(),
        "drivers": table_drivers.to_dict(orient="records"),
        "leakage": [v.to_dict() for v in verdicts if v.reason],
        "excluded": excluded,
        "plausibility": plausibility.to_dict(),
        "comparison": comparison.to_dict(orient="records"),
        "metrics": metrics,
        "data_fingerprint": table.fingerprint,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    validation = pl.DataFrame(
        {"id": ids.gather(judged), "fold": fold_of[judged], "label": y[judged], "score": oof[judged]}
        | {c: compare_oof[c][judged] for c in compare}
    )
    run_id = model_uri = version = None
    name = model_name or FLAT_MODEL_NAME
    result = FlatTrainResult(
        None, None, name, None, tracking_uri, table.name, target, split_text, metrics, folds_table, comparison,
        verdicts, excluded, profiles, features, table_drivers, counts, model, validation, plausibility,
    )
    if tracking_uri is not None:
        run_id, model_uri, version = _track(result, y[judged], oof[judged], compare_oof, judged, x.iloc[judged], config, name, set_champion)
        result = replace(result, run_id=run_id, model_uri=model_uri, model_version=version)
    return result


def _comparison(folds: pd.DataFrame, table: FlatTable, compare: Sequence[str], judged: int) -> pd.DataFrame:
    out = []
    for score in ["model", *compare]:
        part = folds[folds["score"] == score]
        row: dict[str, Any] = {"score": score}
        for m in _RANKING:
            row[f"{m}_mean"] = float(part[m].mean())
            row[f"{m}_std"] = float(part[m].std(ddof=0))
        if score == "model":
            row["coverage"] = 1.0
        else:
            row["coverage"] = float(part["covered_rows"].sum() / max(judged, 1))
            if "covered_roc_auc" in part:
                row["covered_roc_auc_mean"] = float(part["covered_roc_auc"].mean())
                row["covered_model_roc_auc_mean"] = float(part["covered_model_roc_auc"].mean())
        out.append(row)
    return pd.DataFrame(out)


def _slug(column: str) -> str:
    return feature_name(column, set())


def _metrics(folds: pd.DataFrame, pooled: dict[str, float], compare: Sequence[str], comparison: pd.DataFrame) -> dict[str, float]:
    out: dict[str, float] = {}
    model = comparison[comparison["score"] == "model"].iloc[0]
    for m in _RANKING:
        out[f"cv_{m}"] = float(model[f"{m}_mean"])
        out[f"cv_{m}_std"] = float(model[f"{m}_std"])
    out.update({f"valid_{k}": float(v) for k, v in pooled.items()})
    for c in compare:
        row = comparison[comparison["score"] == c].iloc[0]
        slug = _slug(c)
        for m in _RANKING:
            out[f"compare_{slug}_{m}"] = float(row[f"{m}_mean"])
        out[f"compare_{slug}_coverage"] = float(row["coverage"])
        for k in ("covered_roc_auc_mean", "covered_model_roc_auc_mean"):
            if k in row and pd.notna(row[k]):
                out[f"compare_{slug}_{k.removesuffix('_mean')}"] = float(row[k])
    return out


# ----------------------------------------------------------------------------------- tracking
def _track(
    result: FlatTrainResult,
    y: np.ndarray,
    p: np.ndarray,
    compare_oof: Mapping[str, np.ndarray],
    judged: np.ndarray,
    frame: pd.DataFrame,
    config: Config,
    model_name: str,
    set_champion: bool,
) -> tuple[str, str, str | None]:
    import mlflow

    from propensity.lifecycle._tracking import (
        CHAMPION,
        log_propensity_model,
        use_tracking,
    )

    assert result.tracking_uri is not None
    meta = result.model.metadata
    exp_id = use_tracking(result.tracking_uri, config.experiment)
    label = meta["label"]["text"]
    flagged = [v for v in result.verdicts if v.reason]
    with mlflow.start_run(experiment_id=exp_id) as run, tempfile.TemporaryDirectory() as tmp:
        params = {f"model.{k}": str(v) for k, v in _params(config).items() if k not in ("verbosity", "num_threads")}
        params.update(
            {
                "mode": "flat",
                "flat.target": result.target,
                "flat.id_column": meta["flat"]["id_column"],
                "flat.date_column": str(meta["flat"]["date_column"]),
                "flat.split": result.split,
                "flat.features": json.dumps(result.features)[:6000],
                "flat.excluded": json.dumps(sorted(result.excluded))[:6000],
                "flat.placeholders": json.dumps(meta["flat"]["placeholders"]),
                "flat.compare": json.dumps([c for c in result.comparison["score"] if c != "model"]),
            }
        )
        mlflow.log_params(params)
        mlflow.set_tags(
            {
                "propensity.mode": "flat",
                "propensity.label": label,
                "propensity.source": result.table,
                "propensity.split": result.split,
                "propensity.data_fingerprint": meta["data_fingerprint"],
                "propensity.leakage.excluded": ", ".join(v.column for v in flagged if v.excluded) or "none",
                "propensity.leakage.kept": ", ".join(v.column for v in flagged if not v.excluded) or "none",
                **{f"propensity.leakage.{_slug(v.column)}": f"AUC {v.auc:.3f}: {v.reason}"[:4000] for v in flagged},
                **({"propensity.plausibility": result.plausibility.text()[:4000]} if result.plausibility else {}),
            }
        )
        mlflow.log_metrics({k: v for k, v in result.metrics.items() if np.isfinite(v)})
        mlflow.log_metrics({f"rows_{k}": float(v) for k, v in result.counts.items()})
        d = Path(tmp)
        (d / "leakage.json").write_text(json.dumps([v.to_dict() for v in result.verdicts], indent=2), encoding="utf-8")
        (d / "comparison.json").write_text(json.dumps(result.comparison.to_dict(orient="records"), indent=2), encoding="utf-8")
        result.folds.to_csv(d / "folds.csv", index=False)
        result.drivers.to_csv(d / "drivers.csv", index=False)
        result.validation.write_parquet(d / "flat_validation.parquet")  # out-of-fold rows: the report's gains per compare column
        mlflow.log_artifact(str(d / "leakage.json"), artifact_path="leakage")
        for name in ("comparison.json", "folds.csv", "drivers.csv", "flat_validation.parquet"):
            mlflow.log_artifact(str(d / name), artifact_path="evaluation")
        _log_report(result, y, p, compare_oof, judged, frame, d / "report")
        result.model.metadata["run_id"] = run.info.run_id  # `propensity report` finds the run from the model
        model_dir = result.model.save(d / "propensity_model")
        info = log_propensity_model(model_dir, model_name)
        version = str(info.registered_model_version)
        client = mlflow.MlflowClient()
        client.set_model_version_tag(model_name, version, "propensity.mode", "flat")
        client.set_model_version_tag(model_name, version, "propensity.label", label)
        client.set_model_version_tag(model_name, version, "propensity.cv_roc_auc", f"{result.metrics['cv_roc_auc']:.4f}")
        if set_champion:
            client.set_registered_model_alias(model_name, CHAMPION, version)
        return run.info.run_id, f"models:/{model_name}/{version}", version


def _log_report(
    result: FlatTrainResult,
    y: np.ndarray,
    p: np.ndarray,
    compare_oof: Mapping[str, np.ndarray],
    judged: np.ndarray,
    frame: pd.DataFrame,
    directory: Path,
) -> None:
    """The rows `propensity report` reads: out-of-fold scores, with the first compare column (the
    company's own score) in the place of the history path's points."""
    import mlflow

    from propensity.reports._data import log_report_artifacts
    from propensity.training._metrics import ranking_metrics

    first = next(iter(compare_oof.values()), None)
    points = _finite(first[judged]) if first is not None else np.zeros(len(y))
    when = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    rows = pl.DataFrame(
        {
            "contact_id": result.validation["id"],
            "cutoff": pl.Series([when] * len(y), dtype=pl.Datetime("us")),
            "label": y.astype(np.int8),
            "score": p,
            "points": points,
        }
    )
    # the report's charts as plots/*.svg: the model beside every compared column, as the flat report draws them
    log_report_artifacts(result.model, {"rows": rows, "frame": frame}, directory, compared={c: s[judged] for c, s in compare_oof.items()})
    if first is not None:
        mlflow.log_metrics({f"points_valid_{k}": v for k, v in ranking_metrics(y, points).items() if np.isfinite(v)})


# ------------------------------------------------------------------------------------ summary
def format_flat_summary(result: FlatTrainResult) -> str:
    """The training summary for the terminal: guard verdicts, model vs compare columns, calibration."""
    from propensity.reports._text import format_table

    c = result.counts
    lines = [
        f"target: {result.target} ({c['positives']:,} of {c['rows']:,} leads positive, {c['positives'] / c['rows']:.1%}); {result.split}",
    ]
    flagged = [v for v in result.verdicts if v.reason]
    if flagged:
        lines.append("\nleakage guard: columns that look like outcomes in disguise")
        width = max(len(v.column) for v in flagged)
        for v in flagged:
            state = "excluded" if v.excluded else "KEPT (--keep)"
            lines.append(f"  {v.column.ljust(width)}  AUC alone {v.auc:.3f}  {state}: {v.reason}")
        if any(v.excluded for v in flagged):
            lines.append("keep one on purpose with --keep COLUMN")
    else:
        lines.append("\nleakage guard: no column predicts the target by itself or is marked as filled in after the fact")
    others = {k: v for k, v in result.excluded.items() if k not in {f.column for f in flagged}}
    for column, why in others.items():
        lines.append(f"left out: {column} ({why})")
    skipped = [p for p in result.profiles.values() if p.kind not in FEATURE_KINDS]
    if skipped:
        lines.append("not features: " + "; ".join(f"{p.column} ({p.note})" for p in skipped))
    lines.append(f"features: {len(result.features)} columns")

    comp = result.comparison
    scores = list(comp["score"])
    judged = "same folds" if c["folds"] > 1 else "same judged leads"
    lines.append(f"\nmodel{' vs ' + ', '.join(scores[1:]) if len(scores) > 1 else ''} on the {judged} (mean +- sd over folds):")
    labels = {"roc_auc": "ROC AUC", "pr_auc": "PR AUC", "capture_10": "top-10% capture", "capture_20": "top-20% capture"}
    rows = []
    for m, label in labels.items():
        rows.append([label, *(_pm(r[f"{m}_mean"], r[f"{m}_std"], c["folds"]) for _, r in comp.iterrows())])
    rows.append(["leads with a value", *(f"{r['coverage']:.0%}" for _, r in comp.iterrows())])
    if "covered_roc_auc_mean" in comp:
        rows.append(
            ["ROC AUC where it has one: it / model", "",
             *(f"{r['covered_roc_auc_mean']:.3f} / {r['covered_model_roc_auc_mean']:.3f}" if pd.notna(r.get("covered_roc_auc_mean")) else "n/a"
               for _, r in comp.iloc[1:].iterrows())]
        )
    lines.append(format_table(["metric", *scores], rows))
    if result.plausibility is not None and result.plausibility.suspicious:
        lines.append(f"\n{result.plausibility.text()}")
    m = result.metrics
    lines.append(
        f"\ncalibration (out of fold): mean score {m['valid_mean_score']:.3f} vs observed rate {m['valid_observed_rate']:.3f}, "
        f"ECE {m['valid_ece']:.3f}; log loss {m['valid_log_loss']:.3f}, Brier {m['valid_brier']:.3f}"
    )
    top = result.drivers.head(5)
    if len(top):
        lines.append("top drivers: " + "; ".join(f"{r.driver} {100 * r.importance:.0f}%" for r in top.itertuples()))
    if result.run_id:
        lines.append(f"MLflow run {result.run_id} at {result.tracking_uri}")
    if result.model_version:
        lines.append(f"registered {result.model_name} version {result.model_version} -> {result.model_uri}")
    return "\n".join(lines)


def _pm(mean: float, sd: float, folds: int) -> str:
    if not np.isfinite(mean):
        return "n/a"
    return f"{mean:.3f} +- {sd:.3f}" if folds > 1 else f"{mean:.3f}"
