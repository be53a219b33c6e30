"""A data dictionary: what each column of a lead table means, in the words of whoever made it.

The leakage guard reads it to find columns filled in by staff or recording the lead's latest state.
A dictionary is an Excel sheet (.xlsx) or a CSV/TSV with a column of names and a column of
descriptions; cells merged over several rows (one description for a group of columns) apply to
each row. Beside a table, a file with "dictionary" in its name is found without being told.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from propensity._errors import DataError, UsageError

__all__ = ["find_dictionary", "read_dictionary", "match_columns"]

_SUFFIXES = (".xlsx", ".csv", ".tsv", ".txt")
_NAME_HEAD = re.compile(r"^(variables?|columns?|fields?|names?|attributes?)$", re.I)
_TEXT_HEAD = re.compile(r"^(descriptions?|meaning|definitions?|notes?)$", re.I)


def find_dictionary(table: str | Path) -> Path | None:
    """A data dictionary beside `table`: a .xlsx/.csv/.tsv/.txt file with "dictionary" in its name."""
    folder = Path(table).expanduser().resolve().parent
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return None
    for entry in entries:
        if entry.is_file() and "dictionary" in entry.name.casefold() and entry.suffix.lower() in _SUFFIXES:
            return entry
    return None


def read_dictionary(path: str | Path) -> dict[str, str]:
    """{column name: description} from an .xlsx sheet or a delimited text file."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise UsageError(f"--dictionary: no such file: {file}")
    rows = _xlsx_rows(file) if file.suffix.lower() == ".xlsx" else _text_rows(file)
    rows = [[("" if c is None else str(c).strip()) for c in r] for r in rows]
    rows = [r for r in rows if any(r)]
    if not rows:
        raise DataError(file.name, None, "the data dictionary is empty")
    name_col, text_col, start = _layout(rows)
    out: dict[str, str] = {}
    for r in rows[start:]:
        name = r[name_col] if name_col < len(r) else ""
        text = r[text_col] if text_col < len(r) else ""
        if name:
            out[name] = text
    if not out:
        raise DataError(file.name, None, "no column names found in the data dictionary")
    return out


def _layout(rows: list[list[str]]) -> tuple[int, int, int]:
    """(name column, description column, first data row): a header row if there is one, else the
    first two columns that hold text."""
    for i, r in enumerate(rows[:20]):
        names = [j for j, c in enumerate(r) if _NAME_HEAD.match(c)]
        texts = [j for j, c in enumerate(r) if _TEXT_HEAD.match(c)]
        if names and texts:
            return names[0], texts[0], i + 1
    width = max(len(r) for r in rows)
    used = [j for j in range(width) if any(j < len(r) and r[j] for r in rows)]
    if len(used) < 2:
        raise DataError("data dictionary", None, "needs a column of names and a column of descriptions")
    return used[0], used[1], 0


def _xlsx_rows(file: Path) -> list[list[object]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(file, data_only=True)
    except Exception as error:  # openpyxl raises many types for a broken file
        raise DataError(file.name, None, "not a readable .xlsx file", example=str(error).splitlines()[0]) from None
    sheet = book.worksheets[0]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:  # one description for a group of columns
        value = sheet.cell(merged.min_row, merged.min_col).value
        for row in range(merged.min_row, merged.max_row + 1):
            for col in range(merged.min_col, merged.max_col + 1):
                r, c = row - 1, col - 1
                if r < len(cells) and c < len(cells[r]):
                    cells[r][c] = value
    return cells


def _text_rows(file: Path) -> list[list[object]]:
    from propensity._flat import decode_text, sniff_separator

    text, _ = decode_text(file.read_bytes())
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=sniff_separator(text))]


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", name.casefold()).strip()


def match_columns(dictionary: dict[str, str], columns: list[str]) -> dict[str, str]:
    """{table column: description}: names matched ignoring case and punctuation, else by a close
    spelling ("choosing a course" / "choosing this course")."""
    import difflib

    by_key = {_key(k): v for k, v in dictionary.items()}
    out: dict[str, str] = {}
    for column in columns:
        key = _key(column)
        if key in by_key:
            out[column] = by_key[key]
            continue
        close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.85)
        if close:
            out[column] = by_key[close[0]]
    return out
