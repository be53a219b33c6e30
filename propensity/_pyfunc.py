"""The MLflow pyfunc loader: `mlflow.pyfunc.load_model(uri).predict(feature_table)` -> probabilities.

Logged with `loader_module`, so the model directory holds only LightGBM's text model and JSON:
loading it unpickles nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from propensity._model import PropensityModel

__all__ = ["PropensityPyfunc"]


class PropensityPyfunc:
    def __init__(self, model: PropensityModel) -> None:
        self.model = model

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> np.ndarray:
        return self.model.predict_proba(model_input)


def _load_pyfunc(data_path: str) -> PropensityPyfunc:
    return PropensityPyfunc(PropensityModel.load(data_path))
