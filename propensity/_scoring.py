"""Batch scoring: every open lead at the as-of date gets a calibrated probability, a grade,
a percentile and its top three reasons, from exactly the features the model was trained on."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl

from propensity._config import LabelConfig
from propensity._export import CrmExport
from propensity._features import FeatureBuilder
from propensity._grades import GradeScale
from propensity._labels import open_leads
from propensity._model import PropensityModel, to_model_frame
from propensity._reasons import FieldIndex, top_reasons

__all__ = ["SCORE_COLUMNS", "ScoreRun", "default_as_of", "score_leads"]

log = logging.getLogger("propensity")

SCORE_COLUMNS = ("contact_id", "account_id", "score", "score_100", "grade", "percentile", "reasons", "model_version")


@dataclass(frozen=True)
class ScoreRun:
    scores: pl.DataFrame
    as_of: datetime
    read: int
    open_leads: int


def default_as_of(export: CrmExport) -> datetime:
    """The latest event time, or the end of the data when there are no events."""
    if export.events.height:
        return export.events["occurred_at"].max()  # type: ignore[return-value]
    return export.data_end


def score_leads(
    export: CrmExport,
    model: PropensityModel,
    *,
    model_version: str,
    as_of: datetime | None = None,
    chunk_size: int = 100_000,
) -> ScoreRun:
    """Score every open lead at `as_of`; rows come out sorted by score, best first."""
    as_of = as_of or default_as_of(export)
    meta = model.metadata
    label = LabelConfig(tuple(meta["label"]["positive_outcomes"]), int(meta["label"]["horizon_days"]))
    leads = open_leads(export.contacts, export.outcomes, [as_of], label).sort("contact_id")
    builder = FeatureBuilder.from_spec(model.spec)
    feats = builder.transform(export, leads.select("contact_id", "cutoff"))
    grades = GradeScale.from_dict(meta["grades"])
    index = FieldIndex(model.spec)
    parts = []
    for start in range(0, max(leads.height, 1), chunk_size):
        chunk = feats.slice(start, chunk_size)
        if chunk.height == 0:
            break
        frame = to_model_frame(model.spec, chunk)
        contrib = model.contributions(frame)
        margin = contrib.sum(axis=1)
        p = model.calibration.apply(margin)
        parts.append(
            pl.DataFrame(
                {
                    "contact_id": chunk["contact_id"],
                    "score": p,
                    "score_100": GradeScale.score_100(p),
                    "grade": grades.grade(p),
                    "percentile": grades.percentile(p),
                    "reasons": top_reasons(model.spec, frame, contrib, index=index),
                }
            )
        )
    scored = (
        pl.concat(parts)
        if parts
        else pl.DataFrame(
            schema={"contact_id": pl.String, "score": pl.Float64, "score_100": pl.Int16, "grade": pl.String, "percentile": pl.Int16, "reasons": pl.String}
        )
    )
    out = (
        leads.select("contact_id", "account_id")
        .join(scored, on="contact_id", how="left")
        .with_columns(pl.lit(model_version).alias("model_version"))
        .sort(["score", "contact_id"], descending=[True, False])
        .select(SCORE_COLUMNS)
    )
    return ScoreRun(out, as_of, export.contacts.height, leads.height)
