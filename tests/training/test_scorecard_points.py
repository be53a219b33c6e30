"""The learned points of a polars feature table read only the rules' columns and give every row the
points the whole table in pandas gives it; a scorecard without rules gives every row 0."""

from __future__ import annotations

import polars as pl

from propensity.training._scorecard import Rule, Scorecard

RULES = (
    Rule("event", "pricing_page_view", "pricing_page_view", 30, "1", 1.0, 2.0, 5, "n_pricing_page_view_30d", "viewed pricing once"),
    Rule("event", "pricing_page_view", "pricing_page_view", 30, "2+", 2.0, None, 12, "n_pricing_page_view_30d", "viewed pricing twice"),
    Rule("attribute", "industry", "", None, "Software", None, None, 7, "industry", "software"),
    Rule("attribute", "industry", "", None, "unknown", None, None, -4, "industry", "industry unknown"),
)


def _features() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "n_pricing_page_view_30d": pl.Series([0.0, 1.0, 2.0, 5.0, None, float("nan")], dtype=pl.Float32),
            "industry": pl.Series(["Software", None, "Retail", "Software", None, "Banking"], dtype=pl.String),
            "n_web_visit_365d": pl.Series([9.0] * 6, dtype=pl.Float32),  # no rule reads it
        }
    )


def test_points_of_a_polars_table_equal_the_whole_pandas_tables() -> None:
    card = Scorecard(RULES, 20.0)
    feats = _features()
    points = card.score(feats)
    assert points.tolist() == card.score(feats.to_pandas()).tolist()
    assert points.tolist() == [7, 5 - 4, 12, 12 + 7, -4, 0]
    assert card.score(feats, chunk_rows=4).tolist() == points.tolist()  # two chunks, the second short


def test_a_scorecard_without_rules_gives_every_row_zero_points() -> None:
    assert Scorecard((), 20.0).score(_features()).tolist() == [0] * 6
