"""Event types learned from the data read as English words in reasons and driver tables."""

from __future__ import annotations

import pytest

from propensity.features._spec import event_label


@pytest.mark.parametrize(
    ("event_type", "one", "many"),
    [
        ("pricing_page_view", "pricing-page view", "pricing-page views"),  # a known type: its own words
        ("survey_reply", "survey reply", "survey replies"),  # consonant + y
        ("product_tour_play", "product tour play", "product tour plays"),  # vowel + y
        ("site_search", "site search", "site searches"),
        ("trial_signup", "trial signup", "trial signups"),
    ],
)
def test_unknown_event_types_get_an_english_plural(event_type: str, one: str, many: str) -> None:
    assert event_label(event_type, 1) == one
    assert event_label(event_type, 3) == many
