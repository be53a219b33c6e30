"""Parse a free-text ``job_title`` into a seniority level and a department.

Titles in a CRM are typed by people: "Sr. Director - Marketing", "V.P. Sales | Acme", "🚀 Founder",
"Geschäftsführer", "Gerente de Vendas". :func:`parse_title` turns one of them into a pair of labels
from two closed vocabularies, :data:`SENIORITIES` and :data:`DEPARTMENTS`, with ordered
word-boundary rules: the first rule that matches wins, so the most specific rules come first.

The rules, the abbreviations and the placeholders are data: ``propensity/data/job_titles.toml``,
shipped with the package and commented rule by rule (docs/getting-started.md, "Job titles", points
teams to it). :func:`title_rules` reads and checks it once, the first time a title is parsed; this module
keeps the logic.

How a title is read
-------------------
1. ``None``, empty and whitespace-only titles, and placeholders ("n/a", "-", "none", "unknown",
   "Select", ...) are ``("unknown", "unknown")``. So is a title with no letters ("🚀🚀", "123").
2. The title is stripped and cut to :data:`MAX_TITLE_CHARS` characters, so a 10,000-character
   string costs no more than a short one.
3. It is split into segments (at ``|``, ``@``, ``•``, ``·``, ``//`` and the words " at ",
   " chez ", " bei "): "VP Sales | Acme Corp" and "Head of Data @ Acme" drop the company. The first
   segment with a recognised word is used (so "Acme Corp | CEO" still finds the CEO); if none has
   one, the first non-empty segment decides.
4. The segment is NFKC-normalised, case-folded, Latin accents are removed ("Geschäftsführer" ->
   "geschaftsfuhrer", "Diretor" stays), other scripts are kept, "V.P." becomes "vp", "&" becomes
   "and" and every other punctuation mark or emoji becomes a space; then the abbreviations are
   expanded (CEO -> "chief executive officer", Sr -> senior, Mktg -> marketing, ...).
5. The seniority is the label of the first seniority rule that matches, else ``individual``; the
   department the label of the first department rule that matches, else the department the file
   gives the seniority (``executive`` for ``c_level``, ``education`` for ``student``), else ``other``.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import polars as pl

from propensity._errors import PropensityError

__all__ = [
    "DEPARTMENTS",
    "MAX_TITLE_CHARS",
    "SENIORITIES",
    "SENIORITY_RANK",
    "TitleRules",
    "TitleVocabularyError",
    "VOCABULARY",
    "parse_title",
    "parse_titles",
    "title_rules",
]

SENIORITIES: tuple[str, ...] = (
    "c_level",
    "vp",
    "director",
    "head",
    "manager",
    "senior",
    "individual",
    "student",
    "unknown",
)
"""Every seniority :func:`parse_title` can return, most senior first."""

SENIORITY_RANK: dict[str, int] = {
    "c_level": 6,
    "vp": 5,
    "director": 4,
    "head": 4,
    "manager": 3,
    "senior": 2,
    "individual": 1,
    "student": 0,
    "unknown": -1,
}
"""An ordinal for each seniority: higher is more senior. ``director`` and ``head`` share rank 4;
``unknown`` is -1 so a model can tell "no title" apart from the most junior title."""

DEPARTMENTS: tuple[str, ...] = (
    "executive",
    "marketing",
    "sales",
    "it",
    "engineering",
    "product",
    "data",
    "finance",
    "operations",
    "hr",
    "legal",
    "customer_success",
    "education",
    "other",
    "unknown",
)
"""Every department :func:`parse_title` can return. ``other`` is a real title with no recognised
function ("Nurse"); ``unknown`` means there was no usable title at all."""

MAX_TITLE_CHARS: int = 200
"""Titles are cut to this many characters (after stripping) before any matching."""

_UNKNOWN: tuple[str, str] = ("unknown", "unknown")

VOCABULARY: str = "data/job_titles.toml"
"""The shipped job-title vocabulary, relative to the ``propensity`` package."""

# The mechanics of normalising (not vocabulary): compiled with the rules, once.
_DOTTED_LETTER = r"(?<=\b[a-z])\.(?=[a-z]\b)"  # "v.p." -> "vp.", "c.e.o" -> "ceo"
_NON_WORD = r"[\W_]+"
_HAS_LETTER = r"[^\W\d_]"
_REFERENCE = r"@([a-z_]+)"  # "@name": the alternatives of a fragment
_PLACEHOLDER_NAME = r"\{([a-z_]+)\}"  # {name} inside a pattern: the text of a one-pattern fragment


@dataclass(frozen=True)
class TitleRules:
    """The job-title vocabulary of :data:`VOCABULARY`, compiled: what :func:`parse_title` applies."""

    source: str
    latin_letters: Mapping[str, str]
    segment_split: re.Pattern[str]
    placeholder: re.Pattern[str]
    abbreviations: Mapping[str, str]
    abbreviation: re.Pattern[str]
    seniority: tuple[tuple[str, re.Pattern[str]], ...]
    department: tuple[tuple[str, re.Pattern[str]], ...]
    department_by_seniority: Mapping[str, str]
    dotted_letter: re.Pattern[str] = field(default_factory=lambda: re.compile(_DOTTED_LETTER))
    non_word: re.Pattern[str] = field(default_factory=lambda: re.compile(_NON_WORD))
    has_letter: re.Pattern[str] = field(default_factory=lambda: re.compile(_HAS_LETTER))


class TitleVocabularyError(PropensityError):
    """The job-title vocabulary file cannot be read: the message names the file, the key and the bad value."""

    def __init__(self, source: str, key: str, problem: str, example: object = None) -> None:
        text = f"{source}: {key}: {problem}"
        if example is not None:
            shown = repr(example)
            text += f" (example: {shown[:77] + '...' if len(shown) > 80 else shown})"
        super().__init__(text)


@functools.cache
def title_rules(path: str | Path | None = None) -> TitleRules:
    """The job-title rules, read and checked once: the shipped :data:`VOCABULARY`, or the file `path`.

    Raises:
        TitleVocabularyError: the file is not TOML, lacks a key, has a key it does not know, a label
            outside :data:`SENIORITIES` / :data:`DEPARTMENTS`, an unknown ``@fragment`` or a pattern
            that is not a regular expression.
    """
    if path is None:
        source = f"propensity/{VOCABULARY}"
        text = files("propensity").joinpath(VOCABULARY).read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TitleVocabularyError(source, "file", f"cannot be read ({exc.__class__.__name__})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TitleVocabularyError(source, "file", f"not valid TOML ({exc})") from None
    return _compile(data, source)


def _table(data: Mapping[str, Any], key: str, source: str, keys: set[str] | None = None) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise TitleVocabularyError(source, key, "missing, or not a table" if value is None else "must be a table", value)
    odd = sorted(set(value) - keys) if keys is not None else []
    if odd:
        raise TitleVocabularyError(source, f"{key}.{odd[0]}", f"unknown key (expected one of {', '.join(sorted(keys or ()))})")
    return value


def _strings(value: Any, key: str, source: str) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise TitleVocabularyError(source, key, "must be a non-empty table of words", value)
    bad = next(((k, v) for k, v in value.items() if not isinstance(v, str) or not v), None)
    if bad is not None:
        raise TitleVocabularyError(source, f"{key}.{bad[0]}", "must be a non-empty string", bad[1])
    return dict(value)


def _regex(pattern: str, key: str, source: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise TitleVocabularyError(source, key, f"not a regular expression ({exc})", pattern) from None


class _Fragments:
    """The [fragments] table: "@name" splices a fragment's alternatives, {name} a one-pattern fragment's text."""

    def __init__(self, table: Mapping[str, Any], source: str) -> None:
        self.table, self.source = table, source

    def text(self, pattern: str, key: str) -> str:
        def one(m: re.Match[str]) -> str:
            value = self.table.get(m.group(1))
            if not isinstance(value, str):
                raise TitleVocabularyError(self.source, key, f"{{{m.group(1)}}} is not a fragment holding one pattern", pattern)
            return value

        return re.sub(_PLACEHOLDER_NAME, one, pattern)

    def alternatives(self, value: Any, key: str, seen: tuple[str, ...] = ()) -> list[str]:
        items = value if isinstance(value, list) else [value]
        if not items:
            raise TitleVocabularyError(self.source, key, "must list at least one pattern", value)
        out: list[str] = []
        for i, item in enumerate(items):
            where = f"{key}, pattern {i + 1}" if isinstance(value, list) else key
            ref = re.fullmatch(_REFERENCE, item) if isinstance(item, str) else None
            if ref is not None:
                name = ref.group(1)
                if name not in self.table:
                    raise TitleVocabularyError(self.source, where, f"no fragment named {name!r} in [fragments]", item)
                if name in seen:
                    raise TitleVocabularyError(self.source, where, "a fragment that refers back to itself", " -> ".join((*seen, name)))
                out += self.alternatives(self.table[name], f"fragments.{name}", (*seen, name))
            elif isinstance(item, str) and item:
                out.append(self.text(item, where))
            elif isinstance(item, dict) and set(item) == {"not_after", "pattern"} and isinstance(item["pattern"], str) \
                    and isinstance(item["not_after"], list) and all(isinstance(w, str) and w for w in item["not_after"]):
                # Python's look-behinds are fixed-width: one per word
                out.append("".join(f"(?<!{w} )" for w in item["not_after"]) + self.text(item["pattern"], where))
            else:
                raise TitleVocabularyError(
                    self.source, where, 'must be a pattern, "@fragment" or { not_after = [words], pattern = \'...\' }', item
                )
        return out

    def rule(self, value: Any, key: str) -> re.Pattern[str]:
        """One pattern of a rule's alternatives, each carrying its own boundaries."""
        alternatives = self.alternatives(value, key)
        for i, alt in enumerate(alternatives):
            _regex(alt, f"{key}, pattern {i + 1}" if isinstance(value, list) else key, self.source)
        return _regex("|".join(f"(?:{alt})" for alt in alternatives), key, self.source)


def _rules(data: Mapping[str, Any], key: str, labels: tuple[str, ...], fragments: _Fragments, source: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    rows = data.get(key)
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise TitleVocabularyError(source, key, f"missing: a list of [[{key}]] rules, each with a label and a match list", rows)
    out = []
    allowed = [x for x in labels if x != "unknown"]
    for i, row in enumerate(rows):
        where = f"{key} rule {i + 1}" + (f" ({row['label']})" if isinstance(row.get("label"), str) else "")
        if set(row) != {"label", "match"}:
            odd = sorted(set(row) - {"label", "match"}) or sorted({"label", "match"} - set(row))
            raise TitleVocabularyError(source, f"{where}, {odd[0]}", "every rule has exactly a label and a match list")
        if row["label"] not in allowed:
            raise TitleVocabularyError(source, f"{where}, label", f"not a {key} label (one of {', '.join(allowed)})", row["label"])
        out.append((row["label"], fragments.rule(row["match"], f"{where}, match")))
    return tuple(out)


def _compile(data: Mapping[str, Any], source: str) -> TitleRules:
    odd = sorted(set(data) - {"normalise", "abbreviations", "fragments", "seniority", "department", "department_by_seniority"})
    if odd:
        raise TitleVocabularyError(source, odd[0], "unknown key")
    norm = _table(data, "normalise", source, {"latin_letters", "segment_split", "placeholder"})
    for key in ("segment_split", "placeholder"):
        if not isinstance(norm.get(key), str):
            raise TitleVocabularyError(source, f"normalise.{key}", "missing, or not a pattern", norm.get(key))
    abbreviations = _strings(data.get("abbreviations"), "abbreviations", source)
    fragments = _Fragments(_table(data, "fragments", source), source)
    by_seniority = _strings(data.get("department_by_seniority"), "department_by_seniority", source)
    for seniority, department in by_seniority.items():
        if seniority not in SENIORITIES or department not in DEPARTMENTS:
            raise TitleVocabularyError(source, f"department_by_seniority.{seniority}", "a seniority and a department of the vocabularies", department)
    return TitleRules(
        source=source,
        latin_letters=_strings(norm.get("latin_letters"), "normalise.latin_letters", source),
        segment_split=_regex(norm["segment_split"], "normalise.segment_split", source, re.IGNORECASE),
        placeholder=_regex(norm["placeholder"], "normalise.placeholder", source),
        abbreviations=abbreviations,
        # the longest first, so "biz dev" wins over "dev"
        abbreviation=_regex(
            r"\b(?:" + "|".join(re.escape(k) for k in sorted(abbreviations, key=len, reverse=True)) + r")\b", "abbreviations", source
        ),
        seniority=_rules(data, "seniority", SENIORITIES, fragments, source),
        department=_rules(data, "department", DEPARTMENTS, fragments, source),
        department_by_seniority=by_seniority,
    )


# --------------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """Strip accents from a Latin letter; leave other scripts and symbols untouched."""
    special = title_rules().latin_letters.get(char)
    if special is not None:
        return special
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and base.isascii() else char


def _normalize(segment: str, rules: TitleRules) -> str:
    """Lower-case, accent-free, punctuation-free, abbreviation-expanded text, single-spaced."""
    text = unicodedata.normalize("NFKC", segment).casefold()
    if not text.isascii():
        text = "".join(c if c.isascii() else _fold_char(c) for c in text)
    text = rules.dotted_letter.sub("", text)
    text = text.replace("&", " and ")
    text = " ".join(rules.non_word.sub(" ", text).split())
    return rules.abbreviation.sub(lambda m: rules.abbreviations[m.group(0)], text)

# --------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------


def _parse_segment(segment: str, rules: TitleRules) -> tuple[str, str, bool]:
    """Seniority, department, and whether any rule matched, for one normalised segment."""
    if not segment or not rules.has_letter.search(segment) or rules.placeholder.match(segment):
        return "unknown", "unknown", False
    seniority = next((label for label, rule in rules.seniority if rule.search(segment)), None)
    department = next((label for label, rule in rules.department if rule.search(segment)), None)
    matched = seniority is not None or department is not None
    if seniority is None:
        seniority = "individual"
    if department is None:
        department = rules.department_by_seniority.get(seniority, "other")
    return seniority, department, matched


def parse_title(title: str | None) -> tuple[str, str]:
    """Read a free-text job title as ``(seniority, department)``.

    ``seniority`` is one of :data:`SENIORITIES` and ``department`` one of :data:`DEPARTMENTS`. The
    rules, their order and the deliberate choices are in :data:`VOCABULARY`, commented.

    >>> parse_title("Sr. Director - Marketing")
    ('director', 'marketing')
    >>> parse_title("Assistant to the VP of Sales")
    ('individual', 'sales')
    >>> parse_title("  ")
    ('unknown', 'unknown')

    Raises:
        TypeError: ``title`` is neither a ``str`` nor ``None``.
    """
    if title is None:
        return _UNKNOWN
    if not isinstance(title, str):
        raise TypeError(
            f"parse_title expects a str or None, got {type(title).__name__}: {title!r}"
        )
    return _parse_text(title.strip()[:MAX_TITLE_CHARS])


@functools.lru_cache(maxsize=1 << 17)
def _parse_text(text: str) -> tuple[str, str]:
    """`parse_title` of a stripped title, remembered (fit, transform and every scoring chunk see the same titles)."""
    rules = title_rules()
    fallback: tuple[str, str] | None = None
    for raw_segment in rules.segment_split.split(text):
        seniority, department, matched = _parse_segment(_normalize(raw_segment, rules), rules)
        if matched:
            return seniority, department
        if fallback is None and seniority != "unknown":
            fallback = (seniority, department)
    return fallback if fallback is not None else _UNKNOWN


def parse_titles(titles: pl.Series) -> pl.DataFrame:
    """Parse a column of job titles; each distinct title is parsed once.

    Returns a frame with the String columns ``title_seniority`` and ``title_department``, one row
    per element of ``titles``, in the same order. Nulls parse as ``("unknown", "unknown")``.

    Raises:
        TypeError: ``titles`` is not a polars Series of strings (String, Categorical, Enum or
            all-null).
    """
    if not isinstance(titles, pl.Series):
        raise TypeError(f"parse_titles expects a polars Series, got {type(titles).__name__}")
    if titles.dtype in (pl.Null, pl.Categorical) or isinstance(titles.dtype, pl.Enum):
        titles = titles.cast(pl.String)
    if titles.dtype != pl.String:
        raise TypeError(
            f"parse_titles expects a String series, got dtype {titles.dtype} "
            f"for series {titles.name!r}"
        )
    distinct = titles.unique()
    parsed = [parse_title(title) for title in distinct.to_list()]
    lookup = pl.DataFrame(
        {
            "_title": distinct,
            "title_seniority": [seniority for seniority, _ in parsed],
            "title_department": [department for _, department in parsed],
        },
        schema={"_title": pl.String, "title_seniority": pl.String, "title_department": pl.String},
    )
    return (
        titles.rename("_title")
        .to_frame()
        .join(lookup, on="_title", how="left", nulls_equal=True, maintain_order="left")
        .select("title_seniority", "title_department")
    )
