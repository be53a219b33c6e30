"""Columns that look like identifiers: never features unless kept on purpose.

A landing page id, a tracking hash or a record number reads as "+ landing page id: 40dec9f3" in a
rep's reasons, which nobody can act on, and a value seen once or twice teaches a model nothing that
holds for the next lead. A column is identifier-like when

- most of its values are hash-like: one token of 8 or more letters, digits, `-` or `_` with at
  least two digits and one letter ("40dec9f3", "a1b2c3d4-...", "utm_7f3a9c21"); or
- it has no repeat structure: more than `max_levels` different values and at least half as many
  different values as rows (almost every row its own value); or
- it is a whole number named like an id ("landing_page_id", "record number") with a different value
  in at least half of the rows.

The rows are the table's own (one per contact, one per account). `identifier_reason` says why in
words, or None for an ordinary column.
"""

from __future__ import annotations

import re

import polars as pl

__all__ = ["HASH_SHARE", "hash_like", "identifier_reason"]

HASH_SHARE = 0.8  # share of the values that must look hash-like
_HASH_CHARS = r"^[0-9A-Za-z_-]{8,}$"
_ID_NAME = re.compile(r"(?:^|[^a-z])(?:id|ids|uuid|guid|key|hash|number|no|nr)$")


def _example(values: pl.Series) -> str:
    v = str(values[0])
    return v if len(v) <= 12 else v[:12] + "..."


def hash_like(values: pl.Series) -> str | None:
    """An example value when at least HASH_SHARE of the (string) values look like hashes, else None."""
    text = values.drop_nulls().cast(pl.String)
    if text.len() == 0:
        return None
    hashes = text.str.contains(_HASH_CHARS) & (text.str.count_matches(r"[0-9]") >= 2) & text.str.contains(r"[A-Za-z]")
    if float(hashes.mean() or 0.0) < HASH_SHARE:  # type: ignore[arg-type]
        return None
    return _example(text.filter(hashes))


def identifier_reason(name: str, values: pl.Series, max_levels: int) -> str | None:
    """Why column `name` (its `values`, one per row of its table) looks like an identifier, or None."""
    present = values.drop_nulls()
    n = present.len()
    if n == 0:
        return None
    if values.dtype.is_numeric():
        if not values.dtype.is_integer():
            whole = present.cast(pl.Float64)
            if not bool((whole == whole.round(0)).all()):
                return None
        distinct = present.n_unique()
        if _ID_NAME.search(name.strip().lower()) and distinct > max_levels and distinct * 2 >= n:
            return f"a whole number named like an id, {distinct:,} different values in {n:,} rows"
        return None
    text = present.cast(pl.String)
    example = hash_like(text)
    if example is not None:
        return f"hash-like values such as {example!r}"
    distinct = text.n_unique()
    if distinct > max_levels and distinct * 2 >= n:
        return f"almost every row its own value ({distinct:,} different values in {n:,} rows)"
    return None
