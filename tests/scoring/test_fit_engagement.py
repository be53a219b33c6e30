"""The fit and engagement views beside the score: who a lead is and what it did, graded apart.

The generator hides who never buys: about 4% students and 2% competitors' employees who engage far
more than ordinary leads. The views must show them as engaged leads that do not fit (competitors are
visible in who they are: accounts in the vendor's own industry, product and analyst titles, organic
lead sources), while the score, its ranking and an older model's scores stay as they were.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import mlflow
import numpy as np
import polars as pl
import pytest

from propensity._config import Config, ViewsConfig
from propensity._pyfunc import read_model
from propensity.cli import main
from propensity.features._spec import BEHAVIOUR, PROFILE, TENURE, FeatureDef
from propensity.io._atomic import write_table
from propensity.io._sources import read_export
from propensity.scoring._batch import SCORE_COLUMNS, score_leads
from propensity.scoring._stream import score_folder
from propensity.scoring._views import CELLS, VIEW_COLUMNS, VIEW_FILES
from propensity.training._sampling import row_weights, thin_negatives
from propensity.training._train import fit_model
from propensity.training._views import view_features
from tests.reports.test_report import _parse
from tests.scoring._scoring_case import ScoringCase, scoring_case

MODEL = "models:/lead-propensity@champion"


@pytest.fixture(scope="module")
def case() -> ScoringCase:
    return scoring_case()


# ------------------------------------------------------------------ which features go where
def test_fit_reads_only_fixed_attributes_and_engagement_only_the_contacts_own_activity(case: ScoringCase) -> None:
    spec = case.model.spec
    by_name = spec.by_name()
    views = view_features(spec)
    assert views["fit"] == ["title_seniority", "title_department", "lead_source", "industry", "employee_count", "annual_revenue", "country"]
    assert all(by_name[n].family == PROFILE for n in views["fit"])
    # nothing that changes with the cutoff is a fit feature: the lead's age in the CRM is tenure
    assert by_name["contact_age_days"].family == TENURE and by_name["acct_contacts"].family == TENURE
    kinds = {by_name[n].kind for n in views["engagement"]}
    assert kinds == {"count", "recency", "decay", "distinct", "flag", "outcome"}
    assert all(by_name[n].family == BEHAVIOUR and by_name[n].engagement_sign != 0 for n in views["engagement"])
    assert by_name["n_pricing_page_view_30d"].engagement_sign == 1 and by_name["days_since_last_event"].engagement_sign == -1
    # the account's committee and the contact's trend are behaviour, but not a measure of its own engagement
    assert by_name["acct_engaged_contacts_30d"].family == BEHAVIOUR and "acct_engaged_contacts_30d" not in views["engagement"]
    assert "trend_30d" not in views["engagement"]
    assert set(views["fit"]).isdisjoint(views["engagement"])
    with pytest.raises(ValueError, match="unknown kind 'mystery'"):
        _ = FeatureDef("x", "mystery", "x").family


def test_engagement_never_falls_as_a_contact_engages_more(case: ScoringCase) -> None:
    """The monotone constraints hold: more pricing-page views never lower engagement, and a lead's
    later last event never raises it."""
    view = case.model.views.engagement
    frame = case.training_set.frame.head(300)
    from propensity._model import to_model_frame

    x = to_model_frame(case.model.spec, frame)
    base = view.predict(x)
    more = x.copy()
    more["n_pricing_page_view_30d"] = more["n_pricing_page_view_30d"].fillna(0) + 5
    staler = x.copy()
    staler["days_since_last_event"] = staler["days_since_last_event"].fillna(0) + 60
    assert (view.predict(more) >= base - 1e-12).all() and (view.predict(more) > base + 1e-6).any()
    assert (view.predict(staler) <= base + 1e-12).all()


def test_thinning_keeps_every_positive_and_weights_the_negatives_back() -> None:
    n = 50_000
    rng = np.random.default_rng(0)
    keys = pl.DataFrame({"contact_id": [f"C{i}" for i in range(n)], "cutoff": [date(2025, 1 + i % 12, 1) for i in range(n)]})
    y = (rng.random(n) < 0.01).astype(np.int8)
    kept = np.ones(n, dtype=bool)
    thinned, rate = thin_negatives(keys, y, kept, 1.0, 20, seed=0)
    positives = int(y.sum())
    assert thinned[y == 1].all()
    assert rate == pytest.approx(20 * positives / (n - positives))
    assert abs(int((thinned & (y == 0)).sum()) - 20 * positives) < 5 * np.sqrt(20 * positives)
    w = row_weights(y, thinned, rate)
    assert w is not None and w[y == 0].sum() == pytest.approx(n - positives, rel=0.05)
    # few negatives per positive already: nothing to thin
    same, same_rate = thin_negatives(keys, y, kept, 1.0, 1000, seed=0)
    assert same is kept and same_rate == 1.0


# ------------------------------------------------------------------ scores files and older models
def test_batch_and_streamed_scores_carry_the_same_view_columns(case: ScoringCase, tmp_path: Path) -> None:
    whole = score_leads(read_export(case.folder, created_at_required=False), case.model, model_version="7")
    assert tuple(whole.scores.columns) == SCORE_COLUMNS + VIEW_COLUMNS
    out = tmp_path / "scores.parquet"
    score_folder(case.folder, case.model, out, model_version="7", chunk_size=400)
    streamed = pl.read_parquet(out)
    assert streamed.equals(whole.scores)
    s = whole.scores
    assert s["fit"].is_between(0, 1).all() and s["engagement"].is_between(0, 1).all()
    assert set(s["fit_grade"]) <= set("ABCD") and set(s["engagement_level"]) <= {1, 2, 3, 4}
    assert (s["fit_engagement"] == s["fit_grade"] + s["engagement_level"].cast(pl.String)).all()
    assert set(s["fit_engagement"]) <= set(CELLS)


def test_a_model_saved_without_views_loads_and_scores_without_the_new_columns(case: ScoringCase, tmp_path: Path) -> None:
    with_views = tmp_path / "new"
    case.model.save(with_views)
    assert {f for f in VIEW_FILES} <= {p.name for p in with_views.iterdir()}
    assert not list(with_views.glob("*.pkl"))
    old = tmp_path / "old"
    shutil.copytree(with_views, old)
    for name in VIEW_FILES:
        (old / name).unlink()  # what a model trained before the views holds
    export = read_export(case.folder, created_at_required=False)
    new_model, old_model = read_model(with_views), read_model(old)
    assert new_model.views is not None and old_model.views is None
    new_run = score_leads(export, new_model, model_version="1")
    old_run = score_leads(export, old_model, model_version="1")
    assert tuple(old_run.scores.columns) == SCORE_COLUMNS
    assert old_run.scores.equals(new_run.scores.select(SCORE_COLUMNS))  # the views never touch the score
    out = tmp_path / "old-scores.csv"
    score_folder(case.folder, old_model, out, model_version="1")
    assert tuple(pl.read_csv(out).columns) == SCORE_COLUMNS
    (with_views / "engagement_booster.txt").unlink()
    with pytest.raises(FileNotFoundError, match="views are incomplete \\(missing engagement_booster.txt\\)"):
        read_model(with_views)


@pytest.mark.slow
def test_the_views_leave_the_served_model_unchanged(case: ScoringCase) -> None:
    off = replace(Config(), views=ViewsConfig(enabled=False))
    without, _ = fit_model(case.training_set, off)
    assert without.views is None
    assert without.booster.model_to_string() == case.model.booster.model_to_string()
    assert without.calibration == case.model.calibration


# ------------------------------------------------------------------ the acceptance test
@pytest.fixture(scope="module")
def roles(report_store) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    """contact_id, role (buyer, student, competitor) of report_store's export: the generator's hidden truth."""
    import propensity.synthetic._world as sim

    return sim.simulate(2000, 1, date(2025, 1, 1), 18, 90).truth.select("contact_id", "role")


@pytest.fixture(scope="module")
def grid_page(report_store, tmp_path_factory: pytest.TempPathFactory) -> str:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("grid") / "report.html"
    assert main(["-q", "report", "--model", MODEL, "--scores", str(report_store["scores"]), "--out", str(out),
                 "--tracking-uri", report_store["uri"]]) == 0
    return out.read_text(encoding="utf-8")


def _ranked(scores: pl.DataFrame, roles: pl.DataFrame) -> pl.DataFrame:
    """The scored leads with their hidden role and their fit and engagement percentiles among all."""
    n = scores.height
    return scores.join(roles, on="contact_id").with_columns(
        (100 * pl.col("fit").rank() / n).alias("fit_pct"), (100 * pl.col("engagement").rank() / n).alias("engagement_pct")
    )


def _medians(ranked: pl.DataFrame) -> dict[str, dict[str, float]]:
    agg = ranked.group_by("role").agg(pl.len(), pl.col("fit_pct").median(), pl.col("engagement_pct").median())
    return {r["role"]: r for r in agg.iter_rows(named=True)}


@pytest.mark.slow
def test_students_and_competitors_engage_heavily_and_do_not_fit(report_store, roles) -> None:  # type: ignore[no-untyped-def]
    """On the scored open leads: the median engagement percentile of students and of competitors is
    far above the buyers', their median fit percentile well below (measured: students 5 and
    competitors 37 against buyers' 52 for fit; 90 and 95 against 47 for engagement). Competitors fit
    less clearly than students: 40 of them in three accounts are few to learn from, but the
    generator shows them as a CRM would (their accounts' industry, their titles, their sources)."""
    scores = pl.read_csv(report_store["scores"])
    assert tuple(scores.columns) == SCORE_COLUMNS + VIEW_COLUMNS
    ranked = _ranked(scores, roles)
    med = _medians(ranked)
    assert med["student"]["len"] >= 60 and med["competitor"]["len"] >= 30
    buyer = med["buyer"]
    assert med["student"]["engagement_pct"] > buyer["engagement_pct"] + 25
    assert med["competitor"]["engagement_pct"] > buyer["engagement_pct"] + 25
    assert med["student"]["fit_pct"] < buyer["fit_pct"] - 25
    assert med["competitor"]["fit_pct"] < buyer["fit_pct"] - 10
    # in the cells: students and competitors are engaged (level 1-2) leads of fit D
    for role in ("student", "competitor"):
        heavy = ranked.filter(pl.col("role") == role)
        assert (heavy["fit_grade"] == "D").mean() >= 0.75, role
        assert (heavy["engagement_level"] <= 2).mean() >= 0.9, role


@pytest.mark.slow
def test_the_reports_grid_holds_the_competitors_in_engaged_cells_of_low_fit_that_never_convert(  # type: ignore[no-untyped-def]
    report_store, roles, grid_page
) -> None:
    """The grid's cell that holds most competitors now (measured: D1, 22 of the 40) is an engaged cell of
    fit D and counts them among its scored leads; in the backtest the cell holding most competitors'
    rows (measured: D1, 58 of 145) counts them among its leads and none of them converted."""
    page = _parse(grid_page)
    scored, leads, rates = page.values("data-fe-scored"), page.values("data-fe-leads"), page.raw("data-fe-rate")
    competitors = _ranked(pl.read_csv(report_store["scores"]), roles).filter(pl.col("role") == "competitor")
    cell, n = competitors.group_by("fit_engagement").len().sort("len", "fit_engagement", descending=[True, False]).row(0)
    assert cell in ("D1", "D2") and n >= 15
    assert scored[cell] >= n
    client = mlflow.MlflowClient(report_store["uri"], report_store["uri"])
    version = client.get_model_version_by_alias("lead-propensity", "champion")
    path = mlflow.artifacts.download_artifacts(run_id=version.run_id, artifact_path="evaluation/validation.parquet",
                                               tracking_uri=report_store["uri"], dst_path=tempfile.mkdtemp())
    backtest = pl.read_parquet(path).join(roles, on="contact_id").filter(pl.col("role") == "competitor")
    assert backtest.height >= 100 and int(backtest["label"].sum()) == 0  # competitors never convert
    by_cell = backtest.group_by("fit_engagement").len().sort("len", "fit_engagement", descending=[True, False])
    top, rows = by_cell.row(0)
    assert top in ("D1", "D2") and rows >= 40
    assert leads[top] >= rows and rates[top] != ""
    in_d = backtest.filter(pl.col("fit_grade") == "D").height
    assert in_d / backtest.height >= 0.5 and (backtest["engagement_level"] <= 2).mean() >= 0.9


@pytest.mark.slow
def test_the_reports_grid_counts_the_backtest_and_scored_leads_by_cell(report_store, grid_page) -> None:  # type: ignore[no-untyped-def]
    page = _parse(grid_page)
    assert page.ids.get("fit-engagement") == "section"
    client = mlflow.MlflowClient(report_store["uri"], report_store["uri"])
    version = client.get_model_version_by_alias("lead-propensity", "champion")
    path = mlflow.artifacts.download_artifacts(run_id=version.run_id, artifact_path="evaluation/validation.parquet",
                                               tracking_uri=report_store["uri"], dst_path=tempfile.mkdtemp())
    validation = pl.read_parquet(path)
    # the backtest's out-of-time rows, graded as scoring grades them
    from propensity.lifecycle._tracking import load_model, point_at

    point_at(report_store["uri"])
    views = load_model(MODEL).model.views
    regraded = views.graded(validation["fit"].to_numpy(), validation["engagement"].to_numpy())["fit_engagement"]
    assert regraded.tolist() == validation["fit_engagement"].to_list()
    leads, rates, scored = page.values("data-fe-leads"), page.raw("data-fe-rate"), page.values("data-fe-scored")
    assert set(leads) == set(CELLS) == set(rates) == set(scored)
    by_cell = {c: (n, r) for c, n, r in validation.group_by("fit_engagement").agg(pl.len(), pl.col("label").mean()).iter_rows()}
    for c in CELLS:
        n, rate = by_cell.get(c, (0, None))
        assert leads[c] == n, c
        assert (rates[c] == "") if rate is None else float(rates[c]) == pytest.approx(rate, rel=1e-9), c
    assert sum(leads.values()) == client.get_run(version.run_id).data.metrics["rows_valid_rows"]
    scores = pl.read_csv(report_store["scores"])
    counted = dict(scores.group_by("fit_engagement").len().iter_rows())
    assert scored == {c: counted.get(c, 0) for c in CELLS}
    # what the grid shows: engaged leads that fit convert; engaged leads that do not fit far less
    def rate(cells: list[str]) -> float:
        part = validation.filter(pl.col("fit_engagement").is_in(cells))
        return float(part["label"].mean())  # type: ignore[arg-type]

    assert rate(["A1", "A2", "B1", "B2"]) > 2 * rate(["D1", "D2"])
    assert rate(["A1", "B1", "C1", "D1"]) > 3 * rate(["A4", "B4", "C4", "D4"])


@pytest.mark.slow
def test_explain_shows_the_leads_cell_as_the_scores_file_has_it(report_store, capsys) -> None:  # type: ignore[no-untyped-def]
    scores = pl.read_csv(report_store["scores"])
    row = scores.filter(pl.col("fit_engagement").str.starts_with("D") & (pl.col("engagement_level") == 1)).row(0, named=True)
    code = main(["explain", str(report_store["crm"]), "--model", MODEL, "--contact", row["contact_id"], "--tracking-uri", report_store["uri"]])
    assert code == 0
    out = capsys.readouterr().out
    assert f"fit x engagement: cell {row['fit_engagement']} = fit grade {row['fit_grade']}" in out
    assert f"{100 * row['fit']:.1f}%" in out and f"{100 * row['engagement']:.1f}%" in out
    assert "engagement level 1 of 1-4" in out


@pytest.mark.slow
def test_report_refuses_a_scores_file_with_a_bad_cell(report_store, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "scores.csv"
    write_table(pl.DataFrame({"score": [0.1, 0.2], "grade": ["A", "B"], "fit_engagement": ["A1", "E9"]}), bad)
    out = tmp_path / "r.html"
    assert main(["report", "--model", MODEL, "--scores", str(bad), "--out", str(out), "--tracking-uri", report_store["uri"]]) == 2
    err = capsys.readouterr().err
    assert "fit_engagement" in err and "E9" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
