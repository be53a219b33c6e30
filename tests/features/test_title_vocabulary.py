"""The job-title vocabulary is a data file (propensity/data/job_titles.toml) read once, lazily; the
code keeps only the logic. Moving the rules out of the code changed no parse."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from propensity.features._titles import (
    DEPARTMENTS,
    SENIORITIES,
    VOCABULARY,
    TitleVocabularyError,
    parse_title,
    title_rules,
)

GOLDEN = Path(__file__).parent / "data" / "parsed_titles.jsonl"


def _golden() -> list[dict[str, str]]:
    return [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line]


def test_every_recorded_title_parses_as_before_the_rules_became_data() -> None:
    # recorded with the rules still in the code: every distinct title of two generated exports
    # (20,000 contacts seed 0, 3,000 seed 7), the title table of test_titles, tricky titles in nine
    # languages and scripts, placeholders, cut titles, segment mixes and upper-cased copies
    rows = _golden()
    assert len(rows) > 4000
    changed = [(r["title"], (r["seniority"], r["department"]), parse_title(r["title"])) for r in rows
               if parse_title(r["title"]) != (r["seniority"], r["department"])]
    assert changed == []
    assert len({r["seniority"] for r in rows}) == 9 and len({r["department"] for r in rows}) == 15


def test_the_compiled_rules_come_from_the_shipped_file_with_every_label_of_the_vocabularies() -> None:
    rules = title_rules()
    assert rules.source == "propensity/data/job_titles.toml"
    assert {label for label, _ in rules.seniority} == set(SENIORITIES) - {"unknown"}
    assert {label for label, _ in rules.department} == set(DEPARTMENTS) - {"other", "unknown"}
    assert rules.abbreviations["ceo"] == "chief executive officer" and dict(rules.department_by_seniority) == {
        "c_level": "executive", "student": "education"}
    # "@top_roles" spliced its fragments (president, founder, owner) into both rules that name it
    first_department = rules.department[0]
    assert first_department[0] == "executive" and first_department[1].search("co founder and chief technology officer")


def test_the_vocabulary_is_read_the_first_time_a_title_is_parsed_not_at_import() -> None:
    code = (
        "import propensity.features._titles as t; a = t.title_rules.cache_info().currsize; "
        "t.parse_title('VP Sales'); print(a, t.title_rules.cache_info().currsize)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2])
    assert done.stdout.split() == ["0", "1"]


def test_every_shipped_data_file_is_package_data_of_a_non_editable_install() -> None:
    root = Path(__file__).parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]["propensity"]
    shipped = sorted(p.relative_to(root / "propensity").as_posix() for p in (root / "propensity" / "data").iterdir())
    assert "data/job_titles.toml" in shipped
    assert [f for f in shipped if not any(fnmatch.fnmatch(f, pat) for pat in patterns)] == []


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "titles.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _shipped() -> str:
    return files("propensity").joinpath(VOCABULARY).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda s: s.replace("[abbreviations]", "[abbreviations", 1), "not valid TOML"),
        (lambda s: s.replace('label = "head"', 'label = "boss"', 1), "seniority rule 6 (boss), label: not a seniority label"),
        (lambda s: s.replace(r"'\bdesign\w*'", r"'\bdesign(\w*'", 1), "department rule 19 (product), match, pattern 1: not a regular expression"),
        (lambda s: s.replace('"@founder"', '"@founders"', 1), "fragments.top_roles, pattern 3: no fragment named 'founders'"),
        (lambda s: s.replace("{rank_words}", "{rank_word}", 1), "seniority rule 2 (individual), match, pattern 2: {rank_word} is not a fragment"),
        (lambda s: s.replace("[department_by_seniority]", "[department_for_seniority]", 1), "department_for_seniority: unknown key"),
        (lambda s: s.replace('label = "data"\nmatch', 'label = "data"\nmatches', 1), "department rule 10 (data), matches: every rule has exactly"),
        (lambda s: s.replace('c_level = "executive"', 'c_level = "board"', 1), "department_by_seniority.c_level"),
    ],
)
def test_a_malformed_vocabulary_file_is_one_clear_line_naming_file_and_key(tmp_path: Path, edit, says: str) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, edit(_shipped()))
    with pytest.raises(TitleVocabularyError) as info:
        title_rules(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and says in message and "\n" not in message
    assert info.value.exit_code == 2  # a PropensityError: the CLI prints the one line, no traceback


def test_the_shipped_file_copied_as_is_compiles_to_the_same_rules(tmp_path: Path) -> None:
    copy = title_rules(_write(tmp_path, _shipped()))
    shipped = title_rules()
    assert [(a, p.pattern) for a, p in copy.seniority] == [(a, p.pattern) for a, p in shipped.seniority]
    assert [(a, p.pattern) for a, p in copy.department] == [(a, p.pattern) for a, p in shipped.department]
