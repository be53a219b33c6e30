"""`propensity import hubspot`: a HubSpot-layout export of the generated people reads back into the same
contacts, events and outcomes as the contract export; bad vendor files are one line, exit 2, nothing written."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from propensity._config import Config, SearchConfig
from propensity.cli import main
from propensity.io._sources import read_export
from propensity.synthetic._generate import generate_crm
from tests._vendor_layouts import to_hubspot


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hubspot")
    generate_crm(root / "contract", n_contacts=2000, seed=1)
    to_hubspot(root / "contract", root / "vendor")
    assert main(["import", "hubspot", str(root / "vendor"), "--out", str(root / "imported"), "--format", "csv"]) == 0
    return {"contract": root / "contract", "vendor": root / "vendor", "imported": root / "imported"}


def test_imported_tables_equal_the_contract_exports_content(layouts: dict[str, Path]) -> None:
    contract, imported = read_export(layouts["contract"], require_outcomes=True), read_export(layouts["imported"], require_outcomes=True)
    key = ["contact_id", "account_id", "created_at", "job_title", "lead_source"]
    assert imported.contacts.select(key).sort("contact_id").equals(contract.contacts.select(key).sort("contact_id"))
    assert imported.accounts.sort("account_id").equals(contract.accounts.sort("account_id"))
    timed = ["contact_id", "occurred_at", "event_type"]
    assert imported.events.sort(timed).equals(contract.events.sort(timed))
    outcome = ["contact_id", "occurred_at", "outcome"]
    assert imported.outcomes.sort(outcome).equals(contract.outcomes.sort(outcome))  # type: ignore[union-attr]


def test_the_summary_names_ignored_and_unmapped_event_types(layouts: dict[str, Path]) -> None:
    summary = (layouts["imported"] / "import_summary.txt").read_text(encoding="utf-8")
    assert "40 email_events.csv rows of ignored types ([hubspot] ignored_event_types)" in summary
    assert "'web_events.csv e_started_chat' (25)" in summary
    emails = pl.read_csv(layouts["vendor"] / "contacts.csv", infer_schema=False)["Email"].drop_nulls().head(50)
    written = "".join(p.read_text(encoding="utf-8") for p in layouts["imported"].iterdir())
    assert not any(email in written for email in emails)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ("no-deals", r"^propensity: error: deals\.csv: missing: the export in .* has no deals\.csv$"),
        ("no-createdate", r"^propensity: error: contacts\.csv: column 'createdate': required field not found \(fields found: Record ID, "),
        ("unknown-stage", r"^propensity: error: deals\.csv: column 'dealstage': unknown stage \(name it in \[hubspot\] deal_stages, closed_won_stages or ignored_deal_stages\) \(example: '12345678'\)$"),
    ],
)
def test_a_bad_hubspot_file_is_one_line_naming_file_and_field_exit_2_nothing_written(
    layouts: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str, match: str
) -> None:
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    for file in layouts["vendor"].iterdir():
        (vendor / file.name).write_bytes(file.read_bytes())
    if change == "no-deals":
        (vendor / "deals.csv").unlink()
    elif change == "no-createdate":
        pl.read_csv(vendor / "contacts.csv", infer_schema=False).drop("Create Date").write_csv(vendor / "contacts.csv")
    else:  # a custom pipeline's stage id nobody configured
        deals = pl.read_csv(vendor / "deals.csv", infer_schema=False)
        deals.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("12345678")).otherwise(pl.col("dealstage")).alias("dealstage")).write_csv(vendor / "deals.csv")
    out = tmp_path / "out"
    assert main(["import", "hubspot", str(vendor), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and re.match(match, err.strip()), err
    assert not out.exists()


def test_an_output_folder_holding_the_other_format_is_refused_before_writing(layouts: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.name for p in layouts["imported"].iterdir())
    assert main(["import", "hubspot", str(layouts["vendor"]), "--out", str(layouts["imported"])]) == 2
    assert "already holds accounts.csv: choose an empty folder or --format csv" in capsys.readouterr().err
    assert sorted(p.name for p in layouts["imported"].iterdir()) == before


@pytest.mark.slow
def test_an_imported_hubspot_export_trains_to_the_contract_exports_figures(layouts: dict[str, Path]) -> None:
    from propensity.training._train import train

    config = Config(search=SearchConfig(trials=0))
    auc = [train(read_export(layouts[k], require_outcomes=True), config, tracking_uri=None).metrics["valid_roc_auc"] for k in ("contract", "imported")]
    print(f"valid_roc_auc contract {auc[0]:.4f} imported from hubspot {auc[1]:.4f}")
    assert abs(auc[0] - auc[1]) <= 0.005, auc
