"""Flat lead tables: any common dialect reads without options, columns get the right kind, bad
tables fail in one line, and a model trained on one scores another end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import polars as pl
import pytest

from propensity._errors import DataError, UsageError
from propensity.cli import main
from propensity.flat._table import (
    OTHER,
    binary_target,
    fit_flat_spec,
    flat_features,
    lead_ids,
    profile_columns,
    read_flat,
    require_column,
)
from propensity.flat._train import guard


def write(tmp_path: Path, data: bytes, name: str = "leads.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------------- dialects
def test_semicolon_separated_quoted_table_loads_without_options(tmp_path: Path) -> None:
    # Lead 1: a quoted company with the separator inside; lead 2: doubled quotes; decimal commas.
    text = (
        'Lead ID;Company;Pages per visit;Converted\r\n'
        '"L1";"Müller; Söhne GmbH";"2,5";"1"\r\n'
        '"L2";"The ""Best"" Shop";"0,75";"0"\r\n'
    )
    table = read_flat(write(tmp_path, text.encode("utf-8")))
    assert table.separator == ";"
    assert table.frame.columns == ["Lead ID", "Company", "Pages per visit", "Converted"]
    assert table.frame["Company"].to_list() == ["Müller; Söhne GmbH", 'The "Best" Shop']
    profiles = profile_columns(table)
    assert profiles["Pages per visit"].kind == "numeric"
    spec = fit_flat_spec(table, profiles, ["Pages per visit"])
    assert flat_features(spec, table.frame)["pages_per_visit"].tolist() == pytest.approx([2.5, 0.75])


def test_latin1_table_loads_without_options(tmp_path: Path) -> None:
    text = "id,city,converted\nL1,Québec,1\nL2,São Paulo,0\nL3,Zürich,1\n"
    table = read_flat(write(tmp_path, text.encode("latin-1")))
    assert table.encoding in ("Windows-1252", "Latin-1")
    assert table.frame["city"].to_list() == ["Québec", "São Paulo", "Zürich"]


def test_utf8_bom_header_and_windows_1252_quotes_load_without_options(tmp_path: Path) -> None:
    bom = read_flat(write(tmp_path, "\ufeffid,source,converted\nL1,Web,1\nL2,Ads,0\n".encode("utf-8"), "bom.csv"))
    assert bom.encoding == "UTF-8 with BOM" and bom.frame.columns[0] == "id"
    cp = read_flat(write(tmp_path, "id,note,converted\nL1,\u201cHot\u201d lead \u20ac5k,1\nL2,cold,0\n".encode("cp1252"), "cp.csv"))
    assert cp.frame["note"][0] == "\u201cHot\u201d lead \u20ac5k"


@pytest.mark.parametrize("sep", ["\t", "|", ",", ";"])
def test_separator_is_sniffed(tmp_path: Path, sep: str) -> None:
    rows = [["id", "visits", "source", "converted"], ["L1", "3", "Web, organic", "1"], ["L2", "0", "Ads", "0"]]
    text = "\n".join(sep.join(f'"{c}"' if sep in c else c for c in r) for r in rows) + "\n"
    table = read_flat(write(tmp_path, text.encode()))
    assert table.separator == sep
    assert table.frame.width == 4 and table.frame["source"].to_list() == ["Web, organic", "Ads"]


def test_crlf_and_trailing_empty_column_are_read_away(tmp_path: Path) -> None:
    # The X Education export ends every line with a comma, and uses CRLF.
    table = read_flat(write(tmp_path, b"id,visits,converted,\r\nL1,3,1,\r\nL2,0,0,\r\n"))
    assert table.frame.columns == ["id", "visits", "converted"]
    assert table.frame["converted"].to_list() == ["1", "0"]


def test_placeholders_are_missing_and_the_list_is_configurable(tmp_path: Path) -> None:
    path = write(tmp_path, b"id,city,converted\nL1,Select,1\nL2,  select ,0\nL3,Mumbai,1\nL4,Unknown,0\n")
    table = read_flat(path)
    assert table.frame["city"].to_list() == [None, None, "Mumbai", "Unknown"]
    assert table.placeholder_counts == {"city": 2}
    custom = read_flat(path, placeholders=["unknown"])
    assert custom.frame["city"].to_list() == ["Select", "select", "Mumbai", None]


def test_categories_match_ignoring_case_and_spaces_shown_in_commonest_spelling(tmp_path: Path) -> None:
    rows = ["id,source,converted"] + [f"L{i},{s},{i % 2}" for i, s in enumerate(["Google"] * 6 + ["google "] * 2 + ["GOOGLE"] + ["Direct  Traffic"] * 5 + ["Bing"])]
    table = read_flat(write(tmp_path, ("\n".join(rows) + "\n").encode()))
    spec = fit_flat_spec(table, profile_columns(table), ["source"])
    assert spec.categories["source"] == ("Google", "Direct Traffic", OTHER)  # "Bing" is too rare to learn
    new = pd.DataFrame({"source": ["gOOgle", "direct traffic", "Bing", "Yahoo", None, "Select"]})
    got = flat_features(spec, new)["source"].astype("object").tolist()
    assert got == ["Google", "Direct Traffic", OTHER, OTHER, None, None] or got[:4] == ["Google", "Direct Traffic", OTHER, OTHER]
    assert pd.isna(got[4]) and pd.isna(got[5])


def test_column_kinds_are_inferred(tmp_path: Path) -> None:
    n = 40
    frame = pl.DataFrame(
        {
            "Lead ID": [f"L{i:03d}" for i in range(n)],
            "Lead Number": [str(1000 + i) for i in range(n)],
            "Visits": [str(i % 7) for i in range(n)],
            "Avg pages": [f"{i % 5},5" for i in range(n)],
            "Do Not Email": ["Yes" if i % 3 else "no" for i in range(n)],
            "Source": [["Web", "Ads", "Event"][i % 3] for i in range(n)],
            "Created": [f"2024-01-{1 + i % 28:02d}" for i in range(n)],
            "Email": [f"p{i}@example.com" for i in range(n)],
            "Notes": [f"called on day {i}, left message" for i in range(n)],
            "Magazine": ["No"] * n,
            "Converted": [str(i % 2) for i in range(n)],
        }
    )
    frame.write_csv(tmp_path / "t.csv", separator=";")
    kinds = {c: p.kind for c, p in profile_columns(read_flat(tmp_path / "t.csv")).items()}
    assert kinds == {
        "Lead ID": "identifier",
        "Lead Number": "identifier",
        "Visits": "numeric",
        "Avg pages": "numeric",
        "Do Not Email": "flag",  # a consent flag, not personal data
        "Source": "category",
        "Created": "date",
        "Email": "pii",
        "Notes": "identifier",
        "Magazine": "constant",
        "Converted": "numeric",
    }


def test_a_yes_no_flag_reads_any_spelling(tmp_path: Path) -> None:
    table = read_flat(write(tmp_path, b"id,opt in,converted\nL1,Yes,1\nL2,no,0\nL3,YES,1\n"))
    spec = fit_flat_spec(table, profile_columns(table), ["opt in"])
    assert spec.categories["opt_in"] == ("no", "yes")
    new = pd.DataFrame({"opt in": ["Y", "false", "True", "maybe"]})
    assert flat_features(spec, new)["opt_in"].astype("object").tolist()[:3] == ["yes", "no", "yes"]


# ------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("content", "check", "match"),
    [
        (b"id,visits\nL1,3\n", lambda t: require_column(t, "Converted", "target"), r"leads.csv: column 'Converted': target column not found \(columns found: id, visits\)"),
        (b"id,converted\nL1,1\nL2,maybe\nL3,0\n", lambda t: binary_target(t, "converted"), r"column 'converted': the target is not binary .* \(example: 'maybe'\)"),
        (b"id,converted\nL1,1\nL2,\nL3,0\n", lambda t: binary_target(t, "converted"), r"column 'converted': empty target in row 2"),
        (b"id,converted\nL1,1\nL2,1\n", lambda t: binary_target(t, "converted"), r"the target has only one value"),
        (b"id,converted\nL1,1\nL2,0\nL1,0\n", lambda t: lead_ids(t, "id"), r"leads.csv: column 'id': duplicate id \(example: 'L1'\)"),
        (b"id,converted\nL1,1\n,0\n", lambda t: lead_ids(t, "id"), r"column 'id': empty id in row 2"),
    ],
)
def test_bad_table_is_one_data_error(tmp_path: Path, content: bytes, check, match: str) -> None:  # type: ignore[no-untyped-def]
    table = read_flat(write(tmp_path, content))
    with pytest.raises(DataError, match=match):
        check(table)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "the file is empty"),
        (b"id,converted\r\n", "the table has no rows"),
        (b"id,converted\nL1,1,extra,more\n", "line 2 has 4 fields but the header has 2"),
        (b"id,ID,converted\nL1,L1,1\n", "two columns have this name"),
    ],
)
def test_unreadable_table_is_one_data_error(tmp_path: Path, content: bytes, match: str) -> None:
    with pytest.raises(DataError, match=match):
        read_flat(write(tmp_path, content))


def test_missing_table_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        read_flat(tmp_path / "nope.csv")


# ------------------------------------------------------------------------------- the guard
def synthetic_leads(n: int = 1500, seed: int = 3) -> pl.DataFrame:
    """Leads whose conversion depends on time on site and source; 'Lead Status' is the outcome
    written back by sales, 'Rep Rating' a noisy judgement, 'Email' personal data."""
    rng = np.random.default_rng(seed)
    time_on_site = rng.gamma(2.0, 300.0, n).round()
    source = rng.choice(["Google", "google", "Direct Traffic", "Referral", "Select"], n, p=[0.3, 0.05, 0.3, 0.2, 0.15])
    visits = rng.poisson(3, n)
    logit = -2.0 + 0.004 * time_on_site + np.where(source == "Referral", 1.5, 0.0) + 0.1 * visits
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    status = np.where(y == 1, rng.choice(["Closed Won", "Enrolled"], n), rng.choice(["Lost", "No answer"], n))
    status = np.where(rng.random(n) < 0.03, "No answer", status)
    rating = np.where(rng.random(n) < 0.6, np.where(y == 1, "High", "Low"), rng.choice(["High", "Low", "Medium"], n))
    return pl.DataFrame(
        {
            "Lead ID": [f"X{i:05d}" for i in range(n)],
            "Email": [f"lead{i}@example.com" for i in range(n)],
            "Total Time on Site": time_on_site.astype(int),
            "Visits": visits,
            "Lead Source": source,
            "Do Not Call": rng.choice(["Yes", "No"], n, p=[0.1, 0.9]),
            "Lead Status": status,
            "Rep Rating": np.where(rng.random(n) < 0.3, None, rating),
            "Converted": y,
        }
    )


@pytest.fixture(scope="module")
def leads_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flat") / "leads.csv"
    synthetic_leads().write_csv(path)
    return path


def test_guard_excludes_outcome_in_disguise_and_columns_named_as_judgements(leads_csv: Path) -> None:
    table = read_flat(leads_csv)
    y = binary_target(table, "Converted")
    g = guard(table, y, skip={"Converted", "Lead ID"})
    flagged = {v.column: v for v in g.verdicts if v.reason}
    assert set(flagged) == {"Lead Status", "Rep Rating"}
    assert flagged["Lead Status"].auc >= 0.9 and "almost by itself" in flagged["Lead Status"].reason
    assert "name says" in flagged["Rep Rating"].reason and flagged["Rep Rating"].auc < 0.9
    assert all(v.excluded for v in flagged.values())
    assert "Email" not in g.candidates  # personal data is never even a candidate
    kept = guard(table, y, skip={"Converted", "Lead ID"}, keep=["Rep Rating"])
    assert [v.column for v in kept.verdicts if v.reason and not v.excluded] == ["Rep Rating"]


# ------------------------------------------------------------------------- end to end (CLI)
@pytest.fixture(scope="module")
def flat_trained(leads_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("flatstore")
    uri = f"sqlite:///{home / 'mlflow.db'}"
    code = main(["-q", "train", "--table", str(leads_csv), "--target", "Converted", "--id", "Lead ID",
                 "--compare", "Rep Rating", "--tracking-uri", uri, "--model-name", "flat-test"])
    assert code == 0
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return {"uri": uri}


@pytest.mark.slow
def test_flat_training_is_tracked_registered_and_reports_the_guard(flat_trained: dict[str, str]) -> None:
    client = mlflow.MlflowClient(flat_trained["uri"], flat_trained["uri"])
    version = client.get_model_version_by_alias("flat-test", "champion")
    run = client.get_run(version.run_id)
    assert run.data.tags["propensity.mode"] == "flat"
    assert run.data.tags["propensity.leakage.excluded"] == "Lead Status, Rep Rating"
    assert run.data.params["flat.split"] == "5-fold stratified cross-validation"
    m = run.data.metrics
    assert m["cv_roc_auc"] > 0.7 and m["cv_roc_auc"] > m["compare_rep_rating_roc_auc"] - 0.2
    assert 0.5 < m["compare_rep_rating_coverage"] < 0.9
    local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="leakage/leakage.json")
    verdicts = {v["column"]: v for v in json.loads(Path(local).read_text())}
    assert verdicts["Lead Status"]["excluded"] is True and verdicts["Lead Status"]["auc"] >= 0.9
    assert verdicts["Total Time on Site"]["excluded"] is False
    plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert {"plots/drivers.svg", "plots/calibration.svg", "plots/gains.svg"} <= plots and not any(p.endswith(".png") for p in plots)


@pytest.mark.slow
def test_date_column_judges_the_latest_leads_instead_of_folds(leads_csv: Path) -> None:
    from propensity._config import Config
    from propensity.flat._train import train_flat

    leads = synthetic_leads().with_columns(
        pl.Series("Created", [f"2024-{1 + i * 12 // 1500:02d}-{1 + i % 28:02d}" for i in range(1500)])
    )
    path = leads_csv.parent / "dated.csv"
    leads.write_csv(path)
    result = train_flat(read_flat(path), target="Converted", id_column="Lead ID", date_column="Created", config=Config())
    assert result.split == "time split on Created: the latest 20% of leads judged"
    assert result.counts["judged_rows"] == 300 and result.counts["folds"] == 1
    latest = set(leads.sort("Created").tail(300)["Lead ID"].to_list())
    assert set(result.validation["id"].to_list()) == latest
    assert "Created" not in result.features
    assert result.metrics["cv_roc_auc"] > 0.6


@pytest.mark.slow
def test_flat_scores_every_open_lead_and_pyfunc_reads_raw_columns(flat_trained: dict[str, str], leads_csv: Path, tmp_path: Path) -> None:
    from propensity.lifecycle._tracking import load_model

    out = tmp_path / "scores.csv"
    assert main(["-q", "score", "--table", str(leads_csv), "--model", "models:/flat-test@champion", "--out", str(out),
                 "--tracking-uri", flat_trained["uri"]]) == 0
    scores = pl.read_csv(out)
    leads = synthetic_leads()
    assert scores.columns == ["contact_id", "score", "score_100", "grade", "percentile", "reasons", "model_version"]
    assert sorted(scores["contact_id"].to_list()) == sorted(leads.filter(pl.col("Converted") == 0)["Lead ID"].to_list())
    assert scores["score"].is_sorted(descending=True) and scores["score"].is_between(0, 1).all()
    assert set(scores["grade"].unique()) <= {"A", "B", "C", "D"}
    assert not scores["reasons"].str.contains("@example.com").any()
    assert scores["reasons"].str.contains("Total Time on Site|Lead Source|Visits").all()
    # the registered model predicts from the table's own columns, through MLflow's pyfunc loader
    raw = leads.head(50).drop("Converted").to_pandas()
    p = np.asarray(mlflow.pyfunc.load_model("models:/flat-test@champion").predict(raw))
    assert p.shape == (50,) and np.all((p > 0) & (p < 1))
    np.testing.assert_allclose(p, load_model("models:/flat-test@champion").model.predict_proba(raw))


@pytest.mark.slow
def test_history_export_scored_with_a_flat_model_is_one_line(flat_trained: dict[str, str], small_crm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.csv"
    code = main(["score", str(small_crm), "--model", "models:/flat-test@champion", "--out", str(out), "--tracking-uri", flat_trained["uri"]])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "flat lead table" in err[0]
    assert not out.exists()


def test_table_options_without_table_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--target", "Converted"]) == 2
    assert "only apply to a flat lead table: add --table FILE" in capsys.readouterr().err


# ---------------------------------------------------------------------- keeping on purpose
@pytest.mark.slow
def test_keep_trains_on_a_column_the_guard_would_exclude(leads_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from propensity.lifecycle._tracking import load_model

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    code = main(["train", "--table", str(leads_csv), "--target", "Converted", "--id", "Lead ID", "--keep", "rep rating",
                 "--tracking-uri", uri, "--model-name", "flat-keep"])
    assert code == 0
    out = capsys.readouterr().out
    assert re.search(r"Rep Rating +AUC alone 0\.\d{3} +KEPT \(--keep\)", out)
    assert re.search(r"Lead Status +AUC alone 0\.9\d\d +excluded", out)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = mlflow.MlflowClient(uri, uri)
    run = client.get_run(client.get_model_version_by_alias("flat-keep", "champion").run_id)
    assert run.data.tags["propensity.leakage.kept"] == "Rep Rating"
    assert run.data.tags["propensity.leakage.excluded"] == "Lead Status"
    sources = {f.source for f in load_model("models:/flat-keep@champion").model.spec.features}
    assert "Rep Rating" in sources and "Lead Status" not in sources


def test_keep_of_a_column_the_table_lacks_is_one_line_and_writes_nothing(leads_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "mlflow.db"
    code = main(["train", "--table", str(leads_csv), "--target", "Converted", "--id", "Lead ID", "--keep", "Deal Stage",
                 "--tracking-uri", f"sqlite:///{store}"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["propensity: error: --keep 'Deal Stage': leads.csv has no such column"]
    assert not store.exists()


def test_personal_data_as_the_lead_id_is_refused_and_writes_nothing(leads_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "mlflow.db"
    code = main(["train", "--table", str(leads_csv), "--target", "Converted", "--id", "Email", "--tracking-uri", f"sqlite:///{store}"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--id 'Email'" in err[0] and "personal data" in err[0]
    assert "@example.com" not in err[0]
    assert not store.exists()


def test_european_excel_export_trains_without_options(tmp_path: Path) -> None:
    # semicolons, every field quoted, Latin-1, decimal commas, CRLF: what Excel writes in France or Germany
    from propensity._config import Config
    from propensity.flat._train import train_flat

    rng = np.random.default_rng(5)
    cities = ["Québec", "Zürich", "São Paulo", "Köln"]
    lines = ['"Réf";"Ville";"Durée moyenne";"Converti"']
    for i in range(240):
        city = cities[i % 4]
        minutes = rng.gamma(2.0, 1.5)
        converted = int(rng.random() < (0.7 if city in ("Québec", "Köln") else 0.2))
        decimal = f"{minutes:.2f}".replace(".", ",")
        lines.append(f'"R{i:03d}";"{city}";"{decimal}";"{converted}"')
    path = write(tmp_path, ("\r\n".join(lines) + "\r\n").encode("latin-1"), "export.csv")
    table = read_flat(path)
    assert (table.separator, table.encoding) == (";", "Windows-1252")
    assert table.frame.columns == ["Réf", "Ville", "Durée moyenne", "Converti"]
    assert table.frame["Ville"][:4].to_list() == cities
    result = train_flat(table, target="Converti", id_column="Réf", config=Config(), folds=3)
    assert result.features == ["Ville", "Durée moyenne"]
    assert set(result.model.spec.categories["ville"]) == set(cities)
    assert result.metrics["cv_roc_auc"] > 0.65
