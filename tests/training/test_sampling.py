"""Negative downsampling: every positive and a seeded fraction of the negatives are fitted on, and the
probabilities stay calibrated because the calibration sees every judged lead."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from propensity._config import Config, SamplingConfig, SearchConfig
from propensity.training._sampling import choose_rate, mark_kept


def _labelled(n: int, positives: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    label = np.zeros(n, dtype=np.int8)
    label[rng.choice(n, positives, replace=False)] = 1
    return pl.DataFrame(
        {"contact_id": [f"C{i:06d}" for i in range(n)], "cutoff": [datetime(2025, 1 + i % 12, 1) for i in range(n)], "label": label}
    )


def test_the_automatic_rate_keeps_every_row_while_they_fit_and_enough_negatives_per_positive() -> None:
    auto = SamplingConfig(max_rows=1000, min_negatives_per_positive=5)
    assert choose_rate(10, 900, auto) == 1.0
    assert choose_rate(100, 9_900, auto) == pytest.approx(900 / 9_900)
    # never fewer than min_negatives_per_positive negatives per positive, even past max_rows
    assert choose_rate(100, 99_900, SamplingConfig(max_rows=1000, min_negatives_per_positive=20)) == pytest.approx(2_000 / 99_900)
    assert choose_rate(100, 99_900, SamplingConfig(negative_rate=0.5)) == 0.5


def test_every_positive_is_kept_and_the_same_rows_are_kept_in_any_order() -> None:
    labelled = _labelled(20_000, 200)
    kept, sampling = mark_kept(labelled, SamplingConfig(negative_rate=0.1), seed=7)
    assert kept.filter(pl.col("label") == 1)["keep"].all()
    assert sampling.rate == 0.1 and sampling.positives == 200 and sampling.negatives == 19_800
    assert abs(sampling.kept_negatives - 1_980) < 150  # a seeded Bernoulli(0.1) per negative
    shuffled, again = mark_kept(labelled.sample(fraction=1.0, shuffle=True, seed=3), SamplingConfig(negative_rate=0.1), seed=7)
    assert again == sampling
    key = ["contact_id", "cutoff"]
    assert kept.sort(key)["keep"].equals(shuffled.sort(key)["keep"])
    other, _ = mark_kept(labelled, SamplingConfig(negative_rate=0.1), seed=8)
    assert not other["keep"].equals(kept["keep"])  # the seed decides


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from propensity.synthetic._generate import generate_crm

    out = tmp_path_factory.mktemp("sampling") / "crm"
    generate_crm(out, n_contacts=4000, seed=5, months=18)
    return out


def _train(crm: Path, sampling: SamplingConfig) -> Any:
    from propensity.io._sources import read_export
    from propensity.training._train import train

    config = Config(search=SearchConfig(trials=0), sampling=sampling)
    return train(read_export(crm, require_outcomes=True), config, tracking_uri=None)


@pytest.mark.slow
def test_a_downsampled_model_is_calibrated_and_ranks_like_the_model_fitted_on_every_row(crm: Path) -> None:
    full = _train(crm, SamplingConfig(negative_rate=1.0))
    down = _train(crm, SamplingConfig(negative_rate=0.2))
    meta = down.model.metadata
    assert meta["sampling"]["negative_rate"] == 0.2
    assert meta["fitted_rows"] == down.counts["train_rows"] < full.counts["train_rows"]
    assert down.counts["train_positives"] == full.counts["train_positives"]  # every positive is fitted on
    # the same judged leads, every one of them
    assert down.validation.select("contact_id", "cutoff").equals(full.validation.select("contact_id", "cutoff"))
    m, f = down.metrics, full.metrics
    # at the newest matured cutoff, where the scores are used, the mean score is the realised rate within 10%
    assert abs(m["valid_newest_mean_score"] / m["valid_newest_observed_rate"] - 1) < 0.10
    # over the forward folds (a few dozen positives each: noisy for any model) as calibrated as the full model
    # (no worse than it: on generator version 2, seed 5, the full model's forward folds read 1.36x the rate, the downsampled 1.14x)
    down_off = abs(m["valid_mean_score"] / m["valid_observed_rate"] - 1)
    full_off = abs(f["valid_mean_score"] / f["valid_observed_rate"] - 1)
    assert down_off <= full_off + 0.10
    assert abs(m["valid_roc_auc"] - f["valid_roc_auc"]) < 0.02
    # weighted negatives keep the early stopping where the full model's is (not hundreds of trees more)
    assert abs(meta["backtest"]["best_iteration"] - full.model.metadata["backtest"]["best_iteration"]) < 50
