"""Meanings, not phrases: does a sentence say a value is known only after the outcome?

A data dictionary says "updated by the account manager after the call", "not known before a call is
performed", "the current status of the lead" or "should be discarded for a realistic model" in
countless wordings. Each concept below is a few groups of words; a sentence carries the concept when
it holds a word of every group (any order, any form: "assigned", "assigns", "assignment" are one
lemma) and none of its veto words. The groups were written from how CRM and public-dataset
documentation talks about outcomes, staff input and data leakage, not from any one table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

__all__ = ["CONCEPTS", "Concept", "Match", "lemma", "lemmas", "match_concepts", "sentences"]

_IRREGULAR = {
    "known": "know", "knew": "know", "sold": "sell", "won": "win", "lost": "lose", "bought": "buy", "paid": "pay",
    "given": "give", "gave": "give", "made": "make", "done": "do", "set": "set", "wrote": "write", "written": "write",
    "chose": "choose", "chosen": "choose", "salespeople": "salesperson", "staffs": "staff", "data": "data",
    "cannot": "not", "can't": "not", "isn't": "not", "aren't": "not", "wasn't": "not", "never": "not", "n't": "not",
    "afterwards": "after", "afterward": "after", "thereafter": "after", "later": "after", "subsequently": "after",
    "subsequent": "after", "following": "after", "post": "after", "judgment": "judge", "judgement": "judge",
    "counselor": "counsellor", "adviser": "advisor", "modelling": "model", "modeling": "model", "enrol": "enroll",
    "analyses": "analysis", "status": "status", "this": "this", "previously": "previous",
}
_WORD = re.compile(r"[a-z][a-z']*")
_VOWEL = re.compile(r"[aeiouy]")


def lemma(word: str) -> str:
    """A crude English lemma: 'assigned', 'assigning', 'assignment', 'assigns' -> 'assign'."""
    w = word.casefold().strip("'")
    if w in _IRREGULAR:
        w = _IRREGULAR[w]
        return w[:-1] if w.endswith("e") and len(w) > 4 else w
    if len(w) <= 3:
        return w
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ments", ""), ("ment", ""), ("ings", ""), ("ing", ""), ("ed", ""),
                         ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh"), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not (suffix == "s" and w.endswith(("ss", "us", "is"))):
            stem = w[: len(w) - len(suffix)] + repl
            if suffix in ("ing", "ed", "ings") and not _VOWEL.search(stem):
                continue
            if suffix in ("ing", "ed", "ings") and len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                stem = stem[:-1]  # stopped -> stop
            w = stem
            break
    return w[:-1] if w.endswith("e") and len(w) > 4 else w  # closed / close / closing -> clos


def lemmas(text: str) -> list[str]:
    text = re.sub(r"'s\b", "", text.casefold().replace("\u2019", "'"))  # the rep's -> the rep
    return [lemma(t) for t in _WORD.findall(text.replace("-", " ").replace("_", " "))]


def sentences(text: str) -> list[str]:
    """Sentences of a description (a line break or ; . ! ? followed by a space ends one)."""
    parts = re.split(r"(?<=[.;!?])\s+|\n+", " ".join(text.split(" ")))
    return [p.strip() for p in parts if p.strip()]


def _group(words: str) -> frozenset[str]:
    """A group of words (and two-word terms joined by '+') as lemmas."""
    return frozenset("+".join(lemma(p) for p in w.split("+")) for w in words.split())


@dataclass(frozen=True)
class Concept:
    name: str
    why: str  # what the reason says
    alternatives: tuple[tuple[frozenset[str], ...], ...]  # any alternative whose every group has a word
    veto: frozenset[str] = frozenset()

    def matches(self, words: Sequence[str]) -> bool:
        present = set(words) | {f"{a}+{b}" for a, b in pairwise(words)}
        present |= {f"{a}+{b}+{c}" for a, b, c in zip(words, words[1:], words[2:])}
        if present & self.veto:
            return False
        return any(all(group & present for group in alt) for alt in self.alternatives)


# ------------------------------------------------------------------------------ the word groups
_AFTER = _group("after afterwards later subsequent following post once until end upon")
_OUTCOME_EVENT = _group(
    "call contact conversation meeting sale sell deal purchase buy order close closing conversion convert outcome "
    "result decision win lose payment pay contract signature enroll enrollment subscribe subscription demo negotiation "
    "campaign offer proposal quote onboarding handoff qualification churn renewal visit+to+site"
)
_CLOSING = _group("close closing conversion convert win purchase")
_WHEN = _group("when at upon time")
_KNOW = _group("know available unknown determine exist observe")
_BEFORE = _group("before until prior advance beforehand ahead")
_NOT = _group("not only unknown no")
_HISTORY = _group("previous earlier past former prior+campaign historical")

_STAFF = _group(
    "employee staff rep representative salesperson salesman seller sales+team sales+rep sales+person agent counsellor "
    "advisor account+manager account+executive executive ae manager consultant caller operator sdr bdr recruiter colleague "
    "telemarketer closer owner"
)
_STAFF_ACT = _group(
    "assign assess judge rate rating grade evaluate evaluation estimate enter fill update record log mark tag classify "
    "categorize categorise decide opinion intuition view feel feeling believe think gut qualify review choose pick "
    "select note write impression guess sense perception appraise appraisal score label flag maintain keep"
)
_HEADCOUNT = _group(
    "number+of+employee employee+count headcount size workforce by+the+customer by+the+lead by+the+prospect "
    "by+the+client by+the+applicant by+the+user by+the+visitor by+customer by+lead by+prospect by+client by+user"
)

_GIVE = _group("assign allot allocate give attribute award compute calculate derive generate receive")
_JUDGE_NOUN = _group("score index level grade rating rank ranking tier quality priority band")
_SUBJECT = _group("customer lead prospect contact client account each every")

_STATE = _group("status stage state phase disposition standing")
_NOW = _group("current latest final last present now most+recent updated today up+to+date")
_PIPE_STATE = _group("status stage disposition")
_PIPE = _group("lead deal opportunity pipeline funnel application enquiry inquiry case sale crm ticket")
_PERSONAL = _group(
    "marital employment occupational occupation job student citizenship residential housing smoking family "
    "relationship legal tax immigration visa health credit financial home ownership education live reside address "
    "country city province region geographic a+result"
)
_RESULT = _group("outcome result resolution win lose loss")
_RESULT_OF = _group("deal sale call campaign contact conversation negotiation meeting opportunity lead pitch demo application offer")

_DROP = _group("discard drop remove exclude omit ignore avoid leave+out")
_LEAK = _group("leak leakage leaky cheat")
_MODEL = _group("model predictive prediction predict realistic benchmark training train feature input scoring")
_USE = _group("use include")
_SHOULD = _group("should must do")
_BENCH = _group("benchmark")
_PURPOSE = _group("purpose only")

CONCEPTS: tuple[Concept, ...] = (
    Concept(
        "time-after-outcome",
        "filled in after the fact",
        ((_AFTER, _OUTCOME_EVENT), (_WHEN, _CLOSING), (_KNOW, _BEFORE, _NOT)),
        veto=_HISTORY,
    ),
    Concept("assessed-by-staff", "filled in by staff", ((_STAFF, _STAFF_ACT),), veto=_HEADCOUNT),
    Concept("company-score", "assigned by the company (its own score or judgement)", ((_GIVE, _JUDGE_NOUN, _SUBJECT),)),
    Concept(
        "status-stage",
        "records the lead's latest status, not its state when it arrived",
        ((_STATE, _NOW), (_PIPE_STATE, _PIPE), (_RESULT, _RESULT_OF)),
        veto=_PERSONAL | _HISTORY,
    ),
    Concept(
        "must-discard",
        "the documentation says to leave it out of a realistic model",
        ((_DROP, _MODEL), (_LEAK,), (_NOT, _USE, _SHOULD, _MODEL), (_BENCH, _PURPOSE)),
    ),
)


@dataclass(frozen=True)
class Match:
    concept: Concept
    sentence: str


def match_concepts(text: str, concepts: Iterable[Concept] = CONCEPTS) -> list[Match]:
    """The concepts a text carries, each with the first sentence that carries it."""
    found: list[Match] = []
    split = [(s, lemmas(s)) for s in sentences(text)]
    for concept in concepts:
        for sentence, words in split:
            if concept.matches(words):
                found.append(Match(concept, sentence))
                break
    return found
