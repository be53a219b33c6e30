"""Values matched the way people mean them: ignoring case, spaces, underscores and hyphens.

``case_study_view``, ``Case Study View`` and ``case-study-view`` are one value, shown in its commonest
spelling (a tie goes to the first in sort order). A synonyms table (``[events.aliases]``,
``[outcomes.aliases]`` in the config) maps the rest: ``"Webinar Attendance" = "webinar_attended"``.
Only the (few) distinct values are looked at, so a column of tens of millions of rows costs one
``value_counts``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from propensity._config import Config

__all__ = ["Merge", "merge_spellings", "reading_aliases", "spelling_key", "spelling_map"]

_SEPARATORS = re.compile(r"[\s_\-]+")


def spelling_key(value: str) -> str:
    """The form two spellings are compared by: lower case, without spaces, underscores or hyphens."""
    return _SEPARATORS.sub("", value.strip().lower())


@dataclass(frozen=True)
class Merge:
    """Spellings read as one value: ``spellings`` (rarest last) became ``shown`` in ``column``."""

    column: str  # "event_type", "outcome", "contacts.lead_source", ...
    shown: str
    spellings: tuple[str, ...]
    rows: int  # rows that changed spelling

    def describe(self) -> str:
        others = " and ".join(repr(s) for s in self.spellings)
        return f"{others} as {self.shown!r}"


def merge_spellings(
    values: pl.Series, *, column: str, aliases: Mapping[str, str] | None = None
) -> tuple[pl.Series, tuple[Merge, ...]]:
    """``values`` with each group of spellings replaced by its commonest one, and what was merged.

    ``aliases`` maps a spelling (matched by `spelling_key`) to the value it means; it is applied
    first, so an alias and the spellings of its target merge into one value. Nulls stay null.
    """
    counts = values.drop_nulls().value_counts(sort=False, name="_n")
    if counts.height == 0:
        return values, ()
    changed, merges = spelling_map(counts[values.name].to_list(), counts["_n"].to_list(), column=column, aliases=aliases)
    if not changed:
        return values, ()
    return values.replace(list(changed), list(changed.values())), merges


def spelling_map(
    distinct: list[str], n_rows: list[int], *, column: str, aliases: Mapping[str, str] | None = None
) -> tuple[dict[str, str], tuple[Merge, ...]]:
    """`merge_spellings` on counted values (each distinct value and its rows, as an engine that holds
    the rows elsewhere counts them): {spelling: the value it is read as} for the spellings that change,
    and what was merged."""
    by_alias = {spelling_key(k): v for k, v in (aliases or {}).items()}
    meant = [by_alias.get(spelling_key(v), v) for v in distinct]
    groups: dict[str, dict[str, int]] = {}
    for target, n in zip(meant, n_rows, strict=True):
        spellings = groups.setdefault(spelling_key(target), {})
        spellings[target] = spellings.get(target, 0) + n
    shown_of = {key: min(sp, key=lambda s: (-sp[s], s)) for key, sp in groups.items()}
    replacement = [shown_of[spelling_key(target)] for target in meant]
    if replacement == distinct:
        return {}, ()
    merged: dict[str, dict[str, int]] = {}
    for original, shown, n in zip(distinct, replacement, n_rows, strict=True):
        if original != shown:
            merged.setdefault(shown, {})[original] = n
    merges = tuple(
        Merge(column, shown, tuple(sorted(sp, key=lambda s: (-sp[s], s))), sum(sp.values()))
        for shown, sp in sorted(merged.items())
    )
    return {o: r for o, r in zip(distinct, replacement, strict=True) if o != r}, merges


def reading_aliases(config: Config) -> dict[str, dict[str, str]]:
    """The ``event_aliases`` and ``outcome_aliases`` a reader takes from ``config``.

    Each event type the config names (the high-intent and unsubscribe events, the points table) is its
    own alias, so it is spelled as the config spells it (stripped, lower case) whatever the export's
    commonest spelling. Outcomes keep the export's commonest spelling: the label's names are matched
    to it (`propensity.io._outcome_names.resolve_outcome_names`).
    """
    named_events = (*config.features.high_intent_events, *config.features.unsubscribe_events, *config.points.events)
    events = {name: name for name in named_events}
    events.update(config.events.aliases)
    return {"event_aliases": events, "outcome_aliases": dict(config.outcomes.aliases)}
