"""propensity: learned, calibrated and explained B2B lead buy-propensity from CRM history.

Names are imported lazily, so `import propensity` (and the CLI's start-up) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from propensity._version import __version__

_EXPORTS = {
    "Config": "propensity._config",
    "load_config": "propensity._config",
    "CrmExport": "propensity.io._export",
    "read_export": "propensity.io._sources",
    "generate_crm": "propensity.synthetic._generate",
    "FeatureBuilder": "propensity.features._builder",
    "FeatureSpec": "propensity.features._spec",
    "plan_split": "propensity.training._labels",
    "open_leads": "propensity.training._labels",
    "build_training_set": "propensity.training._training_set",
    "train": "propensity.training._train",
    "PropensityModel": "propensity._model",
    "load_model": "propensity.lifecycle._tracking",
    "score_leads": "propensity.scoring._batch",
    "PropensityError": "propensity._errors",
    "DataError": "propensity._errors",
    "UsageError": "propensity._errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from propensity._config import Config, load_config
    from propensity._errors import DataError, PropensityError, UsageError
    from propensity._model import PropensityModel
    from propensity.features._builder import FeatureBuilder
    from propensity.features._spec import FeatureSpec
    from propensity.io._export import CrmExport
    from propensity.io._sources import read_export
    from propensity.lifecycle._tracking import load_model
    from propensity.scoring._batch import score_leads
    from propensity.synthetic._generate import generate_crm
    from propensity.training._labels import open_leads, plan_split
    from propensity.training._train import train
    from propensity.training._training_set import build_training_set


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'propensity' has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return __all__
