"""What a training run logs to MLflow about how far to trust it (inside an active run).

* `evaluation/leakage.json` and tags `propensity.leakage.excluded` / `.kept`: the leakage guard's
  verdict on every feature (single-feature ROC AUC, why it was flagged, excluded or kept);
* `evaluation/calibration_by_cutoff.json` and the step metrics `valid_cutoff_mean_score`,
  `valid_cutoff_observed_rate`, `valid_cutoff_ece` (step = the validation cutoff's index): whether
  the calibration holds on each validation cutoff, not only on their sum;
* `evaluation/backtest.json` and the step metrics `backtest_fold_roc_auc`, `backtest_fold_mean_score`,
  `backtest_fold_observed_rate` (step = the fold): each forward fold of the rolling-origin backtest,
  what it was fitted on and judged on, model and points on its rows;
* `evaluation/search.json` and params `search.best.*`: the settings the budgeted search chose;
* `scorecard/scorecard.csv` and `evaluation/scorecard_vs_model.json`: the learned points, judged on
  the same validation leads as the model and the hand-tuned points.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

__all__ = ["log_quality"]


def _finite(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def log_quality(ev: dict[str, Any], directory: Path) -> None:
    import mlflow

    directory.mkdir(parents=True, exist_ok=True)
    guard = ev.get("guard")
    if guard is not None:
        data = guard.to_dict()
        (directory / "leakage.json").write_text(json.dumps(data, indent=2, default=_finite), encoding="utf-8")
        mlflow.log_artifact(str(directory / "leakage.json"), artifact_path="evaluation")
        auc = {v.column: v.auc for v in guard.verdicts}
        mlflow.set_tags(
            {
                "propensity.leakage.excluded": ", ".join(f"{c} (AUC {auc[c]:.3f})" for c in guard.excluded) or "none",
                "propensity.leakage.kept": ", ".join(f"{c} (AUC {auc[c]:.3f})" for c in guard.kept) or "none",
            }
        )
    by_cutoff = ev.get("by_cutoff") or []
    if by_cutoff:
        (directory / "calibration_by_cutoff.json").write_text(json.dumps(by_cutoff, indent=2), encoding="utf-8")
        mlflow.log_artifact(str(directory / "calibration_by_cutoff.json"), artifact_path="evaluation")
        for step, row in enumerate(by_cutoff):
            for key in ("mean_score", "observed_rate", "ece", "roc_auc"):
                value = row.get(key)
                if isinstance(value, float) and math.isfinite(value):
                    mlflow.log_metric(f"valid_cutoff_{key}", value, step=step)
    folds = ev.get("folds") or []
    if folds:
        (directory / "backtest.json").write_text(json.dumps(folds, indent=2, default=_finite), encoding="utf-8")
        mlflow.log_artifact(str(directory / "backtest.json"), artifact_path="evaluation")
        for row in folds:
            for key in ("roc_auc", "mean_score", "observed_rate", "points_roc_auc"):
                value = row.get(key)
                if isinstance(value, float) and math.isfinite(value):
                    mlflow.log_metric(f"backtest_fold_{key}", value, step=int(row["fold"]))
    search = ev.get("search")
    if search:
        (directory / "search.json").write_text(json.dumps(search, indent=2), encoding="utf-8")
        mlflow.log_artifact(str(directory / "search.json"), artifact_path="evaluation")
        mlflow.log_params({f"search.best.{k}": str(v) for k, v in search["params"].items()})
        mlflow.log_metrics({"search_trials": float(search["trials"]), "search_seconds": float(search["seconds"])})
    card = ev.get("scorecard")
    if card is not None:
        path = card.write_csv(directory / "scorecard.csv")
        mlflow.log_artifact(str(path), artifact_path="scorecard")
        comparison = {
            "model": ev.get("model"),
            "hand_tuned_points": ev.get("points_metrics"),
            "learned_points": ev.get("scorecard_metrics"),
        }
        (directory / "scorecard_vs_model.json").write_text(json.dumps(comparison, indent=2, default=_finite), encoding="utf-8")
        mlflow.log_artifact(str(directory / "scorecard_vs_model.json"), artifact_path="evaluation")
