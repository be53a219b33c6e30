"""Data dictionaries: read from Excel (merged cells too) or CSV, matched to columns, and read by
the leakage guard for columns filled in by staff or recording the latest state."""

from __future__ import annotations

from pathlib import Path

import pytest

from propensity._errors import UsageError
from propensity.leakage._dictionary import (
    find_dictionary,
    match_columns,
    read_dictionary,
)
from propensity.leakage._guard import after_the_fact


def write_xlsx(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B3"], sheet["C3"] = "Variables", "Description"
    rows = [
        ("Lead Source", "Where the lead came from."),
        ("Lead Status", "Tags assigned to customers indicating the current status of the lead."),
        ("Rep Opinion", "Judged by the employee who has been assigned to the lead."),
        ("Activity Score", "An index and score assigned to each customer based on their activity"),
        ("Profile Score", None),  # shares the merged description above
        ("What matters most to you in choosing this course", "An option selected by the customer."),
    ]
    for i, (name, text) in enumerate(rows, start=4):
        sheet.cell(i, 2, name)
        sheet.cell(i, 3, text)
    sheet.merge_cells("C7:C8")
    book.save(path)
    return path


def test_excel_dictionary_reads_names_and_merged_descriptions(tmp_path: Path) -> None:
    d = read_dictionary(write_xlsx(tmp_path / "Leads Data Dictionary.xlsx"))
    assert d["Lead Source"] == "Where the lead came from."
    assert d["Profile Score"] == d["Activity Score"]
    assert len(d) == 6


def test_dictionary_beside_the_table_is_found_without_being_told(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "Leads Data Dictionary.xlsx")
    (tmp_path / "leads.csv").write_text("id,converted\n")
    assert find_dictionary(tmp_path / "leads.csv") == tmp_path / "Leads Data Dictionary.xlsx"
    (tmp_path / "Leads Data Dictionary.xlsx").unlink()
    assert find_dictionary(tmp_path / "leads.csv") is None


def test_csv_dictionary_without_header_uses_first_two_text_columns(tmp_path: Path) -> None:
    path = tmp_path / "dictionary.csv"
    path.write_text('status;"Filled in by the sales rep after the call"\nvisits;Web visits\n', encoding="utf-8")
    assert read_dictionary(path) == {"status": "Filled in by the sales rep after the call", "visits": "Web visits"}


def test_columns_match_dictionary_names_ignoring_case_and_close_spellings() -> None:
    d = {"What matters most to you in choosing this course": "why", "a free copy of Mastering The Interview": "copy"}
    got = match_columns(d, ["What matters most to you in choosing a course", "A free copy of Mastering The Interview", "City"])
    assert got == {"What matters most to you in choosing a course": "why", "A free copy of Mastering The Interview": "copy"}


def test_missing_dictionary_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--dictionary: no such file"):
        read_dictionary(tmp_path / "nope.xlsx")


@pytest.mark.parametrize(
    ("column", "description", "why"),
    [
        ("Tags", "Tags assigned to customers indicating the current status of the lead.", "latest status"),
        ("Lead Quality", "Based on the data and intuition of the employee who has been assigned to the lead.", "filled in by staff"),
        ("Lead Profile", "A lead level assigned to each customer based on their profile.", "assigned by the company"),
        ("Notes", "Updated by the account manager after the call.", "after the fact"),
        ("Deal Stage", None, "name says"),
        ("Lead Score", "", "name says"),
    ],
)
def test_guard_marks_columns_filled_in_after_the_fact(column: str, description: str | None, why: str) -> None:
    marked = after_the_fact([column], {column: description} if description is not None else None)
    assert why in marked[column]


@pytest.mark.parametrize(
    ("column", "description"),
    [
        ("Total Time Spent on Website", "The total time spent by the customer on the website."),
        ("Last Activity", "Last activity performed by the customer. Includes Email Opened, Olark Chat Conversation, etc."),
        ("Do Not Email", "An indicator variable selected by the customer wherein they select whether of not they want to be emailed."),
    ],
)
def test_guard_leaves_customer_supplied_columns_alone(column: str, description: str) -> None:
    assert after_the_fact([column], {column: description}) == {}
