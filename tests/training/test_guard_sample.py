"""The leakage guard judges a big training set on a uniform sample: the sample keeps the training leads'
conversion rate, so a value that only non-converters hold (leads without an account) is not taken for
an outcome in disguise. Before, the sample held every positive (a third of it on the 20M-event
benchmark) and 40 good features were excluded as leaks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl

from propensity._config import load_config
from propensity.features._builder import FeatureBuilder
from propensity.features._spec import FeatureDef, FeatureSpec
from propensity.training._no_information import guard_sample, guard_training_set
from propensity.training._training_set import TrainingSet


def _frame(positives: int, negatives: int) -> pl.DataFrame:
    return pl.DataFrame({"label": [1] * positives + [0] * negatives, "x": list(range(positives + negatives))})


def test_a_big_training_set_s_guard_sample_is_uniform_and_keeps_its_conversion_rate() -> None:
    big = _frame(20_000, 1_080_000)  # 1.8% converted
    sample = guard_sample(big, seed=0)
    assert sample.height == 60_000 and sample["x"].n_unique() == 60_000
    assert abs(float(sample["label"].mean()) - 20_000 / 1_100_000) < 0.002
    many = guard_sample(_frame(80_000, 300_000), seed=0)  # positives abound: still both classes, in proportion
    assert abs(float(many["label"].mean()) - 80_000 / 380_000) < 0.01
    small = _frame(100, 1_000)
    assert guard_sample(small, seed=0) is small


def test_a_value_only_non_converters_hold_is_no_leak_on_a_big_training_set() -> None:
    """400,000 leads, 1.5% converted; a fifth have no account (account features missing) and never
    convert, as students in a CRM: the account feature is judged a feature, not an outcome in disguise."""
    rng = np.random.default_rng(0)
    n = 400_000
    no_account = rng.random(n) < 0.2
    label = np.where(no_account, 0, (rng.random(n) < 0.015 / 0.8).astype(np.int8)).astype(np.int8)
    colleagues = np.where(no_account, np.nan, rng.poisson(1 + 2 * label)).astype(np.float32)
    frame = pl.DataFrame({"label": label, "acct_engaged_contacts": colleagues, "cutoff": [None] * n, "contact_id": [str(i) for i in range(n)]})
    spec = FeatureSpec(features=(FeatureDef("acct_engaged_contacts", "account", "engaged colleagues", source="engaged"),),
                       event_types=(), high_intent_events=())
    ts = TrainingSet(frame, FeatureBuilder.from_spec(spec), None)  # type: ignore[arg-type]  # the guard never reads the plan
    config = load_config(None)
    guard = guard_training_set(ts, replace(config, leakage=replace(config.leakage, keep=())))
    assert guard.excluded == ()
