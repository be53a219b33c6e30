"""propensity: learned, calibrated and explained B2B lead buy-propensity from CRM history.

Names are imported lazily, so `import propensity` (and the CLI's start-up) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Config": "propensity._config",
    "load_config": "propensity._config",
    "CrmExport": "propensity._export",
    "read_export": "propensity._sources",
    "generate_crm": "propensity._generate",
    "FeatureBuilder": "propensity._features",
    "FeatureSpec": "propensity._feature_spec",
    "plan_split": "propensity._labels",
    "open_leads": "propensity._labels",
    "build_training_set": "propensity._training_set",
    "train": "propensity._train",
    "PropensityModel": "propensity._model",
    "load_model": "propensity._tracking",
    "score_leads": "propensity._scoring",
    "PropensityError": "propensity._errors",
    "DataError": "propensity._errors",
    "UsageError": "propensity._errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from propensity._config import Config, load_config
    from propensity._errors import DataError, PropensityError, UsageError
    from propensity._export import CrmExport
    from propensity._feature_spec import FeatureSpec
    from propensity._features import FeatureBuilder
    from propensity._generate import generate_crm
    from propensity._labels import open_leads, plan_split
    from propensity._model import PropensityModel
    from propensity._scoring import score_leads
    from propensity._sources import read_export
    from propensity._tracking import load_model
    from propensity._train import train
    from propensity._training_set import build_training_set


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'propensity' has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return __all__
