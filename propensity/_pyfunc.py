"""The MLflow pyfunc loader: `mlflow.pyfunc.load_model(uri).predict(feature_table)` -> probabilities.

Logged with `loader_module`, so the model directory holds only LightGBM's text model and JSON:
loading it unpickles nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from propensity._model import PropensityModel

__all__ = ["PropensityPyfunc", "read_model"]


class PropensityPyfunc:
    def __init__(self, model: PropensityModel) -> None:
        self.model = model

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> np.ndarray:
        return self.model.predict_proba(model_input)


def read_model(directory: str | Path) -> PropensityModel:
    """The model saved in `directory`, as its own type: a flat-table model reads a lead table's columns;
    with its fit and engagement views when it has them."""
    from propensity.flat._model import FlatModel
    from propensity.scoring._views import load_views

    model = PropensityModel.load(directory)
    if model.metadata.get("mode") == FlatModel.KIND:
        return FlatModel(model.booster, model.spec, model.calibration, model.metadata)
    model.views = load_views(directory, model.spec.names)  # None for a model trained before them
    return model


def _load_pyfunc(data_path: str) -> PropensityPyfunc:
    return PropensityPyfunc(read_model(data_path))
