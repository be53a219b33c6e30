"""Score a flat lead table with a flat-table model: a probability, a grade and reasons per lead.

Rows whose target column (when the table still has one) says the lead already converted are not
open leads: they are counted and left out, as the history path leaves out converted contacts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from propensity._errors import UsageError
from propensity._model import PropensityModel
from propensity.flat._model import FlatModel
from propensity.flat._table import FlatTable, flat_features, lead_ids, require_column
from propensity.scoring._grades import GradeScale
from propensity.scoring._reasons import FieldIndex, top_reasons

__all__ = ["FLAT_SCORE_COLUMNS", "FlatScoreRun", "is_flat_model", "score_table"]

FLAT_SCORE_COLUMNS = ("contact_id", "score", "score_100", "grade", "percentile", "reasons", "model_version")

_CONVERTED = frozenset({"1", "1.0", "yes", "y", "true", "t"})


@dataclass(frozen=True)
class FlatScoreRun:
    scores: pl.DataFrame  # FLAT_SCORE_COLUMNS, best first
    read: int  # rows in the table
    converted: int  # rows left out because the target says they already converted


def is_flat_model(model: PropensityModel) -> bool:
    return isinstance(model, FlatModel)


def score_table(table: FlatTable, model: PropensityModel, *, model_version: str, chunk_size: int = 100_000) -> FlatScoreRun:
    """Score every open lead of `table`; `contact_id` holds the table's id column."""
    if not is_flat_model(model):
        raise UsageError("this model was trained on a CRM export (contacts and events): score it with DATA_DIR or --source, not --table")
    settings = model.metadata["flat"]
    id_column = require_column(table, settings["id_column"], "id")
    ids = lead_ids(table, id_column)
    frame = table.frame
    converted = 0
    target = settings.get("target")
    if target in frame.columns:
        done = frame[target].str.strip_chars().str.to_lowercase().is_in(list(_CONVERTED)).fill_null(False)
        converted = int(done.sum())
        frame, ids = frame.filter(~done), ids.filter(~done)
    grades = GradeScale.from_dict(model.metadata["grades"])
    index = FieldIndex(model.spec)
    parts = []
    for start in range(0, frame.height, chunk_size):
        chunk = frame.slice(start, chunk_size)
        x = flat_features(model.spec, chunk, settings, name=table.name)
        contrib = model.contributions(x)
        p = model.calibration.apply(contrib.sum(axis=1))
        parts.append(
            pl.DataFrame(
                {
                    "contact_id": ids.slice(start, chunk_size),
                    "score": p,
                    "score_100": GradeScale.score_100(p),
                    "grade": grades.grade(p),
                    "percentile": grades.percentile(p),
                    "reasons": top_reasons(model.spec, x, contrib, index=index),
                }
            )
        )
    schema = {"contact_id": pl.String, "score": pl.Float64, "score_100": pl.Int16, "grade": pl.String, "percentile": pl.Int16, "reasons": pl.String}
    scored = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    out = (
        scored.with_columns(pl.lit(model_version).alias("model_version"))
        .sort(["score", "contact_id"], descending=[True, False])
        .select(FLAT_SCORE_COLUMNS)
    )
    if out.height and not bool(np.isfinite(out["score"].to_numpy()).all()):
        raise RuntimeError("a lead got no finite score")
    return FlatScoreRun(out, table.height, converted)
