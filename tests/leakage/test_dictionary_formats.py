"""Every dictionary format people write reads through one entry point: Excel, CSV, Markdown tables
and definition lists, plain-text "name: text" lines, and the numbered "attribute information" of
public datasets (tests/data/bank-names.txt follows the layout of UCI's bank-marketing file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from propensity._errors import DataError
from propensity.leakage._dictionary import find_dictionary, read_dictionary

DATA = Path(__file__).resolve().parents[1] / "data"


def test_numbered_attribute_list_reads_names_types_and_descriptions_over_several_lines() -> None:
    d = read_dictionary(DATA / "bank-names.txt")
    assert d["age"] == "(numeric)"
    assert d["job"].startswith("type of job") and '"services")' in d["job"]  # the wrapped second line
    assert d["y"].startswith("has the client subscribed a term deposit?")
    assert "should be discarded if the intention is to have a realistic predictive model" in d["duration"]
    assert d["pdays"].startswith("number of days that passed by after")
    assert {"marital", "poutcome", "campaign", "previous"} <= set(d)


def test_numbered_list_with_name_on_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "columns.txt"
    path.write_text("Columns\n\n1. visits\n   integer\n   Web visits in the first week.\n\n2. stage\n   text\n   Where the deal stands now.\n")
    assert read_dictionary(path) == {"visits": "integer Web visits in the first week.", "stage": "text Where the deal stands now."}


@pytest.mark.parametrize(
    ("text", "suffix"),
    [
        ("| Field | Type | Description |\n|---|---|---|\n| visits | int | Web visits |\n| stage | text | Where the deal stands now |\n", ".md"),
        ("# Columns\n\n- **visits** (int): Web visits\n- **stage**: Where the deal stands now\n", ".md"),
        ("visits\n: Web visits\n\nstage\n: Where the deal stands now\n", ".md"),
        ("## visits\nWeb visits\n\n## stage\nWhere the deal stands now\n", ".md"),
        ("visits: Web visits\nstage: Where the deal stands now\n", ".txt"),
        ("- `visits` - Web visits\n- `stage` - Where the deal stands now\n", ".txt"),
        ("column,description\nvisits,Web visits\nstage,Where the deal stands now\n", ".csv"),
        ("visits\tWeb visits\nstage\tWhere the deal stands now\n", ".txt"),
    ],
    ids=["md-table", "md-bullets", "md-definition-list", "md-headings", "txt-colon", "txt-bullets", "csv", "txt-tsv"],
)
def test_every_layout_gives_the_same_entries(tmp_path: Path, text: str, suffix: str) -> None:
    path = tmp_path / f"dictionary{suffix}"
    path.write_text(text, encoding="utf-8")
    d = read_dictionary(path)
    assert d["stage"] == "Where the deal stands now"
    assert d["visits"] in ("Web visits", "(int): Web visits")


def test_a_names_file_beside_the_table_is_found_and_a_readme_without_columns_is_not(tmp_path: Path) -> None:
    (tmp_path / "bank-full.csv").write_text("age;y\n1;no\n")
    (tmp_path / "README.md").write_text("This folder holds the bank data. Enjoy.\n")
    assert find_dictionary(tmp_path / "bank-full.csv") is None
    (tmp_path / "bank-names.txt").write_text((DATA / "bank-names.txt").read_text(encoding="utf-8"), encoding="utf-8")
    assert find_dictionary(tmp_path / "bank-full.csv") == tmp_path / "bank-names.txt"


def test_a_text_dictionary_with_no_entries_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "dictionary.txt"
    path.write_text("Nothing here describes a column, only one long sentence of prose without any structure at all\n")
    with pytest.raises(DataError, match="no column names found"):
        read_dictionary(path)
