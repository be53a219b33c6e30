"""Data dictionaries written as prose lists: numbered attribute lists, definition lists, headings.

Public datasets often document their columns as "attribute information" in a plain-text file:

    12 - duration: last contact duration, in seconds (numeric). Important note: this attribute
         highly affects the output target ...

a numbered list whose entries give a name, maybe a type in parentheses, and a description that
runs over several indented lines. Markdown and text files also use definition lists
(``- **name**: description``, ``name: description``, ``name`` then ``: description``) and headings
(``### name`` then a paragraph). Each reader returns {name: description}; names that are not
columns of the table are dropped later by `match_columns`.
"""

from __future__ import annotations

import re

__all__ = ["definition_entries", "heading_entries", "numbered_entries"]

_NUMBERED = re.compile(r"^(\s*)(?:#\s*)?\(?(\d{1,3})\s*(?:[-.):]|\s[-\u2013\u2014])\s*(\S.*)$")
_BULLET = re.compile(r"^(\s*)[-*+\u2022]\s+(\S.*)$")
_SPLIT = re.compile(r"\s+\(|:\s|:$|\s[-\u2013\u2014=]\s")
_TERM = re.compile(r"^[\w][\w .'/&()#%-]{0,60}$")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$")
_MAX_NAME_WORDS = 8


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _clean_name(name: str) -> str:
    return name.strip().strip("*`_\"' ").strip()


def _split_entry(rest: str) -> tuple[str, str] | None:
    """(name, description) from "name (type): text", "name: text", "name - text" or a bare name."""
    rest = rest.strip()
    bold = re.match(r"^(\*\*|__|`)(.+?)\1\s*(.*)$", rest)
    if bold:
        name, text = bold.group(2), bold.group(3).lstrip(":-\u2013\u2014= ").strip()
    else:
        m = _SPLIT.search(rest)
        if m:
            name, text = rest[: m.start()], rest[m.start() :].lstrip(":-\u2013\u2014= ").strip()
        else:
            name, text = rest, ""
    name = _clean_name(name)
    if not name or len(name.split()) > _MAX_NAME_WORDS or not _TERM.match(name):
        return None
    return name, text


def _heading_like(line: str) -> bool:
    s = line.strip()
    return s.startswith("#") or (s.endswith(":") and len(s.split()) <= 4) or bool(_HEADING.match(s))


def numbered_entries(text: str) -> dict[str, str]:
    """Entries of numbered lists: "1 - age (numeric)", "12. duration: ...", continuation lines appended."""
    return _list_entries(text, _NUMBERED, group=3)


def definition_entries(text: str) -> dict[str, str]:
    """Bulleted "- name: text" entries, "name: text" lines, and "name" followed by ": text"."""
    out = _list_entries(text, _BULLET, group=2, need_text=True)
    lines = text.splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        if i + 1 < len(lines) and lines[i + 1].lstrip().startswith(": ") and _TERM.match(_clean_name(s) or "-"):
            out.setdefault(_clean_name(s), lines[i + 1].strip()[2:].strip())  # Markdown definition list
            continue
        if _indent(line) == 0 and ":" in s and not _BULLET.match(line) and not _NUMBERED.match(line):
            name, _, rest = s.partition(":")
            name = _clean_name(name)
            if rest.strip() and len(name.split()) <= _MAX_NAME_WORDS and _TERM.match(name or "-"):
                out.setdefault(name, " ".join([rest.strip(), *_continuation(lines, i + 1, 0)]))
    return out


def heading_entries(text: str) -> dict[str, str]:
    """"### name" headings, each followed by its paragraph."""
    out: dict[str, str] = {}
    name: str | None = None
    body: list[str] = []
    for line in [*text.splitlines(), "# end"]:
        m = _HEADING.match(line.strip())
        if m:
            if name and body:
                out[name] = " ".join(body)
            candidate = _clean_name(m.group(1))
            name = candidate if len(candidate.split()) <= _MAX_NAME_WORDS else None
            body = []
        elif name and line.strip():
            body.append(line.strip())
    return out


def _continuation(lines: list[str], i: int, indent: int) -> list[str]:
    out = []
    while i < len(lines) and lines[i].strip() and _indent(lines[i]) > indent and not _heading_like(lines[i]):
        out.append(lines[i].strip())
        i += 1
    return out


def _list_entries(text: str, start: re.Pattern[str], *, group: int, need_text: bool = False) -> dict[str, str]:
    out: dict[str, str] = {}
    name: str | None = None
    parts: list[str] = []
    indent = 0
    blank = False

    def close() -> None:
        if name is not None and (any(parts) or not need_text):
            out.setdefault(name, " ".join(p for p in parts if p))

    for line in text.splitlines():
        if not line.strip():
            blank = True
            continue
        m = start.match(line)
        if m:
            close()
            entry = _split_entry(m.group(group))
            name, parts, indent, blank = (entry[0], [entry[1]], _indent(line), False) if entry else (None, [], 0, False)
            continue
        if name is None:
            continue
        if _heading_like(line) or (blank and _indent(line) <= indent) or _indent(line) < indent:
            close()
            name, parts = None, []
            continue
        parts.append(line.strip())
        blank = False
    close()
    return {k: v for k, v in out.items() if k}
