"""The report of a flat-table model: the model beside every `--compare` column on the same folds,
with the figures the training run logged, and the leakage guard's verdicts; no cutoffs, no points."""

from __future__ import annotations

import re
from pathlib import Path

import mlflow
import numpy as np
import polars as pl
import pytest

from propensity.cli import main
from propensity.reports._flat import flat_card, is_flat_report, render_flat_report
from tests.flat.test_flat import synthetic_leads

MODEL = "models:/flat-report@champion"
COMPARE = ["Activity Score", "Rep Rating"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("flatreport")
    leads = synthetic_leads()
    rng = np.random.default_rng(7)
    # a hand-tuned activity score: time on site in points, plus noise, blank for a fifth of the leads
    score = (leads["Total Time on Site"].to_numpy() // 100 + rng.integers(0, 15, leads.height)).astype(float)
    score[rng.random(leads.height) < 0.2] = np.nan
    leads = leads.with_columns(pl.Series("Activity Score", score).fill_nan(None))
    path = home / "leads.csv"
    leads.write_csv(path)
    uri = f"sqlite:///{home / 'mlflow.db'}"
    args = ["-q", "train", "--table", str(path), "--target", "Converted", "--id", "Lead ID", "--tracking-uri", uri, "--model-name", "flat-report"]
    for c in COMPARE:
        args += ["--compare", c]
    assert main(args) == 0
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return {"uri": uri}


def _report():  # type: ignore[no-untyped-def]
    from propensity.lifecycle._tracking import load_model
    from propensity.reports._collect import collect_report

    r = collect_report(MODEL)
    if not is_flat_report(r):  # collect_report fills card["flat"] itself once it hands flat models here
        r.card["flat"] = flat_card(r.run_id, load_model(MODEL).model.metadata)
    return r


def _figures(html: str) -> dict[tuple[str, str], float]:
    found = re.findall(r'data-compare="([^"]+)" data-metric="([^"]+)" data-value="([^"]+)"', html)
    return {(c, k): float(v) for c, k, v in found}


@pytest.mark.slow
def test_flat_report_shows_the_model_beside_every_compare_column_on_the_same_folds(trained: dict[str, str]) -> None:
    r = _report()
    html = render_flat_report(r)
    client = mlflow.MlflowClient(trained["uri"], trained["uri"])
    m = client.get_run(r.run_id).data.metrics
    got = _figures(html)
    for key in ("roc_auc", "pr_auc", "capture_10", "capture_20"):
        assert got[("model", key)] == pytest.approx(m[f"cv_{key}"])
        assert got[("Activity Score", key)] == pytest.approx(m[f"compare_activity_score_{key}"])
        assert got[("Rep Rating", key)] == pytest.approx(m[f"compare_rep_rating_{key}"])
    assert got[("Activity Score", "coverage")] == pytest.approx(m["compare_activity_score_coverage"])
    assert 0.75 < got[("Activity Score", "coverage")] < 0.85
    assert "5-fold stratified cross-validation" in html and "&plusmn;" in html
    # the gains chart draws every score, each from its own out-of-fold values
    gains = re.search(r'<figure id="gains-chart">(.*?)</figure>', html, re.S)
    assert gains is not None
    assert all(f">{c}</text>" in gains.group(1) for c in ["model", *COMPARE])
    assert set(r.card["flat"]["gains"]) == set(COMPARE)
    assert r.card["flat"]["gains"]["Rep Rating"] != r.card["flat"]["gains"]["Activity Score"]


@pytest.mark.slow
def test_flat_report_lists_the_guard_verdicts_and_no_history_wording(trained: dict[str, str]) -> None:
    r = _report()
    html = render_flat_report(r)
    leaks = {c: float(v) for c, v in re.findall(r'data-leak="([^"]+)" data-value="([^"]+)"', html)}
    verdicts = {v["column"]: v for v in r.card["flat"]["leakage"]}
    assert set(leaks) == {"Lead Status", "Rep Rating", "Activity Score"}
    assert leaks["Lead Status"] == pytest.approx(verdicts["Lead Status"]["auc"]) and leaks["Lead Status"] >= 0.9
    assert "--keep COLUMN" in html
    assert re.search(r'data-card="excluded"[^>]*>[^<]*Lead Status', html)
    for wording in ("None days", "cutoffs the model never saw", "points tier"):
        assert wording not in html
    assert "@example.com" not in html  # personal data never reaches the report


@pytest.mark.slow
def test_report_command_writes_the_flat_page(trained: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "flat.html"
    assert main(["-q", "report", "--model", MODEL, "--out", str(out), "--tracking-uri", trained["uri"]]) == 0
    html = out.read_text(encoding="utf-8")
    got = _figures(html)
    assert {("model", "roc_auc"), ("Activity Score", "roc_auc"), ("Rep Rating", "roc_auc")} <= set(got)
    assert 'id="leakage-guard"' in html


@pytest.mark.slow
def test_the_runs_plots_are_the_flat_reports_charts_with_every_compare_column(trained: dict[str, str]) -> None:
    import tempfile
    import xml.etree.ElementTree as ET

    from tests.reports.test_report import SVG, chart_marks, report_charts

    r = _report()
    page = report_charts(render_flat_report(r))
    local = Path(mlflow.artifacts.download_artifacts(run_id=r.run_id, artifact_path="plots", dst_path=tempfile.mkdtemp()))
    assert {p.name for p in local.iterdir()} == {"drivers.svg", "gains.svg", "calibration.svg", "dependence.svg", "score_distribution.svg"}
    drawn = {}
    for plot in local.glob("*.svg"):
        root = ET.fromstring(plot.read_bytes())
        assert root.tag == f"{{{SVG}}}svg"
        drawn.update({c.get("aria-label", ""): chart_marks(c) for c in root.findall(f"{{{SVG}}}svg")})
    assert set(drawn) == set(page)
    for label, marks in page.items():
        assert drawn[label] == marks, label
    # the gains out of fold: the model and both compare columns (Activity Score blank for a fifth of the leads)
    legend = [text for tag, _, text in drawn["Gains out of fold"] if tag == "text" and text in ("model", *COMPARE)]
    assert legend == ["model", *COMPARE]
