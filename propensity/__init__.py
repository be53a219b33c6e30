"""propensity: learned, calibrated and explained B2B lead buy-propensity from CRM history.

Names are imported lazily, so `import propensity` (and the CLI's start-up) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from propensity._version import __version__

_EXPORTS = {  # public name -> (module, name there)
    "Config": ("propensity._config", "Config"),
    "load_config": ("propensity._config", "load_config"),
    "PropensityError": ("propensity._errors", "PropensityError"),
    "DataError": ("propensity._errors", "DataError"),
    "UsageError": ("propensity._errors", "UsageError"),
    "CrmExport": ("propensity.io._export", "CrmExport"),
    "read_export": ("propensity.io._sources", "read_export"),
    "generate_crm": ("propensity.synthetic._generate", "generate_crm"),
    "FeatureBuilder": ("propensity.features._builder", "FeatureBuilder"),
    "FeatureSpec": ("propensity.features._spec", "FeatureSpec"),
    "plan_split": ("propensity.training._labels", "plan_split"),
    "open_leads": ("propensity.training._labels", "open_leads"),
    "build_training_set": ("propensity.training._training_set", "build_training_set"),
    "TrainingSet": ("propensity.training._training_set", "TrainingSet"),
    "train": ("propensity.training._train", "train"),
    "TrainResult": ("propensity.training._train", "TrainResult"),
    "PropensityModel": ("propensity._model", "PropensityModel"),
    "load_model": ("propensity.lifecycle._tracking", "load_registered"),
    "LoadedModel": ("propensity.lifecycle._tracking", "LoadedModel"),
    "score_leads": ("propensity.scoring._batch", "score_leads"),
    "ScoreRun": ("propensity.scoring._batch", "ScoreRun"),
    "explain_contact": ("propensity.scoring._explain", "explain_contact"),
    "ContactExplanation": ("propensity.scoring._explain", "ContactExplanation"),
    "read_flat": ("propensity.flat._table", "read_flat"),
    "train_flat": ("propensity.flat._train", "train_flat"),
    "score_table": ("propensity.flat._score", "score_table"),
    "FlatModel": ("propensity.flat._model", "FlatModel"),
}

__all__ = sorted([*_EXPORTS, "__version__"])

if TYPE_CHECKING:  # pragma: no cover
    from propensity._config import Config, load_config
    from propensity._errors import DataError, PropensityError, UsageError
    from propensity._model import PropensityModel
    from propensity.features._builder import FeatureBuilder
    from propensity.features._spec import FeatureSpec
    from propensity.flat._model import FlatModel
    from propensity.flat._score import score_table
    from propensity.flat._table import read_flat
    from propensity.flat._train import train_flat
    from propensity.io._export import CrmExport
    from propensity.io._sources import read_export
    from propensity.lifecycle._tracking import LoadedModel
    from propensity.lifecycle._tracking import load_registered as load_model
    from propensity.scoring._batch import ScoreRun, score_leads
    from propensity.scoring._explain import ContactExplanation, explain_contact
    from propensity.synthetic._generate import generate_crm
    from propensity.training._labels import open_leads, plan_split
    from propensity.training._train import TrainResult, train
    from propensity.training._training_set import TrainingSet, build_training_set


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'propensity' has no attribute {name!r}")
    module, attr = target
    return getattr(import_module(module), attr)


def __dir__() -> list[str]:
    return __all__
