"""A small generated export and a model trained on it (no MLflow), shared by the scale tests."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from propensity._config import Config
from propensity._model import PropensityModel
from propensity.io._export import CrmExport
from propensity.io._sources import read_export
from propensity.scoring._grades import GradeScale
from propensity.synthetic._generate import generate_crm
from propensity.training._train import fit_model
from propensity.training._training_set import TrainingSet, build_training_set

__all__ = ["ScoringCase", "scoring_case"]


@dataclass(frozen=True)
class ScoringCase:
    folder: Path  # a Parquet export of 2,000 generated contacts
    export: CrmExport
    training_set: TrainingSet
    model: PropensityModel


@cache
def scoring_case() -> ScoringCase:
    """Built once per test session (about 15 s): generate, build the training set, fit."""
    folder = Path(tempfile.mkdtemp(prefix="propensity-scale-")) / "crm"
    generate_crm(folder, n_contacts=2000, seed=1)
    export = read_export(folder, require_outcomes=True)
    config = Config()
    ts = build_training_set(export, config)
    model, _ = fit_model(ts, config)
    valid = ts.judged()
    from propensity._model import to_model_frame

    p = model.calibration.apply(model.margin(to_model_frame(model.spec, valid)))
    model.metadata = {
        "label": {"positive_outcomes": list(config.label.positive_outcomes), "horizon_days": config.label.horizon_days},
        "grades": GradeScale.from_scores(p, config.grades).to_dict(),
    }
    return ScoringCase(folder, export, ts, model)
