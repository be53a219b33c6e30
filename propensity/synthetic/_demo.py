"""`propensity demo`: generate a CRM, train, register, score and explain, on the embedded default."""

from __future__ import annotations

import time
from pathlib import Path

from propensity._config import load_config

__all__ = ["run_demo"]


def run_demo(workdir: Path, *, n_contacts: int = 20_000, seed: int = 0) -> dict[str, object]:
    from propensity.io._atomic import write_table
    from propensity.io._sources import read_export
    from propensity.lifecycle._tracking import (
        CHAMPION,
        load_model,
        resolve_tracking_uri,
    )
    from propensity.reports._text import print_drivers, print_training_summary
    from propensity.scoring._batch import score_leads
    from propensity.synthetic._generate import generate_crm
    from propensity.synthetic._oracle import oracle_auc
    from propensity.training._train import train

    t0 = time.perf_counter()
    data_dir = workdir / "data" / "demo-crm"
    scores_path = workdir / "scores" / "demo-scores.csv"
    config = load_config()

    print(f"1/4 generating a CRM export of {n_contacts:,} contacts (seed {seed}) ...")
    summary = generate_crm(data_dir, n_contacts=n_contacts, seed=seed, overwrite=True)
    print(f"    {summary.n_events:,} events, {summary.n_outcomes:,} outcomes -> {data_dir}")

    print("2/4 training (rolling-origin backtest, LightGBM refitted on every matured cutoff, calibrated out of time) ...")
    export = read_export(data_dir, require_outcomes=True)
    uri = resolve_tracking_uri(None, home=workdir / "models")
    result = train(export, config, tracking_uri=uri, model_name=config.model_name)
    print_training_summary(result, config)
    oracle = oracle_auc(result.validation, data_dir)
    if oracle is not None:
        print(f"oracle (true probabilities) on the same validation leads: ROC AUC {oracle:.3f}")

    model_uri = f"models:/{config.model_name}@{CHAMPION}"
    print(f"3/4 scoring the open leads with {model_uri} ...")
    loaded = load_model(model_uri)
    run = score_leads(export, loaded.model, model_version=loaded.version)
    write_table(run.scores, scores_path)
    print(f"    {run.scores.height:,} open leads as of {run.as_of:%Y-%m-%d} -> {scores_path}")
    print("    top 3:")
    for r in run.scores.head(3).iter_rows(named=True):
        print(f"    {r['contact_id']}  {r['grade']}  {r['score']:.3f}  {r['reasons']}")

    print("4/4 explaining ...")
    print_drivers(loaded, None)
    from propensity.reports._collect import collect_report
    from propensity.reports._html import write_report

    report_path = write_report(collect_report(model_uri, scores=scores_path), workdir / "reports" / "report.html")
    print(f"    report for sales ops: {report_path} (open it in a browser)")
    print(
        f"\ndone in {time.perf_counter() - t0:.0f} s. MLflow store: {uri} "
        f"(browse: mlflow ui --backend-store-uri {uri}); export: {data_dir}; scores: {scores_path}"
    )
    return {"result": result, "scores": scores_path, "oracle_auc": oracle}

