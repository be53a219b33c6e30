"""Data dictionaries laid out as a table: an Excel sheet, a CSV/TSV file, a Markdown pipe table.

One column holds names, another descriptions; a header row ("Variable", "Description") says which,
else the first column with text holds the names and the one with the longest texts the descriptions.
Cells merged over several rows (one description for a group of columns) apply to each row.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from propensity._errors import DataError

__all__ = ["delimited_rows", "markdown_table_rows", "rows_to_entries", "xlsx_rows"]

_NAME_HEAD = re.compile(r"^(variables?|columns?|fields?|names?|attributes?|features?)( names?)?$", re.I)
_TEXT_HEAD = re.compile(r"^(descriptions?|meaning|definitions?|notes?|details?|explanation|comments?)$", re.I)
_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")


def rows_to_entries(rows: list[list[object]], name: str) -> dict[str, str]:
    """{column name: description} from rows of cells."""
    cells = [[("" if c is None else str(c).strip()) for c in r] for r in rows]
    cells = [r for r in cells if any(r)]
    if not cells:
        raise DataError(name, None, "the data dictionary is empty")
    name_col, text_col, start = _layout(cells, name)
    out: dict[str, str] = {}
    for r in cells[start:]:
        key = r[name_col] if name_col < len(r) else ""
        if key:
            out[key.strip("*`_ ")] = r[text_col] if text_col < len(r) else ""
    return out


def _layout(rows: list[list[str]], name: str) -> tuple[int, int, int]:
    """(name column, description column, first data row)."""
    for i, r in enumerate(rows[:20]):
        names = [j for j, c in enumerate(r) if _NAME_HEAD.match(c)]
        texts = [j for j, c in enumerate(r) if _TEXT_HEAD.match(c)]
        if names and texts:
            return names[0], texts[0], i + 1
    width = max(len(r) for r in rows)
    used = [j for j in range(width) if any(j < len(r) and r[j] for r in rows)]
    if len(used) < 2:
        raise DataError(name, None, "the data dictionary needs a column of names and a column of descriptions")
    longest = max(used[1:], key=lambda j: sum(len(r[j]) for r in rows if j < len(r)))
    return used[0], longest, 0


def xlsx_rows(file: Path) -> list[list[object]]:
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


def delimited_rows(text: str) -> list[list[object]]:
    from propensity.flat._table import sniff_separator

    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=sniff_separator(text))]


def markdown_table_rows(text: str) -> list[list[object]]:
    """The rows of every pipe table in a Markdown text (rule lines left out)."""
    rows: list[list[object]] = []
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith("|") or _RULE.match(s):
            continue
        cells = re.split(r"(?<!\\)\|", s.strip("|"))
        rows.append([c.replace("\\|", "|").strip() for c in cells])
    return rows
