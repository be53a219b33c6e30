"""The search fits its budget: a trial still boosting when the wall clock ends is stopped (and counted),
the budget grows with the rows only up to its cap, and a deterministic search ignores the clock."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from propensity._config import Config, SearchConfig
from propensity.training._search import search_budget, search_params


def test_the_budget_grows_with_the_rows_fitted_on_up_to_its_cap() -> None:
    config = Config(search=SearchConfig(timeout_seconds=45, timeout_per_million_rows=60, max_timeout_seconds=300))
    assert search_budget(config, 0) == 45
    assert search_budget(config, 2_000_000) == 165
    assert search_budget(config, 50_000_000) == 300
    assert search_budget(replace(config, search=replace(config.search, deterministic=True)), 2_000_000) is None


@pytest.fixture(scope="module")
def binned(generated_crm: Any) -> tuple[Any, ...]:
    from propensity._model import to_model_frame
    from propensity.io._sources import read_export
    from propensity.training._fit import binned_dataset
    from propensity.training._training_set import build_training_set

    ts = build_training_set(read_export(generated_crm, require_outcomes=True), Config())
    x = to_model_frame(ts.builder.spec_, ts.frame)
    y = ts.frame["label"].to_numpy()
    return binned_dataset(x, y, ts.builder.spec_.categorical), y, ts.frame["cutoff"].to_numpy(), ts.plan


@pytest.mark.slow
def test_a_trial_running_when_the_budget_ends_is_stopped_and_counted(binned: tuple[Any, ...]) -> None:
    data, y, cutoffs, plan = binned
    # a budget far below one trial: the first trial is stopped within a round, none completes
    tiny = Config(search=SearchConfig(trials=3, min_positives=0, timeout_seconds=0.001, timeout_per_million_rows=0))
    assert search_params(data, y, cutoffs, plan, tiny) is None
    roomy = Config(search=SearchConfig(trials=3, min_positives=0, timeout_seconds=600))
    found = search_params(data, y, cutoffs, plan, roomy)
    assert found is not None and found.trials == 3 and found.stopped == 0


@pytest.mark.slow
def test_a_deterministic_search_gives_the_same_settings_whatever_the_clock(binned: tuple[Any, ...]) -> None:
    data, y, cutoffs, plan = binned
    config = Config(search=SearchConfig(trials=3, min_positives=0, timeout_seconds=0.001, deterministic=True))
    first = search_params(data, y, cutoffs, plan, config)
    again = search_params(data, y, cutoffs, plan, config)
    assert first is not None and again is not None
    assert first.trials == again.trials == 3 and first.stopped == 0 and first.budget_seconds is None
    assert first.params == again.params and first.objective == again.objective
