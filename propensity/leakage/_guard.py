"""The leakage guard: columns that give the label away are outcomes in disguise.

A status field filled in by sales after the fact makes a model look brilliant and useless on a
fresh lead. Each candidate column is judged on four kinds of evidence: its single-column ROC AUC
(categories by out-of-fold target rate, numbers by value with missing as its own level), a value
that decides the target almost surely, converted leads outside the others' range (`_leak_stats`),
and what a data dictionary or its name says (`after_the_fact`, meanings from `_concepts`). A column
with any of them is excluded unless the user keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_THRESHOLD", "LeakVerdict", "after_the_fact", "find_leaks", "single_column_auc"]

DEFAULT_THRESHOLD = 0.90


@dataclass(frozen=True)
class LeakVerdict:
    column: str
    auc: float
    reason: str  # why it was flagged ("" when it was not)
    excluded: bool
    evidence: tuple[str, ...] = ()  # which kinds: "auc", "deciding value", "outside range", "dictionary", "name"

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
    name such as "status"); such columns are excluded whatever their AUC, as are columns with a
    deciding value or converted leads outside the others' range (`_leak_stats`). Columns in `keep` are
    flagged but kept: the user said so explicitly.
    """
    from propensity.leakage._stats import deciding_value, outside_range

    keep_set = set(keep)
    marked = dict(marked or {})
    out = []
    for col in columns if columns is not None else frame.columns:
        auc = single_column_auc(frame[col], y)
        reasons: list[str] = []
        evidence: list[str] = []
        if auc >= threshold:
            reasons.append(f"predicts the label almost by itself (single-column AUC {auc:.3f} >= {threshold:.2f})")
            evidence.append("auc")
        for kind, test in (("deciding value", deciding_value), ("outside range", outside_range)):
            why = test(frame[col], y)
            if why:
                reasons.append(why)
                evidence.append(kind)
        if col in marked:
            reasons.append(marked[col])
            evidence.append("name" if marked[col].startswith("its name") else "dictionary")
        reason = "; ".join(reasons)
        out.append(LeakVerdict(col, auc, reason, bool(reason) and col not in keep_set, tuple(evidence)))
    return sorted(out, key=lambda v: (not v.reason, -v.auc, v.column))


# Words in a column's name that usually mean an outcome, a status or somebody's judgement.
_NAME_MARKS = re.compile(
    r"\b(status|stage|outcome|result|disposition|tags?|quality|rating|grade|score|won|lost|closed|reason)\b", re.I
)


def after_the_fact(columns: Iterable[str], descriptions: Mapping[str, str] | None = None) -> dict[str, str]:
    """{column: why} for columns a data dictionary or their name marks as filled in after the fact.

    `descriptions` maps a column to its data-dictionary text, read for the meanings in
    `_concepts.CONCEPTS` (known only after the outcome, assessed by staff, the company's own score,
    a status or stage, to be discarded). The result feeds `find_leaks(marked=)`.
    """
    from propensity.leakage._concepts import match_concepts

    descriptions = descriptions or {}
    out: dict[str, str] = {}
    for column in columns:
        reasons = []
        text = " ".join(str(descriptions.get(column) or "").split())
        found = match_concepts(text)
        if found:
            whys = ", ".join(dict.fromkeys(m.concept.why for m in found))
            reasons.append(f"{whys} (data dictionary: \"{_clip(found[0].sentence)}\")")
        words = re.sub(r"[_\W]+", " ", column)
        m = _NAME_MARKS.search(words)
        named = match_concepts(words)
        if not reasons and (m or named):
            said = m.group(0) if m else words.strip()
            reasons.append(f"its name says it may be filled in after the fact ('{said}')")
        if reasons:
            out[column] = "; ".join(reasons)
    return out


def _clip(sentence: str, width: int = 160) -> str:
    sentence = sentence.strip(" .")
    return sentence if len(sentence) <= width else sentence[: sentence.rfind(" ", 0, width)] + " ..."
