"""A model trained on a flat lead table: it reads the table's own columns, not events at a cutoff."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from propensity._model import PropensityModel
from propensity.flat._table import flat_features

__all__ = ["FlatModel"]


class FlatModel(PropensityModel):
    """The same booster, specification and calibration; its features come from one row per lead."""

    KIND = "flat"

    def predict_proba(self, features: pl.DataFrame | pd.DataFrame) -> np.ndarray:
        """Calibrated probability of conversion, read from the lead table's columns."""
        flat: Any = self.metadata.get("flat")
        return self.calibration.apply(self.margin(flat_features(self.spec, features, flat)))
