"""`propensity import salesforce`: a Salesforce-layout export of the generated people reads back into the
same contacts, events and outcomes as the contract export; bad vendor files are one line, exit 2,
nothing written."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from propensity._config import Config, SearchConfig, load_config
from propensity.cli import main
from propensity.io._sources import read_export
from propensity.synthetic._generate import generate_crm
from tests._vendor_layouts import SALESFORCE_CONFIG, to_salesforce


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("salesforce")
    generate_crm(root / "contract", n_contacts=2000, seed=1)
    to_salesforce(root / "contract", root / "vendor")
    (root / "config.toml").write_text(SALESFORCE_CONFIG, encoding="utf-8")
    assert main(["import", "salesforce", str(root / "vendor"), "--out", str(root / "imported"), "--config", str(root / "config.toml")]) == 0
    return {"contract": root / "contract", "vendor": root / "vendor", "imported": root / "imported", "config": root / "config.toml", "root": root}


def test_imported_tables_hold_the_contract_exports_people_events_and_outcomes(layouts: dict[str, Path]) -> None:
    contract, imported = read_export(layouts["contract"], require_outcomes=True), read_export(layouts["imported"], require_outcomes=True)
    key = ["contact_id", "account_id", "created_at", "job_title", "lead_source"]
    assert imported.contacts.select(key).sort("contact_id").equals(contract.contacts.select(key).sort("contact_id"))
    assert imported.accounts.sort("account_id").equals(contract.accounts.sort("account_id"))
    by_type = ["contact_id", "event_type"]
    assert imported.events.group_by(by_type).len().sort(by_type).equals(contract.events.group_by(by_type).len().sort(by_type))
    timed = ["contact_id", "occurred_at", "outcome"]
    exact = pl.col("outcome") != "closed_won"  # CloseDate is a date: closed_won is read at the end of its day
    assert imported.outcomes.filter(exact).sort(timed).equals(contract.outcomes.filter(exact).sort(timed))  # type: ignore[union-attr]
    won = ["contact_id", pl.col("occurred_at").dt.date()]
    assert imported.outcomes.filter(~exact).select(won).sort("contact_id").equals(contract.outcomes.filter(~exact).select(won).sort("contact_id"))  # type: ignore[union-attr]


def test_the_summary_counts_what_was_mapped_and_dropped_without_personal_data(layouts: dict[str, Path]) -> None:
    summary = (layouts["imported"] / "import_summary.txt").read_text(encoding="utf-8")
    assert "  Lead.csv" not in summary and "  Lead: " in summary
    assert "unmapped activity types (not events; map them in the config): 'Task Type Other' (50)" in summary
    assert "30 campaign members who did not respond" in summary
    assert "people without any activity: " in summary
    contacts = pl.read_csv(layouts["vendor"] / "Contact.csv", infer_schema=False)
    written = "".join(p.read_bytes().decode("latin-1") for p in layouts["imported"].iterdir())
    for email in contacts["Email"].drop_nulls().head(50):
        assert email not in written
    for name in contacts["LastName"].drop_nulls().unique().head(20):
        assert f"{name}" not in summary


def _broken(layouts: dict[str, Path], tmp_path: Path, change: str) -> Path:
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    for file in layouts["vendor"].iterdir():
        (vendor / file.name).write_bytes(file.read_bytes())
    if change == "no-opportunity-file":
        (vendor / "Opportunity.csv").unlink()
    elif change == "no-whoid":
        pl.read_csv(vendor / "Task.csv", infer_schema=False).drop("WhoId").write_csv(vendor / "Task.csv")
    elif change == "unknown-stage":
        opp = pl.read_csv(vendor / "Opportunity.csv", infer_schema=False)
        opp.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("Verbal Commit")).otherwise(pl.col("StageName")).alias("StageName")).write_csv(
            vendor / "Opportunity.csv"
        )
    elif change == "bad-date":
        lead = pl.read_csv(vendor / "Lead.csv", infer_schema=False)
        lead.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("yesterday")).otherwise(pl.col("CreatedDate")).alias("CreatedDate")).write_csv(
            vendor / "Lead.csv"
        )
    return vendor


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ("no-opportunity-file", r"^propensity: error: Opportunity\.csv: missing: the export in .* has no Opportunity\.csv$"),
        ("no-whoid", r"^propensity: error: Task\.csv: column 'WhoId': required field not found \(fields found: Id, WhatId, Subject, Type, "),
        ("unknown-stage", r"^propensity: error: Opportunity\.csv: column 'StageName': unknown stage \(name it in \[salesforce\] opportunity_stages, closed_won_stages or ignored_stages\) \(example: 'Verbal Commit'\)$"),
        ("bad-date", r"^propensity: error: Lead\.csv: column 'CreatedDate': unparseable timestamp .*'yesterday'"),
    ],
)
def test_a_bad_salesforce_file_is_one_line_naming_file_and_field_exit_2_nothing_written(
    layouts: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str, match: str
) -> None:
    vendor = _broken(layouts, tmp_path, change)
    out = tmp_path / "out"
    assert main(["import", "salesforce", str(vendor), "--out", str(out), "--config", str(layouts["config"])]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert pytest.importorskip("re").match(match, err.strip()), err
    assert not out.exists()


def test_stages_and_activity_types_are_configuration(layouts: dict[str, Path], tmp_path: Path) -> None:
    from propensity.io._import_salesforce import import_salesforce

    (tmp_path / "c.toml").write_text(
        SALESFORCE_CONFIG + 'ignored_stages = ["Closed Lost"]\nactivity_types = { Other = "rep_activity" }\n', encoding="utf-8"
    )
    config = load_config(tmp_path / "c.toml").salesforce
    result = import_salesforce(layouts["vendor"], config)
    counts = dict(result.tables["events"].group_by("event_type").len().iter_rows())
    assert counts["rep_activity"] == 50 and not result.unmapped
    opps = pl.read_csv(layouts["vendor"] / "Opportunity.csv", infer_schema=False)
    lost = int((opps["StageName"] == "Closed Lost").sum())
    assert lost > 0
    assert int((result.tables["outcomes"]["outcome"] == "opportunity").sum()) == opps.height - lost


@pytest.mark.slow
def test_an_imported_salesforce_export_trains_to_the_contract_exports_figures(layouts: dict[str, Path]) -> None:
    from propensity.training._train import train

    config = Config(search=SearchConfig(trials=0))
    auc = [train(read_export(layouts[k], require_outcomes=True), config, tracking_uri=None).metrics["valid_roc_auc"] for k in ("contract", "imported")]
    print(f"valid_roc_auc contract {auc[0]:.4f} imported from salesforce {auc[1]:.4f}")
    assert abs(auc[0] - auc[1]) <= 0.005, auc
