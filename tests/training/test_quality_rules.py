"""Model-quality rules: the preflight refuses too little data and points to the fallback, the points
fallback labels itself and loses no lead, the account view adds leads up as 1 - prod(1 - p) with its
buying committee, the leakage guard names and drops a planted outcome column (and MLflow records it),
and reasons read as words, never as column names."""

from __future__ import annotations

import json
import logging
import re
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from propensity._config import Config, LabelConfig, LeakageConfig, PreflightConfig
from propensity.cli import main
from propensity.io._export import CrmExport
from propensity.io._sources import read_export
from propensity.scoring._batch import REJECT_NO_CREATED_AT, SCORE_COLUMNS
from propensity.training._labels import label_pairs, open_leads, plan_split
from tests.conftest import make_export, tiny_tables

AS_OF = datetime(2025, 4, 1)
PLANTED = "deal_status"  # a status a rep fills in after the fact: "won" for every contact that ever got an opportunity


def _with(tables: dict[str, pl.DataFrame], contacts: list[dict[str, str]] = (), events: list[dict[str, str]] = ()) -> dict[str, pl.DataFrame]:  # type: ignore[assignment]
    """The tiny tables plus hand-written contact and event rows (all strings, like the originals)."""
    out = dict(tables)
    if contacts:
        out["contacts"] = pl.concat([tables["contacts"], pl.DataFrame(list(contacts)).select(tables["contacts"].columns)])
    if events:
        out["events"] = pl.concat([tables["events"], pl.DataFrame(list(events)).select(tables["events"].columns)])
    return out


def _write_folder(tables: dict[str, pl.DataFrame], folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        frame.write_csv(folder / f"{name}.csv")
    return folder


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


# ------------------------------------------------------------------------------------ preflight
def _train_counts(export: CrmExport, config: Config) -> tuple[int, int]:
    """Positive and negative leads over every matured cutoff, counted here from the label rules."""
    from propensity.training._training_set import history_start

    plan = plan_split(history_start(export), export.data_end, config.label, config.split)
    labelled = label_pairs(open_leads(export.contacts, export.outcomes, plan.cutoffs, config.label), export.outcomes, config.label)
    pos = int(labelled["label"].sum())
    return pos, labelled.height - pos


def test_preflight_refuses_too_few_positives_with_exit_2_the_counts_and_the_points_fallback(
    small_crm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "strict.toml"
    config.write_text("[preflight]\nmin_positives = 100000\n", encoding="utf-8")
    store = tmp_path / "store"
    code = main(["-q", "train", str(small_crm), "--config", str(config), "--tracking-uri", f"sqlite:///{store / 'mlflow.db'}"])
    err = capsys.readouterr().err.strip().splitlines()
    pos, neg = _train_counts(read_export(small_crm, require_outcomes=True), Config())
    assert code == 2
    assert len(err) == 1 and err[0].startswith("propensity: error: too little to learn from: the ")
    assert "matured monthly cutoffs (" in err[0]
    assert f"hold {pos:,} positive and {neg:,} negative open leads (opportunity within 90 days)" in err[0]
    assert "at least 100,000 positive and 200 negative are needed ([preflight] min_positives, min_negatives)" in err[0]
    assert "`propensity score DATA_DIR --points --out FILE`" in err[0]
    assert pos > 0 and neg > pos  # the refusal is about the threshold, not an empty export
    assert not store.exists()  # nothing trained, no store created


def test_preflight_warns_below_the_soft_threshold_and_trains_on(small_crm: Path) -> None:
    from propensity.training._preflight import preflight

    export = read_export(small_crm, require_outcomes=True)
    pos, neg = _train_counts(export, Config())
    handler = _Lines()
    logging.getLogger("propensity").addHandler(handler)
    try:
        quiet = preflight(export, Config())
        soft = preflight(export, Config(preflight=PreflightConfig(warn_positives=pos + 1, warn_negatives=10)))
    finally:
        logging.getLogger("propensity").removeHandler(handler)
    assert quiet.warnings == ()  # the defaults (100 / 1000) are met
    assert soft.counts["train_positives"] == pos and soft.counts["train_negatives"] == neg
    assert len(soft.warnings) == 1
    assert soft.warnings[0].startswith(f"only {pos:,} positive and {neg:,} negative leads at the matured cutoffs (")
    assert soft.warnings[0].endswith(f"below {pos + 1:,} / 10 the model and its backtest figures are unstable")
    assert handler.lines == [f"warning: {soft.warnings[0]}"]


# ------------------------------------------------------------------------------ points fallback
def test_points_fallback_labels_itself_and_gives_the_hand_tuned_points_of_the_tiny_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # C7: an open lead with a blank created_at: rejected, as a model's scoring would
    tables = _with(tiny_tables(), contacts=[{"contact_id": "C7", "account_id": "A2", "created_at": "", "email": "", "job_title": "CEO", "lead_source": "web"}])
    crm = _write_folder(tables, tmp_path / "crm")
    out = tmp_path / "points.csv"
    assert main(["score", str(crm), "--points", "--out", str(out), "--as-of", "2025-04-01"]) == 0
    printed = capsys.readouterr().out
    scores = pl.read_csv(out, schema_overrides={"score": pl.Float64, "account_id": pl.String})
    assert tuple(scores.columns) == SCORE_COLUMNS
    # C1: 2 pricing views (2 x 15) + an open (1) + VP (15) + 1,200 employees (10); the visit after the as-of does not count.
    # C2: an open (1) + a demo request (25) + director (10) + 10.  C3: a student without events or account.
    # Points are not compared with a previous scoring (no trend); account_match says where account_id came from.
    assert scores.select("trend", "moved_by", "account_match").rows() == [(None, None, "crm"), (None, None, "crm"), (None, None, "none")]
    assert scores.select(SCORE_COLUMNS[:8]).rows() == [
        ("C1", "A1", None, 56, "C", 100, "+ 30 points: 2 pricing-page views; + 15 points: VP title; + 10 points: 1,000+ employees at the account", "points"),
        ("C2", "A1", None, 46, "D", 66, "+ 25 points: 1 demo request; + 10 points: director title; + 10 points: 1,000+ employees at the account", "points"),
        ("C3", None, None, 1, "D", 33, "no points: no scored activity, title or company-size bonus", "points"),
    ]
    assert pl.read_csv(out.with_name("points.rejects.csv")).rows() == [("C7", REJECT_NO_CREATED_AT)]
    assert "ranked 3 of 4 open leads by the hand-tuned points table, no model" in printed
    assert "(1 rejected ->" in printed


def test_points_fallback_scores_or_rejects_every_open_lead_of_a_generated_export(small_crm: Path, tmp_path: Path) -> None:
    from propensity._config import PointsConfig
    from propensity.scoring._points import points_components, points_scores

    crm = tmp_path / "crm"
    shutil.copytree(small_crm, crm)
    contacts = pl.read_csv(crm / "contacts.csv", infer_schema_length=0)
    blank = contacts["contact_id"].head(7).to_list()
    contacts.with_columns(pl.when(pl.col("contact_id").is_in(blank)).then(pl.lit("")).otherwise(pl.col("created_at")).alias("created_at")).write_csv(
        crm / "contacts.csv"
    )
    out = tmp_path / "scores.parquet"
    assert main(["-q", "score", str(crm), "--points", "--out", str(out)]) == 0
    scores = pl.read_parquet(out)
    rejects = pl.read_csv(out.with_name("scores.rejects.csv"))

    export = read_export(crm, created_at_required=False)
    as_of = export.events["occurred_at"].max()
    label = LabelConfig()
    dated = open_leads(export.contacts.filter(pl.col("created_at").is_not_null()), export.outcomes, [as_of], label)
    converted = set(export.outcomes.filter(pl.col("outcome") == "opportunity")["contact_id"].to_list())
    assert tuple(scores.columns) == SCORE_COLUMNS
    assert set(scores["model_version"].to_list()) == {"points"}
    assert scores["score"].null_count() == scores.height  # points are not a probability: no score
    assert sorted(scores["contact_id"].to_list()) == sorted(dated["contact_id"].to_list())
    assert sorted(rejects["contact_id"].to_list()) == sorted(c for c in blank if c not in converted)
    assert set(rejects["reason"].to_list()) == {REJECT_NO_CREATED_AT}
    assert scores["score_100"].min() >= 1 and scores["score_100"].max() <= 100
    assert set(scores["grade"].to_list()) == {"A", "B", "C", "D"}

    pairs = dated.select("contact_id", "cutoff")
    totals = points_scores(export, pairs, PointsConfig()).sort("contact_id")
    # best first by points; score_100 is the total clipped to 1-100; the rules add up to the total
    by_id = dict(zip(totals["contact_id"].to_list(), totals["points"].to_list(), strict=True))
    ranked = [by_id[c] for c in scores["contact_id"].to_list()]
    assert ranked == sorted(ranked, reverse=True)
    assert scores["score_100"].to_list() == [int(min(max(round(p), 1), 100)) for p in ranked]
    parts = points_components(export, pairs, PointsConfig()).group_by("contact_id").agg(pl.col("points").sum())
    summed = dict(zip(parts["contact_id"].to_list(), parts["points"].to_list(), strict=True))
    assert all(abs(summed.get(c, 0.0) - p) < 1e-9 for c, p in by_id.items())
    # the many leads without points are not graded A: a tie across a grade boundary takes the lower grade
    zero = scores.filter(pl.col("reasons").str.starts_with("no points"))
    assert zero.height and set(zero["grade"].to_list()) == {"D"}


def test_points_and_account_level_options_are_refused_where_they_do_not_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "s.csv")
    cases = [
        (["score", "crm", "--out", out], "give --model URI (a registered model), or --points to rank the leads by the hand-tuned points table"),
        (["score", "crm", "--points", "--model", "models:/m/1", "--out", out], "give --model URI or --points, not both"),
        (["score", "crm", "--points", "--level", "account", "--out", out], "--level account adds up the model's probabilities: it needs --model (points are not probabilities)"),
        (["score", "--table", "leads.csv", "--points", "--out", out], "--points scores a CRM export (DATA_DIR or --source), not a flat lead table (--table)"),
        (["score", "crm", "--model", "models:/m/1", "--level", "account", "--engine", "spark", "--out", out], "--level account runs on the local engine: drop --engine spark"),
        (["score", "crm", "--model", "models:/m/1", "--config", "t.toml", "--out", out], "--config only applies with --points (a model carries its own label definition)"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert capsys.readouterr().err.strip() == f"propensity: error: {message}"
    assert not list(tmp_path.iterdir())


# -------------------------------------------------------------------------------- account view
def test_account_score_is_one_minus_the_product_of_its_leads_complements_with_the_committee() -> None:
    from propensity.scoring._account_view import ACCOUNT_COLUMNS, account_scores

    # C6: head of finance at A2, a webinar 12 days before the as-of date (A2's C5 converted: not a lead)
    tables = _with(
        tiny_tables(),
        contacts=[{"contact_id": "C6", "account_id": "A2", "created_at": "2025-03-01", "email": "", "job_title": "Head of Finance", "lead_source": "web"}],
        events=[{"contact_id": "C6", "occurred_at": "2025-03-20T09:00:00Z", "event_type": "webinar_attended"}],
    )
    export = make_export(tables)
    scores = pl.DataFrame(
        {"contact_id": ["C1", "C2", "C3", "C6"], "account_id": ["A1", "A1", None, "A2"], "score": [0.23, 0.41, 0.1234, 0.7449],
         "reasons": ["r1", "r2", "r3", "r6"]},
        schema={"contact_id": pl.String, "account_id": pl.String, "score": pl.Float64, "reasons": pl.String},
    )
    grades = {"thresholds": [0.1, 0.3, 0.6], "reference": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]}
    out = account_scores(scores, export, as_of=AS_OF, metadata={"account_grades": grades}, model_version="7", committee_days=30)
    assert tuple(out.columns) == ACCOUNT_COLUMNS
    assert out["account_id"].to_list() == ["A2", "A1", None]  # best first; the lead without an account is its own row
    assert out["score"].to_list() == pytest.approx([0.7449, 1 - (1 - 0.23) * (1 - 0.41), 0.1234], abs=1e-12)
    assert out.drop("score").rows() == [
        ("A2", 75, "A", 66, "r6", "7", 1, 1, "1 head", "finance", "C6"),
        ("A1", 55, "B", 50, "r2", "7", 2, 2, "1 VP, 1 director", "IT, marketing", "C2"),
        (None, 13, "C", 16, "r3", "7", 1, 0, "", "", "C3"),
    ]
    assert out["open_leads"].sum() == scores.height  # every scored lead is in exactly one row


def test_committee_window_is_the_models(small_crm: Path) -> None:
    from propensity._config import FeatureConfig
    from propensity.features._builder import FeatureBuilder
    from propensity.scoring._account_view import committee_days_of

    export = read_export(small_crm)
    spec = FeatureBuilder(FeatureConfig(committee_days=45)).fit(export, datetime(2026, 1, 1)).spec_
    assert committee_days_of(spec) == 45
    assert committee_days_of(FeatureBuilder(FeatureConfig()).fit(export, datetime(2026, 1, 1)).spec_) == 30


@pytest.mark.slow
def test_cli_account_level_ranks_accounts_from_the_contact_scores_and_loses_no_lead(report_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from propensity.scoring._account_view import ACCOUNT_COLUMNS

    out = tmp_path / "accounts.csv"
    argv = ["-q", "score", str(report_store["crm"]), "--model", "models:/lead-propensity@champion", "--level", "account",
            "--out", str(out), "--tracking-uri", report_store["uri"], "--history", str(tmp_path / "history.db")]
    assert main(argv) == 0
    accounts = pl.read_csv(out, schema_overrides={"account_id": pl.String})
    contacts = pl.read_csv(report_store["scores"], schema_overrides={"account_id": pl.String})  # the same model and as-of
    rejects = pl.read_csv(out.with_name("accounts.rejects.csv"))
    assert tuple(accounts.columns) == ACCOUNT_COLUMNS
    assert accounts["open_leads"].sum() + rejects.height == contacts.height + rejects.height
    assert accounts["open_leads"].sum() == contacts.height
    assert accounts["account_id"].null_count() == contacts["account_id"].null_count()
    assert accounts["score"].to_list() == sorted(accounts["score"].to_list(), reverse=True)
    expected = (
        contacts.filter(pl.col("account_id").is_not_null())
        .group_by("account_id")
        .agg((1 - (1 - pl.col("score")).product()).alias("expected"), pl.len().alias("n"))
    )
    joined = accounts.join(expected, on="account_id", how="inner")
    assert joined.height == accounts.height - accounts["account_id"].null_count()
    np.testing.assert_allclose(joined["score"].to_numpy(), joined["expected"].to_numpy(), rtol=0, atol=1e-12)
    assert (joined["open_leads"] == joined["n"]).all()
    assert set(accounts["grade"].to_list()) <= {"A", "B", "C", "D"}
    assert (accounts["engaged_contacts"] >= 0).all()


# ------------------------------------------------------------------------------- leakage guard
@pytest.fixture(scope="module")
def planted(small_crm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small export with a contacts column derived from the outcome: 'won' for every contact that ever
    had an opportunity (the positive outcome), 'open' for the others."""
    crm = tmp_path_factory.mktemp("planted") / "crm"
    shutil.copytree(small_crm, crm)
    contacts = pl.read_csv(crm / "contacts.csv", infer_schema_length=0)
    outcomes = pl.read_csv(crm / "outcomes.csv", infer_schema_length=0)
    won = outcomes.filter(pl.col("outcome") == "opportunity")["contact_id"].unique().implode()
    contacts.with_columns(pl.when(pl.col("contact_id").is_in(won)).then(pl.lit("won")).otherwise(pl.lit("open")).alias(PLANTED)).write_csv(
        crm / "contacts.csv"
    )
    return crm


@pytest.fixture(scope="module")
def planted_set(planted: Path):  # type: ignore[no-untyped-def]
    from propensity.training._training_set import build_training_set

    return build_training_set(read_export(planted, require_outcomes=True), Config())


def _planted_auc(ts) -> float:  # type: ignore[no-untyped-def]
    from propensity._model import to_model_frame
    from propensity.leakage._guard import single_column_auc

    train = ts.frame
    return single_column_auc(to_model_frame(ts.builder.spec_, train)[PLANTED], train["label"].to_numpy())


def test_leakage_guard_names_and_excludes_a_planted_status_column(planted_set) -> None:  # type: ignore[no-untyped-def]
    from propensity.training._no_information import guard_training_set

    assert planted_set.builder.spec_.by_name()[PLANTED].source == f"contacts.{PLANTED}"  # an extra contacts column is a feature
    handler = _Lines()
    logging.getLogger("propensity").addHandler(handler)
    try:
        guard = guard_training_set(planted_set, Config())
    finally:
        logging.getLogger("propensity").removeHandler(handler)
    auc = _planted_auc(planted_set)
    first = guard.verdicts[0]
    assert guard.excluded == (PLANTED,) and guard.kept == ()
    assert (first.column, first.excluded) == (PLANTED, True)
    assert first.auc == pytest.approx(auc, abs=1e-12) and auc > 0.95
    assert first.reason == f"predicts the label almost by itself (single-column AUC {auc:.3f} >= 0.90)"
    assert all(v.auc < 0.9 and not v.reason for v in guard.verdicts[1:])  # nothing else is flagged
    assert PLANTED not in guard.training_set.builder.spec_.names and PLANTED not in guard.training_set.frame.columns
    assert "auc" in first.evidence
    assert guard.to_dict()["verdicts"][0] == {"column": PLANTED, "auc": first.auc, "reason": first.reason, "excluded": True,
                                             "evidence": first.evidence, "source": f"contacts.{PLANTED}"}
    assert handler.lines == [
        f"warning: leakage guard: '{PLANTED}' (contacts.{PLANTED}) predicts the label almost by itself (single-feature ROC AUC "
        f"{auc:.3f} on {planted_set.frame.height:,} training leads): excluded; if it is known when a lead arrives, "
        f'keep it with [leakage] keep = ["{PLANTED}"] in the training config (--config)'
    ]


def test_leakage_guard_keeps_a_flagged_column_named_in_the_config(planted_set) -> None:  # type: ignore[no-untyped-def]
    from propensity.training._no_information import guard_training_set, without_features

    two = without_features(planted_set, {n for n in planted_set.builder.spec_.names if n not in (PLANTED, "n_web_visit_30d")})
    for keep in (PLANTED, f"contacts.{PLANTED}"):  # the feature's name or its column
        guard = guard_training_set(two, Config(leakage=LeakageConfig(keep=(keep,))))
        assert guard.excluded == () and guard.kept == (PLANTED,)
        assert PLANTED in guard.training_set.builder.spec_.names
    with pytest.raises(Exception, match=r"^\[leakage\] keep: no feature or column named 'lead_stage'$"):
        guard_training_set(two, Config(leakage=LeakageConfig(keep=("lead_stage",))))


@pytest.mark.slow
def test_training_logs_the_excluded_column_to_mlflow_and_reasons_read_as_words(planted: Path, planted_set, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import mlflow

    from propensity.lifecycle._tracking import load_model, point_at

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert main(["-q", "train", str(planted), "--tracking-uri", uri, "--model-name", "planted"]) == 0
    point_at(uri)
    loaded = load_model("models:/planted@champion")
    meta = loaded.model.metadata
    auc = _planted_auc(planted_set)
    assert PLANTED not in loaded.model.spec.names
    assert meta["leakage"]["excluded"] == [PLANTED] and meta["leakage"]["kept"] == []
    verdict = meta["leakage"]["verdicts"][0]
    assert (verdict["column"], verdict["excluded"], verdict["source"]) == (PLANTED, True, f"contacts.{PLANTED}")
    assert verdict["auc"] == pytest.approx(auc, abs=1e-12)

    client = mlflow.MlflowClient(uri, uri)
    run = client.get_run(meta["run_id"])
    assert run.data.tags["propensity.leakage.excluded"] == f"{PLANTED} (AUC {auc:.3f})"
    logged = json.loads(Path(client.download_artifacts(run.info.run_id, "evaluation/leakage.json", str(tmp_path))).read_text())
    assert logged["excluded"] == [PLANTED] and logged["verdicts"][0]["column"] == PLANTED
    assert logged["verdicts"][0]["auc"] == pytest.approx(auc, abs=1e-12)

    # the model scores the export without the excluded column, and no reason shows a column name
    out = tmp_path / "scores.csv"
    assert main(["-q", "score", str(planted), "--model", "models:/planted@champion", "--out", str(out), "--tracking-uri", uri,
                 "--history", str(tmp_path / "history.db")]) == 0
    reasons = pl.read_csv(out)["reasons"].to_list()
    assert len(reasons) > 1000
    _assert_words(reasons, loaded.model.spec)


# ------------------------------------------------------------------------------------ reasons
_CODE = re.compile(r"\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b")


def _assert_words(texts: list[str], spec) -> None:  # type: ignore[no-untyped-def]
    """No feature name, and no underscore word other than a category value of the export's own columns."""
    names = [n for n in spec.names if "_" in n]
    own_values = {v for f in spec.features if f.kind == "category" and f.source != "job_title" for v in spec.categories.get(f.name, ())}
    for text in texts:
        assert not [n for n in names if n in text], text
        assert set(_CODE.findall(text)) <= own_values, text


def test_every_feature_kind_reads_as_words_a_rep_understands(planted_set) -> None:  # type: ignore[no-untyped-def]
    from propensity.scoring._reasons import describe, describe_kind

    spec = planted_set.builder.spec_
    kinds = {f.kind for f in spec.features}
    assert {"count", "recency", "age", "trend", "accel", "distinct", "decay", "flag", "outcome", "share", "seniority_share",
            "lag", "account", "category", "numeric"} <= kinds  # the generated export exercises every kind
    texts = []
    for f in spec.features:
        values = [None, *spec.categories.get(f.name, ())] if f.kind == "category" else [None, 0.0, 1.0, 2.5, 17.0, -3.0]
        texts += [describe(spec, f, v) for v in values]
        texts.append(describe_kind(f))
    _assert_words(texts, spec)
    by_name = spec.by_name()
    assert describe(spec, by_name["acct_engaged_sales_dept_30d"], 3.0) == "3 people from sales engaged at the account in the last 30 days"
    assert describe(spec, by_name["acct_engaged_hr_dept_30d"], 1.0) == "1 person from HR engaged at the account in the last 30 days"
    assert describe(spec, by_name["acct_outcome_opportunity_contacts"], 2.0) == "2 people at the account with an opportunity so far"
    assert describe(spec, by_name["acct_outcome_opportunity_contacts"], 0.0) == "nobody at the account with an opportunity so far"
    assert describe_kind(by_name["acct_outcome_opportunity_contacts"]) == "people at the account with an opportunity"
    assert describe(spec, by_name["acct_days_since_outcome_mql"], 12.0) == "last MQL at the account 12 days ago"
    assert describe(spec, by_name["acct_days_since_outcome_mql"], None) == "no MQL at the account yet"
    assert describe(spec, by_name["days_since_outcome_mql"], 1.0) == "last MQL 1 day ago"
    assert describe(spec, by_name["acct_engaged_executive_30d"], 2.0) == "2 executives (C-level or VP) engaged at the account in the last 30 days"
    assert describe(spec, by_name["committee_seniority_share_365d"], 0.5) == "50% of the seniority in the account's engaged committee (last 365 days)"
    assert describe(spec, by_name["share_of_account_events_30d"], 0.25) == "25% of the account's activity in the last 30 days"
    assert describe(spec, by_name["title_seniority"], "c_level") == "job title seniority: C-level"
    assert describe(spec, by_name["ever_email_unsubscribe"], 1.0) == "unsubscribe on record"
    assert describe(spec, by_name["first_touch_lag_days"], 4.0) == "first activity 4 days after entering the CRM"
