"""`make bench-quality`: how good the model is, against the hand-tuned points, the learned points
(the scorecard) and the oracle, on generated data where the true probabilities are known.

For every size and seed: `generate_crm` writes an export and its oracle under bench/quality/, then
the default training (training/default.toml, optuna search included: what a user gets) runs on it.
On the training's validation leads (the latest matured cutoffs, never seen by the fit, the early
stopping, the calibration or the scorecard) the four scores are judged on the same rows and labels:

* model: the calibrated probability;
* points: the hand-tuned points table ([points]);
* learned points: the scorecard's integer points, learned on the training and calibration leads;
* oracle: the generator's true probability of converting within the horizon at the cutoff.

Reported: ROC AUC, PR AUC, top-10% capture, ECE (probabilities only: points are no probability) and
the normalized AUC (AUC - 0.5) / (AUC_oracle - 0.5).

Those are the `long` scenarios. The scenarios at the export date (benchmarks/scenarios.py, judged by
benchmarks/at_cut.py) judge quality the way a user meets it: `cut-15m`, `cut-12m`, `drift-15m` and
`thin-12m` are exports cut at an export date (no month start), trained on with the defaults and
scored at the cut; every lead open at the cut is judged on what happened in the 90 days after it,
beside the points, a one-page LightGBM (benchmarks/baseline.py) and the oracle at the cut.
`match-12m` (benchmarks/match.py) judges lead-to-account matching the same way: the cut export as
generated, with half the account ids blanked and matched back by email domain, and blanked without
emails; the matched export's ROC AUC must be within 0.01 of the export as generated.

The tables go to bench/quality.md (printed too) and, with per-run metrics, to MLflow: experiment
"propensity-quality" in sqlite:///bench/quality-mlflow/mlflow.db. The targets of the benchmark are
checked at the end (exit 1 when one is missed).

Usage: python benchmarks/quality.py [--scenarios long cut | NAME ...] [--sizes 10000 40000]
       [--seeds 0 1 2] [--scenario-contacts 20000]
("cut" is every scenario at the export date; the default runs them all.)
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "quality.md"
DATA = BENCH / "quality"
TRACKING = f"sqlite:///{BENCH / 'quality-mlflow' / 'mlflow.db'}"
EXPERIMENT = "propensity-quality"
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

SCORES = {"model": "score", "points": "points", "learned points": "learned_points"}
NAMES = (*SCORES, "oracle")
# the targets (issue 3): checked on every size and seed
MIN_NORMALIZED_AUC = 0.80
MIN_CAPTURE_SHARE = 0.65  # model top-10% capture / oracle top-10% capture
MAX_ECE = 0.01
MIN_AUC_OVER_POINTS = 0.15


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def one_run(n_contacts: int, seed: int) -> dict[str, Any]:
    """Generate, train with the defaults, and judge the four scores on the validation leads."""
    from propensity._config import load_config
    from propensity.io._sources import read_export
    from propensity.synthetic._generate import generate_crm
    from propensity.synthetic._oracle import compare_scores, join_oracle
    from propensity.training._train import train
    from propensity.training._training_set import build_training_set

    data_dir = DATA / f"crm-{n_contacts}-s{seed}"
    t0 = time.perf_counter()
    generate_crm(data_dir, n_contacts=n_contacts, seed=seed, overwrite=True)
    t_gen = time.perf_counter() - t0
    export = read_export(data_dir, require_outcomes=True)
    config = load_config()
    t1 = time.perf_counter()
    # the same training set train() would build; kept here so the scorecard's points can be read on
    # the validation leads (the scorecard ignores the columns the leakage guard may drop)
    ts = build_training_set(export, config)
    result = train(export, config, tracking_uri=None, training_set=ts)
    t_train = time.perf_counter() - t1

    valid = ts.judged()
    learned = valid.select("contact_id", "cutoff").with_columns(
        pl.Series("learned_points", result.scorecard.score(valid), dtype=pl.Float64)
    )
    rows = result.validation.join(learned, on=["contact_id", "cutoff"], how="left")
    joined = join_oracle(rows, data_dir)
    if joined is None or joined.height != rows.height or rows["learned_points"].null_count():
        missing = rows.height - (0 if joined is None else joined.height)
        raise SystemExit(f"{data_dir}: {missing} of {rows.height:,} validation leads have no oracle or learned points")
    figures = compare_scores(joined, SCORES, probabilities=("score",))
    # the scorecard's own figures (train()) must be these: the same leads, the same points
    card_auc = result.metrics["scorecard_valid_roc_auc"]
    if not np.isclose(card_auc, figures["learned points"]["roc_auc"], atol=1e-9):
        raise SystemExit(f"learned points: ROC AUC {figures['learned points']['roc_auc']:.6f} here, {card_auc:.6f} in train()")
    y = joined["label"].to_numpy()
    return {
        "n_contacts": n_contacts,
        "seed": seed,
        "leads": joined.height,
        "positives": int(y.sum()),
        "valid_cutoffs": ", ".join(f"{t:%Y-%m-%d}" for t in result.plan.judged),
        "mean_score": float(joined["score"].mean()),
        "mean_oracle": float(joined["p_oracle"].mean()),
        "observed_rate": float(y.mean()),
        "best_iteration": result.metrics["best_iteration"],
        "search": (result.model.metadata.get("search") or {}),
        "generate_s": t_gen,
        "train_s": t_train,
        "figures": figures,
    }


def checks(run: dict[str, Any]) -> dict[str, tuple[str, bool, str]]:
    """Per target: (heading, met, figure), keyed by a name MLflow accepts as a tag."""
    f = run["figures"]
    m, p, lp, o = (f[k] for k in NAMES)
    share = m["capture_10"] / o["capture_10"]
    gap = m["roc_auc"] - p["roc_auc"]
    return {
        "normalized_auc": ("normalized AUC >= 0.80", m["normalized_auc"] >= MIN_NORMALIZED_AUC, f"{m['normalized_auc']:.3f}"),
        "capture_share": ("capture@10% >= 0.65 x oracle", share >= MIN_CAPTURE_SHARE, f"{share:.3f}"),
        "ece": ("ECE <= 0.01", m["ece"] <= MAX_ECE, f"{m['ece']:.4f}"),
        "auc_over_points": ("model - points ROC AUC >= 0.15", gap >= MIN_AUC_OVER_POINTS, f"{gap:+.3f}"),
        "learned_over_points": ("learned - hand-tuned points ROC AUC > 0", lp["roc_auc"] > p["roc_auc"], f"{lp['roc_auc'] - p['roc_auc']:+.3f}"),
    }


def _search(run: dict[str, Any]) -> str:
    s = run["search"]
    return f"{s['trials']} ({s['seconds']:.0f})" if s else "none"


def render(runs: list[dict[str, Any]], cut_runs: list[dict[str, Any]], wall: float, command: str,
           match_runs: list[dict[str, Any]] | None = None) -> str:
    from benchmarks import at_cut, match
    from benchmarks.scenarios import SCENARIOS

    match_runs = match_runs or []

    head = [
        "# Quality benchmark (`make bench-quality`)",
        "",
        f"Command: `{command}`; wall time {wall / 60:.1f} min; {time.strftime('%Y-%m-%d %H:%M')}.",
        "",
    ]
    descriptions = {n: s.description for n, s in SCENARIOS.items()}
    tail = at_cut.render(cut_runs, descriptions) if cut_runs else []
    if match_runs:
        tail += ([""] if tail else []) + match.render(match_runs, descriptions)
    missed = sum(not ok for r in cut_runs for _, ok, _ in at_cut.checks(r).values())
    missed += sum(not ok for r in match_runs for _, ok, _ in match.checks(r).values())
    if cut_runs or match_runs:
        tail += ["", "All targets at the export date met." if not missed else f"{missed} target(s) at the export date missed."]
    return "\n".join(head + (render_long(runs) if runs else []) + ([""] if runs and tail else []) + tail) + "\n"


def render_long(runs: list[dict[str, Any]]) -> list[str]:
    from benchmarks.at_cut import fmt_figure

    lines = [
        "## Long exports (`long`)",
        "",
        "Data: `generate_crm` (18 months); training: training/default.toml (optuna search included: its",
        "30 s budget makes the number of trials, hence the figures, depend on the machine's load).",
        "All four scores on the same validation leads (the latest matured cutoffs) and labels; ECE only for",
        "probabilities; normalized AUC = (AUC - 0.5) / (AUC_oracle - 0.5).",
        "",
        "| contacts | seed | leads | positives | score | ROC AUC | PR AUC | top-10% capture | ECE | normalized AUC |",
        "|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        for name in NAMES:
            m = r["figures"][name]
            lines.append(
                f"| {r['n_contacts']:,} | {r['seed']} | {r['leads']:,} | {r['positives']:,} | {name} | {fmt_figure(m['roc_auc'])} | "
                f"{fmt_figure(m['pr_auc'])} | {fmt_figure(m['capture_10'])} | {fmt_figure(m['ece'], 4)} | {fmt_figure(m['normalized_auc'])} |"
            )
    lines += ["", "### Means over seeds", "",
              "| contacts | score | ROC AUC | PR AUC | top-10% capture | ECE | normalized AUC |",
              "|---:|---|---:|---:|---:|---:|---:|"]
    for n in sorted({r["n_contacts"] for r in runs}):
        group = [r for r in runs if r["n_contacts"] == n]
        for name in NAMES:
            mean = {k: float(np.mean([r["figures"][name][k] for r in group])) for k in ("roc_auc", "pr_auc", "capture_10", "ece", "normalized_auc")}
            lines.append(
                f"| {n:,} | {name} | {fmt_figure(mean['roc_auc'])} | {fmt_figure(mean['pr_auc'])} | {fmt_figure(mean['capture_10'])} | "
                f"{fmt_figure(mean['ece'], 4)} | {fmt_figure(mean['normalized_auc'])} |"
            )
    names = [heading for heading, _, _ in checks(runs[0]).values()]
    lines += ["", "### Targets (every size and seed)", "",
              "| contacts | seed | " + " | ".join(names) + " |", "|---:|---:|" + "---|" * len(names)]
    for r in runs:
        c = checks(r)
        lines.append(f"| {r['n_contacts']:,} | {r['seed']} | " + " | ".join(f"{v} {'ok' if ok else 'MISS'}" for _, ok, v in c.values()) + " |")
    failed = [(r, heading) for r in runs for heading, ok, _ in checks(r).values() if not ok]
    lines += ["", "All targets met." if not failed else f"{len(failed)} target(s) missed: " + "; ".join(
        f"{k} at {r['n_contacts']:,}/seed {r['seed']}" for r, k in failed) + "."]
    lines += ["", "### Runs", "",
              "| contacts | seed | valid cutoffs | mean score | mean oracle | observed rate | search trials (s) | best iteration | generate s | train s |",
              "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        lines.append(
            f"| {r['n_contacts']:,} | {r['seed']} | {r['valid_cutoffs']} | {r['mean_score']:.4f} | {r['mean_oracle']:.4f} | "
            f"{r['observed_rate']:.4f} | {_search(r)} | {r['best_iteration']:.0f} | {r['generate_s']:.0f} | {r['train_s']:.0f} |"
        )
    return lines


def log_mlflow(runs: list[dict[str, Any]], cut_runs: list[dict[str, Any]], table: Path, wall: float, command: str,
               match_runs: list[dict[str, Any]] | None = None) -> str:
    import mlflow

    from benchmarks import at_cut, match

    match_runs = match_runs or []
    from propensity.lifecycle._tracking import use_tracking

    (BENCH / "quality-mlflow").mkdir(parents=True, exist_ok=True)
    exp_id = use_tracking(TRACKING, EXPERIMENT)
    with mlflow.start_run(experiment_id=exp_id, run_name="bench-quality") as parent:
        mlflow.log_params({"sizes": ",".join(str(n) for n in sorted({r["n_contacts"] for r in runs})),
                           "seeds": ",".join(str(s) for s in sorted({r["seed"] for r in runs + cut_runs + match_runs})), "command": command,
                           "scenarios": ",".join(dict.fromkeys([*(["long"] if runs else []), *(r["scenario"] for r in cut_runs + match_runs)]))})
        missed = sum(not ok for r in runs for _, ok, _ in checks(r).values())
        missed += sum(not ok for r in cut_runs for _, ok, _ in at_cut.checks(r).values())
        missed += sum(not ok for r in match_runs for _, ok, _ in match.checks(r).values())
        mlflow.log_metrics({"wall_seconds": wall, "targets_missed": float(missed)})
        mlflow.log_artifact(str(table))
        for r in runs:
            with mlflow.start_run(experiment_id=exp_id, run_name=f"n{r['n_contacts']}-seed{r['seed']}", nested=True):
                mlflow.log_params({"n_contacts": r["n_contacts"], "seed": r["seed"], "valid_cutoffs": r["valid_cutoffs"]})
                metrics = {"leads": r["leads"], "positives": r["positives"], "train_seconds": r["train_s"],
                           "best_iteration": r["best_iteration"], "mean_score": r["mean_score"],
                           "mean_oracle": r["mean_oracle"], "observed_rate": r["observed_rate"],
                           "search_trials": float(r["search"].get("trials", 0)), "search_seconds": float(r["search"].get("seconds", 0))}
                for name, m in r["figures"].items():
                    key = name.replace(" ", "_")
                    metrics.update({f"{key}_{k}": v for k, v in m.items()})
                mlflow.log_metrics({k: float(v) for k, v in metrics.items() if np.isfinite(v)})
                mlflow.set_tags({f"target.{k}": f"{heading}: {v} {'ok' if ok else 'MISS'}" for k, (heading, ok, v) in checks(r).items()})
        for r in cut_runs:
            with mlflow.start_run(experiment_id=exp_id, run_name=f"{r['scenario']}-seed{r['seed']}", nested=True):
                mlflow.log_params({"scenario": r["scenario"], "n_contacts": r["n_contacts"], "seed": r["seed"], "cut": r["cut"],
                                   "status": r["status"][:500], "fitted_cutoffs": r["fitted"]})
                mlflow.log_metrics(at_cut.run_metrics(r))
                mlflow.set_tags({f"target.{k}": f"{heading}: {v} {'ok' if ok else 'MISS'}" for k, (heading, ok, v) in at_cut.checks(r).items()})
        for r in match_runs:
            with mlflow.start_run(experiment_id=exp_id, run_name=f"{r['scenario']}-seed{r['seed']}", nested=True):
                mlflow.log_params({"scenario": r["scenario"], "n_contacts": r["n_contacts"], "seed": r["seed"], "cut": r["cut"]})
                mlflow.log_metrics(match.run_metrics(r))
                mlflow.set_tags({f"target.{k}": f"{heading}: {v} {'ok' if ok else 'MISS'}" for k, (heading, ok, v) in match.checks(r).items()})
        return parent.info.run_id


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 40_000])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--scenarios", nargs="+", default=["long", "cut"], metavar="NAME",
                    help="long (the 18-month exports), cut (every scenario at the export date) or scenario names")
    ap.add_argument("--scenario-contacts", type=int, default=None, help="contacts per scenario at the export date")
    args = ap.parse_args(argv)
    from benchmarks import at_cut, match
    from benchmarks.scenarios import SCENARIOS

    known = ["long", "cut", *SCENARIOS]
    if unknown := [n for n in args.scenarios if n not in known]:
        ap.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(known)}")
    chosen = [s for name, s in SCENARIOS.items() if "cut" in args.scenarios or name in args.scenarios]
    if args.scenario_contacts:
        chosen = [replace(s, n_contacts=args.scenario_contacts) for s in chosen]
    logging.basicConfig(level=logging.WARNING)
    command = " ".join(["python", "benchmarks/quality.py", *(argv if argv is not None else sys.argv[1:])])
    t0 = time.perf_counter()
    runs = []
    for n in args.sizes if "long" in args.scenarios else []:
        for seed in args.seeds:
            log(f"{n:,} contacts, seed {seed}: generating and training ...")
            r = one_run(n, seed)
            m, o = r["figures"]["model"], r["figures"]["oracle"]
            log(f"    model ROC AUC {m['roc_auc']:.3f} (oracle {o['roc_auc']:.3f}, normalized {m['normalized_auc']:.3f}), "
                f"ECE {m['ece']:.4f}; generate {r['generate_s']:.0f} s, train {r['train_s']:.0f} s")
            runs.append(r)
    cut_runs, match_runs = [], []
    for scenario in chosen:
        for seed in args.seeds:
            if scenario.blank_share:
                log(f"{scenario.name}, {scenario.n_contacts:,} contacts, seed {seed}: the cut export as generated, "
                    "blanked and matched, blanked without emails: training, scoring ...")
                r = match.run(scenario, seed, DATA)
                log("    " + "; ".join(f"{heading}: {v} {'ok' if ok else 'MISS'}" for heading, ok, v in match.checks(r).values()))
                match_runs.append(r)
                continue
            log(f"{scenario.name}, {scenario.n_contacts:,} contacts, seed {seed}: cutting at {scenario.cut:%Y-%m-%d}, training, scoring ...")
            r = at_cut.run(scenario, seed, DATA)
            f = r["figures"]
            model = (f"model ROC AUC {f['model']['roc_auc']:.3f}, mean/rate {f['model']['mean_ratio']:.2f}" if "model" in f else r["status"])
            log(f"    {model}; oracle {f['oracle']['roc_auc']:.3f}, points {f['points']['roc_auc']:.3f}, "
                f"one-page LightGBM {f['one-page LightGBM']['roc_auc']:.3f}; {r['positives']} positives of {r['leads']:,}; "
                f"train {r['train_s']:.0f} s, baseline {r['baseline_s']:.0f} s")
            cut_runs.append(r)
    wall = time.perf_counter() - t0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = render(runs, cut_runs, wall, command, match_runs)
    OUT.write_text(text, encoding="utf-8")
    run_id = log_mlflow(runs, cut_runs, OUT, wall, command, match_runs)
    print(text)
    print(f"written {OUT}; MLflow: {TRACKING} experiment {EXPERIMENT!r}, run {run_id}")
    missed = any(not ok for r in runs for _, ok, _ in checks(r).values())
    missed = missed or any(not ok for r in cut_runs for _, ok, _ in at_cut.checks(r).values())
    missed = missed or any(not ok for r in match_runs for _, ok, _ in match.checks(r).values())
    return 1 if missed else 0  # a missed target fails make


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # `benchmarks.scenarios` and friends, run as a script
    sys.exit(main())
