"""Configuration: defaults written once, files that mirror them, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from propensity._config import Config, LabelConfig, load_config
from propensity._errors import UsageError

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_config_files_equal_the_builtin_defaults() -> None:
    assert load_config(ROOT / "features" / "default.toml", ROOT / "training" / "default.toml") == Config()


def test_label_definition_is_configuration(tmp_path: Path) -> None:
    cfg = tmp_path / "sales.toml"
    cfg.write_text('[label]\npositive_outcomes = ["sql", "opportunity"]\nhorizon_days = 60\n')
    assert load_config(cfg).label == LabelConfig(("sql", "opportunity"), 60)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[label]\nhorizn_days = 3\n", r"\[label\]: unknown setting 'horizn_days'"),
        ("[label]\nhorizon_days = 0\n", r"label.horizon_days must be > 0, got 0"),
        ("[label]\npositive_outcomes = 'opportunity'\n", r"'positive_outcomes' must be a list"),
        ("[labels]\n", r"unknown section 'labels'"),
        ("[grades]\na = 0.5\nb = 0.3\nc = 0.3\n", r"grades a, b, c must be positive and sum below 1"),
        ("[label\n", r"not valid TOML"),
        ("[model]\nnum_leaves = 'many'\n", r"'num_leaves' must be a number, got 'many'"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, match: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    with pytest.raises(UsageError, match=match):
        load_config(cfg)


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope.toml: config file not found"):
        load_config(tmp_path / "nope.toml")
