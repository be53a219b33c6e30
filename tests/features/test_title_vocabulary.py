"""The job-title vocabulary is a data file (propensity/data/job_titles.toml) read once, lazily; the
code keeps only the logic. Moving the rules out of the code changed no parse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from propensity.features._titles import parse_title

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
