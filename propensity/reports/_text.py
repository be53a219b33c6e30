"""Plain-text tables for the terminal: the training summary and the drivers of a model."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["format_table", "print_training_summary", "print_drivers"]


_NO_LIMIT = 100_000  # plain tables are never cut to the terminal's width


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain table: the first column as text, the others right-aligned, floats to three places.
    Drawn by the one terminal table renderer (`propensity.reports._terminal.render_table`)."""
    from propensity.reports._terminal import render_table

    text = render_table(headers, [[_cell(v) for v in r] for r in rows], numeric=tuple(range(1, len(headers))), pad_edge=False, width=_NO_LIMIT)
    return textwrap.dedent("\n".join(line.rstrip() for line in text.splitlines())).strip("\n")


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return "n/a" if math.isnan(v) else f"{v:.3f}"
    return str(v)


def _lift(a: Any, b: Any) -> str:
    if not isinstance(a, float) or not isinstance(b, float) or math.isnan(a) or math.isnan(b):
        return "n/a"
    return f"{a - b:+.3f}"


def comparison_rows(metrics: dict[str, float]) -> list[list[Any]]:
    names = [("roc_auc", "ROC AUC"), ("pr_auc", "PR AUC"), ("capture_10", "top-10% capture"), ("capture_20", "top-20% capture"),
             ("capture_30", "top-30% capture")]
    return [[label, metrics[f"valid_{k}"], metrics[f"points_valid_{k}"]] for k, label in names if f"valid_{k}" in metrics]


def print_training_summary(result: Any, config: Any) -> None:
    m = result.metrics
    plan = result.plan
    label = f"{' or '.join(config.label.positive_outcomes)} within {config.label.horizon_days} days"
    print(f"label: {label}")
    print(
        f"model in service fitted on every matured cutoff: {plan.cutoffs[0]:%Y-%m} .. {plan.cutoffs[-1]:%Y-%m} "
        f"({len(plan.cutoffs)} cutoffs, {result.counts['train_rows']:,} leads, {result.counts['train_positives']:,} positive)"
    )
    print(
        f"backtest: {len(plan.folds)} forward folds judged on {', '.join(f'{t:%Y-%m}' for t in plan.judged)} "
        f"({result.counts['valid_rows']:,} leads, {result.counts['valid_positives']:,} positive); each fitted on the "
        f"cutoffs whose label windows closed before it"
    )
    from propensity.reports._terminal import print_table

    rows = [[name, _cell(a), _cell(b), _lift(a, b)] for name, a, b in comparison_rows(m)]
    print_table(["metric", "model", "points", "model - points"], rows, title="model vs points on the backtest's judged leads (out of time)", numeric=(1, 2, 3))
    print(
        f"\ncalibration (folds calibrated on earlier folds only): mean score {m['valid_mean_score']:.4f} vs observed rate "
        f"{m['valid_observed_rate']:.4f}, ECE {m['valid_ece']:.4f}; log loss {m['valid_log_loss']:.4f}, Brier {m['valid_brier']:.4f}"
    )
    if "valid_newest_mean_score" in m:
        print(
            f"newest matured cutoff {plan.judged[-1]:%Y-%m-%d}: mean score {m['valid_newest_mean_score']:.4f} vs the rate that "
            f"followed {m['valid_newest_observed_rate']:.4f}; ROC AUC over the folds {m['valid_roc_auc']:.3f} "
            f"(sd {m.get('valid_roc_auc_sd', float('nan')):.3f})"
        )
    if result.decision is not None:
        print(f"gate: {result.decision.rule}")
    if result.run_id:
        print(f"MLflow run {result.run_id} at {result.tracking_uri}")
    if result.model_version:
        print(f"registered {result.model_name} version {result.model_version} -> {result.model_uri}")


def print_drivers(loaded: Any, png: str | Path | None) -> None:
    import pandas as pd

    table = pd.DataFrame(loaded.model.metadata.get("drivers", []))
    if table.empty:
        print(f"model {loaded.uri} carries no drivers table")
        return
    print(f"what drives model {loaded.uri} (version {loaded.version}), by business field:")
    from propensity.reports._terminal import print_table

    rows = [[r.driver, f"{100 * r.importance:.1f}%", r.direction] for r in table.itertuples()]
    print_table(["driver", "weight", "direction"], rows, numeric=(1,))
    if png:
        from propensity.io._atomic import atomic_path
        from propensity.reports._plots import plot_drivers

        target = Path(png)
        with atomic_path(target) as tmp:
            plot_drivers(table, tmp)
        print(f"chart: {target}")
