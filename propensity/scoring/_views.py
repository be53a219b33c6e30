"""The fit and engagement views beside the score: which case a lead is, not only how likely it buys.

MadKudu scores Customer Fit (who the lead is) and Likelihood to Buy (what it did lately) apart;
HubSpot offers fit, engagement and combined scores. Here:

* `fit` is the calibrated probability of the same label from who the lead and its account are (the
  PROFILE features of the spec: job title seniority and department, the contact's own columns such
  as the lead source, firmographics; nothing that changes over time);
* `engagement` is the calibrated probability from what the lead itself did (the BEHAVIOUR features
  that measure its own engagement: event counts, recency, breadth, decay-weighted events,
  unsubscribes, earlier outcomes), monotone: more engagement never lowers it
  (`propensity.training._views` says why).

Each is a LightGBM model fitted, early-stopped and calibrated out of time exactly like the served
model (`propensity.training._views`), and graded with thresholds fixed at training on the backtest's
out-of-time rows, with the `[grades]` shares: the fit grade A-D (A the top 10%, B the next 20%, C the
next 30%, D the rest) and the engagement level 1-4 (the same shares: 1 the most engaged). The matrix
cell `fit_engagement` is the fit grade then the engagement level: `A1` fits and is engaged, `D1`
engages heavily but does not fit (a student, a competitor), `A4` fits but has gone quiet.

The combined `score` stays the ranking; the views only say why a lead is where it is. They are plain
files in the model's directory (VIEW_FILES: LightGBM text models and JSON, never a pickle); a model
without them (trained before them, or with no profile or no behaviour feature) loads and scores
without the view columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from propensity._model import PlattCalibration
from propensity.scoring._grades import GradeScale

__all__ = [
    "CELLS",
    "FitEngagement",
    "VIEW_COLUMNS",
    "VIEW_FILES",
    "VIEW_SCHEMA",
    "View",
    "cells_of",
    "engagement_levels",
    "load_views",
]

VIEWS_FILE = "views.json"
VIEW_FILES = (VIEWS_FILE, "fit_booster.txt", "engagement_booster.txt")
VIEW_COLUMNS = ("fit", "fit_grade", "engagement", "engagement_level", "fit_engagement")
VIEW_SCHEMA: dict[str, Any] = {
    "fit": pl.Float64, "fit_grade": pl.String, "engagement": pl.Float64, "engagement_level": pl.Int8, "fit_engagement": pl.String,
}
_LETTERS = ("A", "B", "C", "D")
CELLS = tuple(f"{g}{level}" for g in _LETTERS for level in range(1, 5))  # A1 .. D4, fit grade first
_VERSION = 1


def engagement_levels(grades: np.ndarray) -> np.ndarray:
    """Grade letters A-D as engagement levels 1-4 (1: the most engaged)."""
    return np.searchsorted(np.array(_LETTERS), np.asarray(grades)).astype(np.int8) + 1


def cells_of(fit_grades: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """The matrix cell of each lead: its fit grade then its engagement level ('B1')."""
    return np.char.add(np.asarray(fit_grades, dtype=str), np.asarray(levels).astype(str))


@dataclass(frozen=True)
class View:
    """One view: a booster on some of the model's features, its calibration and grade scale."""

    name: str
    booster: Any  # lightgbm.Booster
    features: tuple[str, ...]
    calibration: PlattCalibration
    scale: GradeScale
    best_iteration: int = 0

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability from the served model's input frame (this view's columns of it)."""
        margin = np.asarray(self.booster.predict(frame.loc[:, list(self.features)], raw_score=True), dtype=np.float64)
        return self.calibration.apply(margin)

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "calibration": {"method": "platt", "a": self.calibration.a, "b": self.calibration.b},
            "grades": self.scale.to_dict(),
            "best_iteration": self.best_iteration,
        }


@dataclass(frozen=True)
class FitEngagement:
    fit: View
    engagement: View

    def columns(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """VIEW_COLUMNS of the leads of `frame` (the served model's input)."""
        fit = self.fit.predict(frame)
        engagement = self.engagement.predict(frame)
        return self.graded(fit, engagement)

    def graded(self, fit: np.ndarray, engagement: np.ndarray) -> dict[str, np.ndarray]:
        """VIEW_COLUMNS from the two probabilities, with the grades fixed at training."""
        grade = self.fit.scale.grade(fit)
        level = engagement_levels(self.engagement.scale.grade(engagement))
        return {"fit": fit, "fit_grade": grade, "engagement": engagement, "engagement_level": level, "fit_engagement": cells_of(grade, level)}

    def to_texts(self) -> dict[str, str]:
        """The views as plain text, file name -> content (VIEW_FILES): what is saved and what Spark ships."""
        record: dict[str, Any] = {"version": _VERSION, "cell": "fit grade A-D, then engagement level 1-4", "views": {}}
        texts = {}
        for view in (self.fit, self.engagement):
            texts[f"{view.name}_booster.txt"] = view.booster.model_to_string()
            record["views"][view.name] = view.to_dict()
        return {VIEWS_FILE: json.dumps(record, indent=2, sort_keys=True), **texts}

    @classmethod
    def from_texts(cls, texts: dict[str, str], feature_names: list[str], where: str = VIEWS_FILE) -> FitEngagement:
        import lightgbm as lgb

        record = json.loads(texts[VIEWS_FILE])
        if record.get("version") != _VERSION:
            raise ValueError(f"{where}: version {record.get('version')!r} is not {_VERSION}")
        views = {}
        for name in ("fit", "engagement"):
            v = record["views"][name]
            unknown = [f for f in v["features"] if f not in feature_names]
            if unknown:
                raise ValueError(f"{where}: the {name} view reads {', '.join(unknown[:3])}, not in the model's feature specification")
            cal = v["calibration"]
            views[name] = View(
                name, lgb.Booster(model_str=texts[f"{name}_booster.txt"]), tuple(v["features"]),
                PlattCalibration(float(cal["a"]), float(cal["b"])), GradeScale.from_dict(v["grades"]), int(v.get("best_iteration", 0)),
            )
        return cls(views["fit"], views["engagement"])

    def save(self, directory: str | Path) -> None:
        for name, text in self.to_texts().items():
            (Path(directory) / name).write_text(text, encoding="utf-8")


def load_views(directory: str | Path, feature_names: list[str]) -> FitEngagement | None:
    """The views saved in a model's `directory`, or None when it has none (a model trained before them)."""
    d = Path(directory)
    if not (d / VIEWS_FILE).is_file():
        return None
    missing = [f for f in VIEW_FILES if not (d / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{d}: the fit and engagement views are incomplete (missing {', '.join(missing)})")
    return FitEngagement.from_texts({f: (d / f).read_text(encoding="utf-8") for f in VIEW_FILES}, feature_names, str(d / VIEWS_FILE))
