"""A data dictionary: what each column of a lead table means, in the words of whoever made it.

The leakage guard reads it for columns filled in by staff, known only after the outcome or to be
left out of a realistic model. One entry point, `read_dictionary`, reads every format people write
them in, one module per family:

- a table (`_dict_tables`): Excel `.xlsx` (merged cells too), `.csv`/`.tsv`, a Markdown pipe table;
- a prose list (`_dict_lists`): the numbered "attribute information" of public datasets
  (``12 - duration: last contact duration ...`` over several lines), definition lists
  (``- **name**: text``, ``name: text``) and Markdown headings.

A `.txt` or `.md` file is read as whichever layout finds the most entries. Beside a table, a file
named like a dictionary ("dictionary", "codebook", "names", "description", "attributes", "columns",
"variables", "fields", a README) is found without being told, if it describes at least two columns.
"""

from __future__ import annotations

import re
from pathlib import Path

from propensity._errors import DataError, UsageError

__all__ = ["find_dictionary", "match_columns", "read_dictionary"]

_SUFFIXES = (".xlsx", ".csv", ".tsv", ".txt", ".md", ".markdown")
_NAMES = ("dictionary", "codebook", "names", "description", "attributes", "columns", "variables", "fields", "schema", "readme")


def find_dictionary(table: str | Path) -> Path | None:
    """A data dictionary beside `table` that describes at least two columns, best-named first."""
    path = Path(table).expanduser().resolve()
    try:
        entries = sorted(e for e in path.parent.iterdir() if e.is_file() and e != path and e.suffix.lower() in _SUFFIXES)
    except OSError:
        return None
    ranked = []
    for entry in entries:
        stem = entry.stem.casefold()
        rank = next((i for i, word in enumerate(_NAMES) if word in stem), None)
        if rank is not None:
            ranked.append((rank, entry.name, entry))
    for _, _, entry in sorted(ranked):
        try:
            if len(read_dictionary(entry)) >= 2:
                return entry
        except (DataError, UsageError, OSError, UnicodeError):
            continue  # a README that describes no column is not a dictionary
    return None


def read_dictionary(path: str | Path) -> dict[str, str]:
    """{column name: description} from any of the formats above."""
    from propensity.leakage._dict_lists import (
        definition_entries,
        heading_entries,
        numbered_entries,
    )
    from propensity.leakage._dict_tables import (
        delimited_rows,
        markdown_table_rows,
        rows_to_entries,
        xlsx_rows,
    )

    file = Path(path).expanduser()
    if not file.is_file():
        raise UsageError(f"--dictionary: no such file: {file}")
    suffix = file.suffix.lower()
    if suffix == ".xlsx":
        out = rows_to_entries(xlsx_rows(file), file.name)
    else:
        from propensity.flat._table import decode_text

        text, _ = decode_text(file.read_bytes())
        if not text.strip():
            raise DataError(file.name, None, "the data dictionary is empty")
        if suffix in (".csv", ".tsv"):
            out = rows_to_entries(delimited_rows(text), file.name)
        else:
            readings = [numbered_entries(text), definition_entries(text)]
            if suffix in (".md", ".markdown"):
                pipe = markdown_table_rows(text)
                readings += [_safe(lambda: rows_to_entries(pipe, file.name)) if pipe else {}, heading_entries(text)]
            else:
                readings.append(_safe(lambda: rows_to_entries(delimited_rows(text), file.name)) if _delimited(text) else {})
            out = max(readings, key=len)
    out = {k: v for k, v in out.items() if k}
    if not out:
        raise DataError(file.name, None, "no column names found in the data dictionary")
    return out


def _safe(read) -> dict[str, str]:  # type: ignore[no-untyped-def]
    try:
        return read()  # type: ignore[no-any-return]
    except DataError:
        return {}


def _delimited(text: str) -> bool:
    """Most lines split by the same separator into two fields or more: a CSV written as .txt."""
    from propensity.flat._table import sniff_separator

    lines = [line for line in text.splitlines()[:50] if line.strip()]
    sep = sniff_separator(text)
    return len(lines) >= 2 and sum(line.count(sep) >= 1 for line in lines) >= 0.8 * len(lines)


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
