"""Meanings, not phrases: a description carries a concept whatever its wording, and descriptions of
what the lead did, or of history before the outcome, carry none."""

from __future__ import annotations

import pytest

from propensity.leakage._concepts import lemma, match_concepts


def names(text: str) -> set[str]:
    return {m.concept.name for m in match_concepts(text)}


@pytest.mark.parametrize(("word", "expected"), [("assigned", "assign"), ("assignment", "assign"), ("assigns", "assign"),
                                                ("closing", "clos"), ("closed", "clos"), ("employees", "employe"),
                                                ("known", "know"), ("stopped", "stop"), ("status", "status"),
                                                ("judgement", "judg"), ("judged", "judg")])
def test_forms_of_a_word_share_a_lemma(word: str, expected: str) -> None:
    assert lemma(word) == expected


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Yet, the duration is not known before a call is performed.", "time-after-outcome"),
        ("Only available once the opportunity has closed.", "time-after-outcome"),
        ("Written into the CRM when the deal is won.", "time-after-outcome"),
        ("Post-sale survey answer.", "time-after-outcome"),
        ("The counsellor's gut feeling about the applicant.", "assessed-by-staff"),
        ("Rated 1-5 by whichever rep owns the account.", "assessed-by-staff"),
        ("Each prospect receives a priority tier from our scoring system.", "company-score"),
        ("Where the opportunity stands in the pipeline right now (its stage).", "status-stage"),
        ("Result of the sales call.", "status-stage"),
        ("This input should be dropped for any realistic predictive model.", "must-discard"),
        ("Known leak: do not use for training.", "must-discard"),
    ],
)
def test_concept_is_found_in_wordings_it_was_not_written_for(text: str, concept: str) -> None:
    assert concept in names(text)


@pytest.mark.parametrize(
    "text",
    [
        "Last activity performed by the customer. Includes Email Opened, Olark Chat Conversation, etc.",
        "marital status (categorical: 'married','divorced','single')",
        "outcome of the previous marketing campaign",
        "number of days that passed by after the client was last contacted from a previous campaign",
        "Number of employees as entered by the lead on the web form.",
        "Pages visited as a result of the newsletter.",
        "A lead number assigned to each lead procured.",
        "The state the customer lives in.",
    ],
)
def test_what_the_lead_did_or_history_before_the_outcome_carries_no_concept(text: str) -> None:
    assert names(text) == set()
