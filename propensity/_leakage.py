"""The leakage guard: columns that predict the label almost by themselves are outcomes in disguise.

A status field filled in by sales after the fact makes a model look brilliant and useless on a
fresh lead. Each candidate column gets its single-column ROC AUC (categories by out-of-fold target
rate, numbers by value with missing as its own level); a column at or above the threshold, or one a
data dictionary or its name marks as filled in after the fact, is excluded unless the user keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["LeakVerdict", "single_column_auc", "find_leaks", "after_the_fact", "DEFAULT_THRESHOLD"]

DEFAULT_THRESHOLD = 0.90


@dataclass(frozen=True)
class LeakVerdict:
    column: str
    auc: float
    reason: str  # why it was flagged ("" when it was not)
    excluded: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(y)) < 2 or len(np.unique(s)) < 2:
        return 0.5
    a = float(roc_auc_score(y, s))
    return max(a, 1.0 - a)


def single_column_auc(values: pd.Series, y: np.ndarray, *, folds: int = 5, seed: int = 0) -> float:
    """ROC AUC of one column used alone (direction-free: max(AUC, 1 - AUC))."""
    y = np.asarray(y).astype(np.int64)
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric:
        v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        if np.isnan(v).all():
            return 0.5
        filled = np.where(np.isnan(v), np.nanmin(v) - 1.0, v)
        return _auc(y, filled)
    cats = values.astype("object").where(values.notna(), "__missing__").astype(str).to_numpy()
    rng = np.random.default_rng(seed)
    fold = rng.integers(0, folds, size=len(cats))
    prior = y.mean()
    encoded = np.empty(len(cats), dtype=np.float64)
    for k in range(folds):
        train = fold != k
        stats = pd.DataFrame({"c": cats[train], "y": y[train]}).groupby("c")["y"].agg(["sum", "count"])
        rate = (stats["sum"] + prior) / (stats["count"] + 1.0)  # light smoothing towards the prior
        encoded[~train] = pd.Series(cats[~train]).map(rate).fillna(prior).to_numpy()
    return _auc(y, encoded)


def find_leaks(
    frame: pd.DataFrame,
    y: np.ndarray,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    keep: Iterable[str] = (),
    marked: Mapping[str, str] | None = None,
    columns: Iterable[str] | None = None,
) -> list[LeakVerdict]:
    """A verdict per column, most suspicious first.

    `marked` maps column -> why it is known to be filled in after the fact (a data dictionary, a
    name such as "status"); such columns are excluded whatever their AUC. Columns in `keep` are
    flagged but kept: the user said so explicitly.
    """
    keep_set = set(keep)
    marked = dict(marked or {})
    out = []
    for col in columns if columns is not None else frame.columns:
        auc = single_column_auc(frame[col], y)
        reasons = []
        if auc >= threshold:
            reasons.append(f"predicts the label almost by itself (single-column AUC {auc:.3f} >= {threshold:.2f})")
        if col in marked:
            reasons.append(marked[col])
        reason = "; ".join(reasons)
        out.append(LeakVerdict(col, auc, reason, bool(reason) and col not in keep_set))
    return sorted(out, key=lambda v: (not v.reason, -v.auc, v.column))


# Words in a data dictionary's description that say a column was filled in after the lead arrived.
_DESCRIPTION_MARKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\b(employee|staff|sales ?(rep|reps|person|people|team)|agent|counsell?or|intuition|judge?ment)\b", re.I),
        "filled in by staff",
    ),
    (
        re.compile(r"\b(current|latest|final) (status|state|stage)\b|\bstatus of the (lead|deal|customer)\b", re.I),
        "records the lead's latest status, not its state when it arrived",
    ),
    (
        re.compile(r"\b(assigned|allotted|given) to (each|the|every) (customer|lead|prospect|contact)\b", re.I),
        "assigned by the company (its own score or judgement)",
    ),
    (
        re.compile(r"\b(filled (in|out)|updated|entered) by\b|\bafter (the )?(call|sale|contact|conversion|meeting)\b", re.I),
        "filled in after the fact",
    ),
)
# Words in a column's name that usually mean an outcome, a status or somebody's judgement.
_NAME_MARKS = re.compile(
    r"\b(status|stage|outcome|result|disposition|tags?|quality|rating|grade|score|won|lost|closed|reason)\b", re.I
)


def after_the_fact(columns: Iterable[str], descriptions: Mapping[str, str] | None = None) -> dict[str, str]:
    """{column: why} for columns a data dictionary or their name marks as filled in after the fact.

    `descriptions` maps a column to its data-dictionary text. The result feeds `find_leaks(marked=)`.
    """
    descriptions = descriptions or {}
    out: dict[str, str] = {}
    for column in columns:
        reasons = []
        text = " ".join(str(descriptions.get(column) or "").split())
        for pattern, why in _DESCRIPTION_MARKS:
            m = pattern.search(text)
            if m:
                reasons.append(f"{why} (data dictionary: \"{_around(text, m.start(), m.end())}\")")
                break
        words = re.sub(r"[_\W]+", " ", column)
        m = _NAME_MARKS.search(words)
        if m and not reasons:
            reasons.append(f"its name says it may be filled in after the fact ('{m.group(0)}')")
        if reasons:
            out[column] = "; ".join(reasons)
    return out


def _around(text: str, start: int, end: int, width: int = 30) -> str:
    """The matched words with about `width` characters either side, cut at word boundaries."""
    left = text.rfind(" ", 0, max(0, start - width)) + 1
    right = text.find(" ", min(len(text), end + width))
    return text[left : right if right != -1 else len(text)].strip(" .")
