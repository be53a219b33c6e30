"""The leakage guard judges its single-column AUCs on a sample that always holds both classes: on a big
export with more positives than half the sample, the positives are sampled too (before, the sample
held every positive and a single negative, and good features were excluded as leaks)."""

from __future__ import annotations

import polars as pl

from propensity.training._no_information import guard_sample


def _frame(positives: int, negatives: int) -> pl.DataFrame:
    return pl.DataFrame({"label": [1] * positives + [0] * negatives, "x": list(range(positives + negatives))})


def test_a_big_export_s_guard_sample_holds_half_negatives_when_positives_abound() -> None:
    sample = guard_sample(_frame(80_000, 300_000), seed=0)
    assert sample.height == 60_000
    assert int(sample["label"].sum()) == 30_000  # at most half the sample
    assert sample["x"].n_unique() == 60_000


def test_every_positive_is_judged_while_they_fill_at_most_half_the_sample() -> None:
    sample = guard_sample(_frame(2_000, 300_000), seed=0)
    assert sample.height == 60_000 and int(sample["label"].sum()) == 2_000
    small = _frame(100, 1_000)
    assert guard_sample(small, seed=0) is small
