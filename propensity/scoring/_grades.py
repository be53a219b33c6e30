"""Grades (A-D), percentiles and the 1-100 score, fixed at training time so they mean the same
thing in every scoring run: A is the top share of the validation population, and so on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from propensity._config import GradeConfig

__all__ = ["GradeScale"]

_GRADES = np.array(["D", "C", "B", "A"])


@dataclass(frozen=True)
class GradeScale:
    thresholds: tuple[float, float, float]  # minimum score for C, B, A
    reference: tuple[float, ...]  # sorted quantiles of validation scores, for percentiles

    @classmethod
    def from_scores(cls, scores: np.ndarray, config: GradeConfig) -> GradeScale:
        s = np.asarray(scores, dtype=np.float64)
        qa = np.quantile(s, 1 - config.a)
        qb = np.quantile(s, 1 - config.a - config.b)
        qc = np.quantile(s, 1 - config.a - config.b - config.c)
        ref = np.quantile(s, np.linspace(0, 1, 1001))
        return cls((float(qc), float(qb), float(qa)), tuple(float(v) for v in ref))

    def grade(self, scores: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(np.asarray(self.thresholds), np.asarray(scores, dtype=np.float64), side="right")
        return _GRADES[idx]

    def percentile(self, scores: np.ndarray) -> np.ndarray:
        """Share (0-100) of the reference population scoring at or below each score."""
        ref = np.asarray(self.reference)
        pos = np.searchsorted(ref, np.asarray(scores, dtype=np.float64), side="right")
        return np.floor(100 * pos / len(ref)).astype(np.int16)

    @staticmethod
    def score_100(scores: np.ndarray) -> np.ndarray:
        """The calibrated probability in percent, 1-100."""
        return np.clip(np.ceil(np.asarray(scores) * 100), 1, 100).astype(np.int16)

    def to_dict(self) -> dict[str, Any]:
        return {"thresholds": list(self.thresholds), "reference": list(self.reference)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradeScale:
        t = data["thresholds"]
        return cls((float(t[0]), float(t[1]), float(t[2])), tuple(float(v) for v in data["reference"]))
