"""The configured positive outcomes against the outcome names the export really holds.

A config saying ``"closed won"`` where the export says ``closed_won`` would train into "0 positives";
it is named instead: the configured name, the outcome it most likely means and how many rows that
outcome has. Names are compared ignoring case, spaces, underscores and hyphens first, then by
`difflib` close matches.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

import polars as pl

from propensity._config import LabelConfig
from propensity._errors import PropensityError
from propensity.io._spelling import spelling_key

__all__ = [
    "MistypedOutcome",
    "OutcomeMatch",
    "match_outcomes",
    "outcome_counts",
    "refuse_mistyped_outcomes",
    "resolve_outcome_names",
]


class MistypedOutcome(PropensityError):
    """A configured positive outcome the export does not hold, under a name it nearly holds (exit code 2)."""


@dataclass(frozen=True)
class OutcomeMatch:
    """One configured positive outcome: its rows in the export, or (when it has none) the export's
    outcome it most likely means."""

    configured: str
    rows: int
    suggestion: str | None = None
    suggestion_rows: int = 0

    @property
    def mistyped(self) -> bool:
        return self.rows == 0 and self.suggestion is not None

    def message(self) -> str:
        """One line for a configured outcome with no rows ('' when it has rows)."""
        if self.rows:
            return ""
        text = f"positive outcome {self.configured!r} does not occur in outcomes"
        if self.suggestion is None:
            return text
        note = "; outcome values are read stripped and lower case" if self.configured.strip().lower() == self.suggestion else ""
        return text + f"; did you mean {self.suggestion!r} ({self.suggestion_rows:,} rows{note})?"


def outcome_counts(outcomes: pl.DataFrame | None) -> dict[str, int]:
    """Rows per outcome name, most frequent first (empty without an outcomes table)."""
    if outcomes is None or outcomes.is_empty():
        return {}
    counts = outcomes.group_by("outcome").len().sort(["len", "outcome"], descending=[True, False])
    return dict(zip(counts["outcome"].to_list(), counts["len"].to_list(), strict=True))


def _key(name: str) -> str:
    """The name compared: lower case, without spaces, underscores or hyphens (as values are merged on read)."""
    return spelling_key(name)


def resolve_outcome_names(outcomes: pl.DataFrame | None, label: LabelConfig) -> LabelConfig:
    """``label`` with each positive outcome spelled as the export spells it, when the two differ only in
    case, spaces, underscores or hyphens ("Closed Won" -> "closed_won"); a typo stays as configured."""
    counts = outcome_counts(outcomes)
    by_key: dict[str, str] = {}
    for name in counts:  # most frequent first
        by_key.setdefault(_key(name), name)
    resolved = tuple(
        dict.fromkeys(name if counts.get(name) else by_key.get(_key(name), name) for name in label.positive_outcomes)
    )
    return label if resolved == label.positive_outcomes else replace(label, positive_outcomes=resolved)


def match_outcomes(configured: tuple[str, ...], counts: dict[str, int]) -> tuple[OutcomeMatch, ...]:
    """Each configured positive outcome against the export's outcome names (`outcome_counts`)."""
    by_key: dict[str, str] = {}
    for name in counts:  # most frequent first: it wins a tie on the key
        by_key.setdefault(_key(name), name)
    out = []
    for name in configured:
        if counts.get(name, 0):
            out.append(OutcomeMatch(name, counts[name]))
            continue
        near = by_key.get(_key(name))
        if near is None:
            close = difflib.get_close_matches(_key(name), list(by_key), n=1, cutoff=0.75)
            near = by_key[close[0]] if close else None
        out.append(OutcomeMatch(name, 0, near, counts.get(near, 0) if near else 0))
    return tuple(out)


def refuse_mistyped_outcomes(outcomes: pl.DataFrame | None, label: LabelConfig) -> tuple[OutcomeMatch, ...]:
    """The matches of `[label] positive_outcomes`; raises `MistypedOutcome` when one of them does not
    occur but nearly does (a typo), or when none of them occurs at all (nothing to learn)."""
    if outcomes is None:
        return ()
    counts = outcome_counts(outcomes)
    matches = match_outcomes(label.positive_outcomes, counts)
    mistyped = [m.message() for m in matches if m.mistyped]
    if mistyped:
        raise MistypedOutcome(" ".join(mistyped) + " Fix [label] positive_outcomes in the training config")
    if not any(m.rows for m in matches):
        held = ", ".join(f"{name!r} ({n:,} rows)" for name, n in list(counts.items())[:8]) or "no outcome at all"
        raise MistypedOutcome(
            f"none of the positive outcomes {', '.join(repr(m.configured) for m in matches)} occurs in outcomes, "
            f"which holds {held}. Set [label] positive_outcomes in the training config"
        )
    return matches
