"""The `read` line every command prints: what was read, what was ignored, merged or matched, which PII was dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from propensity.io._export import CrmExport

__all__ = ["read_line"]

_MERGES_LISTED = 6  # merged spellings named in the read line before "and N more"


def read_line(export: CrmExport) -> str:
    """One line: what was read, what was ignored (rows of unknown contacts), which PII columns dropped."""
    r = export.report
    line = f"read {export.source}: {r.contacts:,} contacts, {r.accounts:,} accounts, {r.events:,} events"
    if export.outcomes is not None:
        line += f", {r.outcomes:,} outcomes"
    unknown = [
        f"{n:,} in {what}"
        for what, n in (
            ("events", r.events_unknown_contact),
            ("outcomes", r.outcomes_unknown_contact),
        )
        if n
    ]
    if unknown:
        line += f"; ignored rows of unknown contacts: {', '.join(unknown)}"
    if r.dropped_pii_columns:
        line += f"; personal-data columns dropped on read: {', '.join(r.dropped_pii_columns)}"
    if r.merged_spellings:
        shown = [
            f"{m.column} {m.describe()}" for m in r.merged_spellings[:_MERGES_LISTED]
        ]
        more = len(r.merged_spellings) - len(shown)
        line += f"; spellings read as one: {', '.join(shown)}" + (
            f" and {more} more" if more > 0 else ""
        )
    if r.duplicate_events:
        line += f"; {r.duplicate_events:,} duplicate events counted once"
    m = r.account_matches
    if m.by_domain + m.by_company + m.unmatched:
        line += f"; {m.describe()}"
    return line
