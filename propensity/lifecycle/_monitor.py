"""After a scoring run: its scores appended to the score history, and its drift against the model's
training reference (one line, a `<scores stem>.drift.csv` table and an MLflow run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["monitor_scoring"]


def monitor_scoring(
    export: Any, loaded: Any, run: Any, out: Path, *, history: Path, tracking_uri: str, drift: Any = None,
    recorded: tuple[int, Path] | None = None,
) -> str:
    """Append the run to the score history at `history` (unless `recorded` already did: (rows, path)),
    check drift (from `drift`, a streamed run's sample, else from the run's scores) and return the line
    to print."""
    from propensity.io._atomic import write_table
    from propensity.lifecycle._drift import check_drift, log_drift
    from propensity.lifecycle._score_history import model_name_of, record_scores
    from propensity.lifecycle._tracking import tracking_errors

    if recorded is not None:
        n, history = recorded
    else:
        label = loaded.model.metadata["label"]
        n = record_scores(history, run.for_history(), as_of=run.as_of, model_name=model_name_of(loaded.uri), model_version=loaded.version,
                          model_uri=loaded.uri, positive_outcomes=label["positive_outcomes"], horizon_days=label["horizon_days"])
    report = drift.report(run.as_of) if drift is not None else check_drift(export, loaded.model, run.scores, run.as_of)
    if report is None:
        return f"history: {n:,} scores -> {history}; drift not checked: the model has no training reference"
    drift_out = out.with_name(f"{out.stem}.drift.csv")
    write_table(report.table, drift_out)
    with tracking_errors(tracking_uri):
        log_drift(report, model_uri=loaded.uri, model_version=loaded.version, scored=n)
    return f"{report.summary()} -> {drift_out}; history: {n:,} scores -> {history}"
