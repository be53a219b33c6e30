"""Quality as a user meets it: train on an export cut at its export date, score every open lead at
that date, and judge the scores on what happened in the horizon after it.

For one scenario (benchmarks/scenarios.py) and seed: the default training (for a thin export, the
defaults with ``[label] positive_outcomes`` set to its outcome name) runs on the cut export, the
returned model scores every lead open at the cut (`score_leads`, as-of the cut), and four scores are
judged on those leads against the truth: the model, the hand-tuned points, the one-page LightGBM
(benchmarks/baseline.py) and the generator's oracle at the cut. A training that refuses or fails is
recorded ("refused: ...") with the other scores still judged.

Targets (`checks`): on the scenarios with a full export, normalized ROC AUC >= 0.75, top-10% capture
>= 0.6 x the oracle's and the mean score within 25% of the realised rate. On a thin export (the oracle
still knows the hidden state) the oracle figures are reported, and the model is judged against the
baseline and the points: ROC AUC at least the baseline's, above the points', mean score within 25%.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

__all__ = ["MAX_MEAN_RATIO_ERROR", "MIN_CAPTURE_SHARE", "MIN_NORMALIZED_AUC", "checks", "judge", "render", "run", "run_metrics"]

MIN_NORMALIZED_AUC = 0.75
MIN_CAPTURE_SHARE = 0.6
MAX_MEAN_RATIO_ERROR = 0.25  # |mean score / realised rate - 1|
SCORES = {"model": "score", "points": "points", "one-page LightGBM": "baseline"}
PROBABILITIES = ("score", "baseline")


def _config(scenario: Any, folder: Path, extra: str = "") -> Any:
    """The default config, with the scenario's outcome name as the positive outcome and `extra` TOML
    (a TOML file beside the export `folder`, as a user would write it)."""
    from propensity._config import load_config

    if scenario.positive_outcome != "opportunity":
        extra = f'[label]\npositive_outcomes = ["{scenario.positive_outcome}"]\n{extra}'
    if not extra:
        return load_config()
    path = folder.parent / f"training-{folder.name}.toml"
    path.write_text(extra, encoding="utf-8")
    return load_config(path)


def _fitted(meta: dict[str, Any], plan: Any) -> str:
    """Which cutoffs the registered model was fitted on, from whatever its metadata holds."""
    fitted = meta.get("fitted_cutoffs")
    if fitted:
        return f"{str(fitted[0])[:10]} .. {str(fitted[-1])[:10]} ({len(fitted)}, fitted_cutoffs)"
    window = meta.get("training_window") or {}
    n = len(plan.train) if plan is not None else "?"
    return f"{str(window.get('first_cutoff', '?'))[:10]} .. {str(window.get('last_cutoff', '?'))[:10]} ({n}, training_window)"


def _latest_matured(scenario: Any) -> str:
    t = scenario.cut - timedelta(days=scenario.horizon_days)
    return f"{t.year:04d}-{t.month:02d}-01"


def run(scenario: Any, seed: int, data_root: Path) -> dict[str, Any]:
    """Build, train, score at the cut and judge one scenario and seed."""
    from benchmarks.scenarios import build

    t0 = time.perf_counter()
    built = build(scenario, seed, data_root / f"{scenario.name}-s{seed}")
    return judge(built, built.export_dir, build_s=time.perf_counter() - t0)


def judge(built: Any, export_dir: Path, build_s: float = 0.0, extra_config: str = "") -> dict[str, Any]:
    """Train on the export in `export_dir` (the built scenario's cut export or a variant of it, with
    `extra_config` TOML over the defaults), score at the cut and judge on the built truth."""
    from benchmarks.baseline import baseline_scores
    from propensity._errors import PropensityError
    from propensity.io._sources import read_export
    from propensity.scoring._batch import score_leads
    from propensity.scoring._points import points_scores
    from propensity.synthetic._oracle import compare_scores
    from propensity.training._train import train

    scenario, seed = built.scenario, built.seed
    t0 = time.perf_counter()
    export = read_export(export_dir, require_outcomes=True)
    config = _config(scenario, export_dir, extra_config)
    t_build = build_s + time.perf_counter() - t0
    rows = built.truth.join(built.oracle, on="contact_id", how="inner")
    status, fitted, model_scores = "trained", "-", None
    t1 = time.perf_counter()
    try:
        result = train(export, config, tracking_uri=None)
    except PropensityError as error:
        status, result = f"refused: {str(error).splitlines()[0]}", None
    except Exception as error:  # a crash is a finding of the benchmark, not the end of it
        status, result = f"failed: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}", None
    t_train = time.perf_counter() - t1
    if result is not None:
        fitted = _fitted(result.model.metadata, result.plan)
        scored = score_leads(export, result.model, model_version="bench", as_of=scenario.cut)
        model_scores = scored.scores.select("contact_id", "score")
        rows = rows.join(model_scores, on="contact_id", how="left")
    t2 = time.perf_counter()
    pairs = rows.select("contact_id", pl.lit(scenario.cut, dtype=pl.Datetime("us")).alias("cutoff"))
    rows = rows.join(points_scores(export, pairs, config.points).select("contact_id", "points"), on="contact_id", how="left")
    base, base_cutoffs = baseline_scores(
        export.contacts, export.accounts, export.events, export.outcomes, cut=scenario.cut,
        positive_outcomes=list(config.label.positive_outcomes), horizon_days=config.label.horizon_days, seed=seed,
    )
    rows = rows.join(base, on="contact_id", how="left")
    t_baseline = time.perf_counter() - t2
    columns = {k: v for k, v in SCORES.items() if v in rows.columns}
    unscored = {k: int(rows[v].null_count()) for k, v in columns.items()}
    judged = rows.drop_nulls([*columns.values()])
    figures = compare_scores(judged, columns, probabilities=PROBABILITIES)
    y = judged["label"].to_numpy()
    rate = float(y.mean()) if len(y) else float("nan")
    for name, col in {**columns, "oracle": "p_oracle"}.items():
        figures[name]["mean_ratio"] = float(judged[col].mean() / rate) if col in (*PROBABILITIES, "p_oracle") and rate else float("nan")
    return {
        "scenario": scenario.name,
        "thin": scenario.thin,
        "seed": seed,
        "n_contacts": scenario.n_contacts,
        "cut": f"{scenario.cut:%Y-%m-%d}",
        "open_leads": built.truth.height,
        "leads": judged.height,
        "positives": int(y.sum()),
        "realised_rate": rate,
        "unscored": unscored,
        "status": status,
        "fitted": fitted,
        "latest_matured": _latest_matured(scenario),
        "baseline_cutoffs": base_cutoffs,
        "build_s": t_build,
        "train_s": t_train,
        "baseline_s": t_baseline,
        "figures": figures,
    }


def _ratio_ok(ratio: float) -> bool:
    return bool(np.isfinite(ratio)) and abs(ratio - 1.0) <= MAX_MEAN_RATIO_ERROR


def checks(run: dict[str, Any]) -> dict[str, tuple[str, bool, str]]:
    """Per target: (heading, met, figure), keyed by a name MLflow accepts as a tag."""
    f = run["figures"]
    if "model" not in f:
        why = run["status"].split(":")[0]
        heads = (
            ("model_over_baseline", "ROC AUC >= one-page LightGBM"), ("model_over_points", "ROC AUC > points")
        ) if run["thin"] else (("normalized_auc", "normalized AUC >= 0.75"), ("capture_share", "capture@10% >= 0.6 x oracle"))
        return {**{k: (h, False, why) for k, h in heads}, "mean_ratio": ("mean score / realised rate in [0.75, 1.25]", False, why)}
    m, o = f["model"], f["oracle"]
    ratio = ("mean score / realised rate in [0.75, 1.25]", _ratio_ok(m["mean_ratio"]), f"{m['mean_ratio']:.2f}")
    if run["thin"]:
        b, p = f["one-page LightGBM"], f["points"]
        return {
            "model_over_baseline": ("ROC AUC >= one-page LightGBM", m["roc_auc"] >= b["roc_auc"], f"{m['roc_auc'] - b['roc_auc']:+.3f}"),
            "model_over_points": ("ROC AUC > points", m["roc_auc"] > p["roc_auc"], f"{m['roc_auc'] - p['roc_auc']:+.3f}"),
            "mean_ratio": ratio,
        }
    share = m["capture_10"] / o["capture_10"] if o["capture_10"] else float("nan")
    return {
        "normalized_auc": ("normalized AUC >= 0.75", m["normalized_auc"] >= MIN_NORMALIZED_AUC, f"{m['normalized_auc']:.3f}"),
        "capture_share": ("capture@10% >= 0.6 x oracle", share >= MIN_CAPTURE_SHARE, f"{share:.3f}"),
        "mean_ratio": ratio,
    }


def fmt_figure(v: float | None, digits: int = 3) -> str:
    """A figure for the markdown tables: `-` when missing or not finite."""
    return "-" if v is None or not np.isfinite(v) else f"{v:.{digits}f}"


def render(runs: list[dict[str, Any]], descriptions: dict[str, str]) -> list[str]:
    """The markdown sections of the scenario runs."""
    lines = [
        "## At the export date: scenarios",
        "",
        "Each export is cut at its export date (nothing after it); the model is trained on the cut export",
        "with the defaults and scores every lead open at the cut; all scores are judged on those leads",
        "against what happened in the 90 days after the cut. Capture share = top-10% capture / the",
        "oracle's; mean / rate = mean score / realised rate (probabilities only).",
        "",
        *[f"- `{name}`: {text}." for name, text in descriptions.items() if any(r["scenario"] == name for r in runs)],
        "",
        "| scenario | seed | open leads | positives | score | ROC AUC | PR AUC | top-10% capture | capture share | mean / rate | normalized AUC |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        f = r["figures"]
        for name in (*SCORES, "oracle"):
            if name not in f:
                lines.append(f"| {r['scenario']} | {r['seed']} | {r['open_leads']:,} | {r['positives']:,} | {name} | {r['status']} | | | | | |")
                continue
            m = f[name]
            share = m["capture_10"] / f["oracle"]["capture_10"] if f["oracle"]["capture_10"] else float("nan")
            lines.append(
                f"| {r['scenario']} | {r['seed']} | {r['open_leads']:,} | {r['positives']:,} | {name} | {fmt_figure(m['roc_auc'])} | "
                f"{fmt_figure(m['pr_auc'])} | {fmt_figure(m['capture_10'])} | {fmt_figure(share)} | {fmt_figure(m['mean_ratio'], 2)} | {fmt_figure(m['normalized_auc'])} |"
            )
    lines += ["", "### Targets at the export date", "",
              "Full exports: normalized AUC >= 0.75, capture share >= 0.6, mean score within 25% of the realised rate.",
              "Thin export: ROC AUC at least the one-page LightGBM's, above the points', mean score within 25%.", "",
              "| scenario | seed | status | targets |", "|---|---:|---|---|"]
    for r in runs:
        c = checks(r)
        lines.append(f"| {r['scenario']} | {r['seed']} | {r['status']} | " + "; ".join(
            f"{heading}: {v} {'ok' if ok else 'MISS'}" for heading, ok, v in c.values()) + " |")
    lines += ["", "### Runs at the export date", "",
              "| scenario | seed | contacts | cut | model fitted on (cutoffs) | latest matured cutoff | baseline cutoffs | unscored leads | build s | train s | baseline s |",
              "|---|---:|---:|---|---|---|---:|---|---:|---:|---:|"]
    for r in runs:
        unscored = ", ".join(f"{k} {v}" for k, v in r["unscored"].items() if v) or "none"
        lines.append(
            f"| {r['scenario']} | {r['seed']} | {r['n_contacts']:,} | {r['cut']} | {r['fitted']} | {r['latest_matured']} | "
            f"{r['baseline_cutoffs']} | {unscored} | {r['build_s']:.0f} | {r['train_s']:.0f} | {r['baseline_s']:.0f} |"
        )
    return lines


def run_metrics(run: dict[str, Any]) -> dict[str, float]:
    """Flat, finite metrics of one run for MLflow."""
    metrics = {"open_leads": run["open_leads"], "leads": run["leads"], "positives": run["positives"],
               "realised_rate": run["realised_rate"], "train_seconds": run["train_s"], "baseline_seconds": run["baseline_s"],
               "trained": float(run["status"] == "trained")}
    for name, m in run["figures"].items():
        key = name.replace(" ", "_").replace("-", "_")
        metrics.update({f"{key}_{k}": v for k, v in m.items()})
    return {k: float(v) for k, v in metrics.items() if np.isfinite(v)}
