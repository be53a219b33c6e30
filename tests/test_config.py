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
        ("[label]\nhorizon_days = 0\n", r"label.horizon_days must be > 0, got 0$"),
        ("[label]\nhorizon_days = 90.5\n", r"label.horizon_days must be a whole number, got 90.5$"),
        ("[label]\nhorizon_days = true\n", r"label.horizon_days must be a whole number, got True$"),
        ("[label]\npositive_outcomes = 'opportunity'\n", r"label.positive_outcomes must be a list, got 'opportunity'$"),
        ("[label]\npositive_outcomes = [1, 2]\n", r"label.positive_outcomes\[0\] must be text, got 1$"),
        ("[label]\npositive_outcomes = []\n", r"label.positive_outcomes must be a non-empty list, got \[\]$"),
        ("[labels]\n", r"unknown section 'labels'"),
        ("[grades]\na = 0.5\nb = 0.3\nc = 0.3\n", r"bad.toml: grades a, b, c must be positive and sum below 1"),
        ("[grades]\na = -0.1\n", r"grades.a must be > 0 and <= 1, got -0.1$"),
        ("[label\n", r"not valid TOML"),
        ("[model]\nnum_leaves = 'many'\n", r"model.num_leaves must be a whole number, got 'many'$"),
        ("[model]\nlearning_rate = nan\n", r"model.learning_rate must be a finite number, got nan$"),
        ("[model]\nnum_threads = -2\n", r"model.num_threads must be >= 0, got -2$"),
        ("[points]\nwindow_days = \"abc\"\n", r"points.window_days must be a whole number, got 'abc'$"),
        ("[points.size_bonus]\nlots = 5\n", r"points.size_bonus\['lots'\] must be a number, got 'lots'$"),
        ("[points.events]\nweb_visit = 'high'\n", r"points.events\['web_visit'\] must be a number, got 'high'$"),
        ("[features]\nwindows_days = [\"7\", 30]\n", r"features.windows_days\[0\] must be a whole number, got '7'$"),
        ("[features]\nwindows_days = [7, 0]\n", r"features.windows_days\[1\] must be > 0, got 0$"),
        ("[features]\noutcome_history = 1\n", r"features.outcome_history must be true or false, got 1$"),
        ("[preflight]\nmin_positives = -3\n", r"preflight.min_positives must be >= 0, got -3$"),
        ("[search]\nfolds = 0\n", r"search.folds must be > 0, got 0$"),
        ("[split]\nvalid_cutoffs = 2\n", r"\[split\]: 'valid_cutoffs' is no longer a setting: use split.backtest_folds"),
        ("[split]\nmax_train_cutoffs = 1\n", r"split.max_train_cutoffs must be >= 2, got 1$"),
        ("[gate]\npoints_auc_margin = 2\n", r"gate.points_auc_margin must be between -1 and 1, got 2$"),
        ("[leakage]\nthreshold = 0.2\n", r"leakage.threshold must be > 0.5 and <= 1, got 0.2$"),
        ("[leakage]\nkeep = ['a', '']\n", r"leakage.keep\[1\] must be non-empty text, got ''$"),
        ("model_name = ''\n", r"model_name must be non-empty text, got ''$"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, match: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    with pytest.raises(UsageError, match=match) as raised:
        load_config(cfg)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{cfg}: "), message  # the file is named


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope.toml: config file not found"):
        load_config(tmp_path / "nope.toml")


def test_a_valid_value_is_kept_as_written(tmp_path: Path) -> None:
    cfg = tmp_path / "ok.toml"
    cfg.write_text("[model]\nlearning_rate = 1\nnum_threads = 1\n[points]\nwindow_days = 30\n")
    config = load_config(cfg)
    assert (config.model.learning_rate, config.model.num_threads, config.points.window_days) == (1, 1, 30)


def test_num_threads_0_means_every_core() -> None:
    import os

    from propensity._config import ModelConfig
    from propensity.training._fit import lgb_params

    assert lgb_params(Config())["num_threads"] == os.cpu_count()
    assert lgb_params(Config(model=ModelConfig(num_threads=1)))["num_threads"] == 1
