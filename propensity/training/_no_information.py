"""The guard of the history path, before fitting: a feature that holds no information on the
training leads (all missing, or one value for every lead: industry when the export has no
accounts, an attribute column nobody fills in) is left out of the model, and so out of its drivers
and reasons. Every other feature (the contact and account attribute columns included) gets its
single-column ROC AUC on the training leads; one that predicts the label almost by itself is an
outcome in disguise (a status a sales rep filled in after the fact) and is left out of the model
unless the user keeps it by name.

The verdicts travel with the model (`metadata["leakage"]`) and are logged to MLflow.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from propensity._config import Config
from propensity._errors import PropensityError
from propensity._model import to_model_frame
from propensity.features._builder import FeatureBuilder
from propensity.features._spec import FeatureSpec
from propensity.leakage._guard import LeakVerdict, find_leaks
from propensity.training._training_set import TrainingSet

__all__ = ["GuardResult", "guard_sample", "guard_training_set", "uninformative", "without_features"]

log = logging.getLogger("propensity")

_MAX_ROWS = 60_000  # the single-column AUCs are judged on at most this many training leads (see guard_sample)


@dataclass(frozen=True)
class GuardResult:
    training_set: TrainingSet  # without the excluded features
    verdicts: tuple[LeakVerdict, ...]  # every feature, most suspicious first
    excluded: tuple[str, ...]
    kept: tuple[str, ...]  # flagged, but kept because the user said so
    sources: dict[str, str]  # feature -> where it comes from ("contacts.lead_status", "events")
    no_information: dict[str, str] = field(default_factory=dict)  # left out before the leak check: feature -> why

    def flagged(self) -> list[LeakVerdict]:
        return [v for v in self.verdicts if v.reason]

    def to_dict(self) -> dict[str, Any]:
        return {
            "excluded": list(self.excluded),
            "kept": list(self.kept),
            "verdicts": [{**v.to_dict(), "source": self.sources.get(v.column, "")} for v in self.verdicts],
            "no_information": [
                {"column": n, "reason": f"no information: {why}", "source": self.sources.get(n, "")}
                for n, why in self.no_information.items()
            ],
        }


def guard_sample(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    """The training leads the leakage guard judges on: all of them up to `_MAX_ROWS`, else a seeded
    uniform sample of that many. The sample keeps the training leads' conversion rate, which the
    deciding-value test reads: a sample enriched in positives (every positive, as before) made a
    value only non-converters hold (no account, say) look like an outcome in disguise, and excluded
    40 good features on the 20M-event benchmark."""
    if frame.height <= _MAX_ROWS:
        return frame
    return frame.sample(n=_MAX_ROWS, seed=seed)


def _source(spec: FeatureSpec, name: str) -> str:
    f = spec.by_name()[name]
    if f.source and "." in f.source:
        return f.source
    return "job_title" if f.source == "job_title" else "events and outcomes"


def without_features(ts: TrainingSet, names: set[str]) -> TrainingSet:
    """The same training set with `names` dropped from its feature specification and frame."""
    spec = ts.builder.spec_
    if not names:
        return ts
    kept = tuple(f for f in spec.features if f.name not in names)
    new_spec = replace(spec, features=kept, categories={k: v for k, v in spec.categories.items() if k not in names})
    return TrainingSet(ts.frame.drop([n for n in names if n in ts.frame.columns]), FeatureBuilder.from_spec(new_spec), ts.plan, ts.sampling)


def uninformative(frame: pl.DataFrame, names: list[str]) -> dict[str, str]:
    """The features of `names` that hold no information in `frame`: 'all missing' or 'constant'
    (one value, missing counted as a value: a feature present for some leads only says something).

    Counted from null counts, NaN counts and min/max (which skip NaN), not from distinct values:
    a hash of every value of a million-row training set is what set the training's peak memory."""
    if frame.height == 0 or not names:
        return {}
    n = frame.height
    missing = frame.select(pl.col(names).null_count()).row(0)
    floats = [c for c in names if frame.schema[c].is_float()]
    nan_counts = dict(zip(floats, frame.select(pl.col(floats).is_nan().sum()).row(0))) if floats else {}
    lows, highs = frame.select(pl.col(names).min()).row(0), frame.select(pl.col(names).max()).row(0)
    out = {}
    for name, m, lo, hi in zip(names, missing, lows, highs):
        nans = int(nan_counts.get(name, 0))
        numbers = n - m - nans  # neither missing nor NaN: min and max are theirs
        distinct = (m > 0) + (nans > 0) + (0 if numbers == 0 else 1 if lo == hi else 2)
        if m == n:
            out[name] = "all missing"
        elif distinct == 1:
            out[name] = "constant"
    return out


def guard_training_set(ts: TrainingSet, config: Config) -> GuardResult:
    """Drop the features without information on the training leads, then judge the others and drop
    the ones that leak unless kept."""
    sources = {n: _source(ts.builder.spec_, n) for n in ts.builder.spec_.names}
    no_information = uninformative(ts.frame, ts.builder.spec_.names)
    if len(no_information) == len(sources):
        raise PropensityError(
            "nothing to learn from: every feature is constant or missing over the training leads "
            f"({', '.join(sorted(no_information))}); the export needs events, attributes that vary, or job titles"
        )
    if no_information:
        log.info(
            "left out, no information on the training leads: %s",
            ", ".join(f"{n} ({sources[n]}, {why})" for n, why in no_information.items()),
        )
    ts = without_features(ts, set(no_information))
    spec = ts.builder.spec_
    keep = set(config.leakage.keep)
    names = set(sources)  # a kept name may be one left out above: not a typo
    # [leakage] keep may name the feature or its column ("lead_status" or "contacts.lead_status")
    keep_features = {n for n in spec.names if n in keep or sources[n] in keep or sources[n].split(".")[-1] in keep}
    unknown = sorted(k for k in keep if k not in names and k not in set(sources.values()) and k not in {s.split(".")[-1] for s in sources.values()})
    if unknown:
        raise PropensityError(f"[leakage] keep: no feature or column named {', '.join(repr(k) for k in unknown)}")
    rows = guard_sample(ts.frame, config.model.seed)
    y = rows["label"].to_numpy().astype(np.int64)
    frame = to_model_frame(spec, rows)
    verdicts = find_leaks(frame, y, threshold=config.leakage.threshold, keep=keep_features, columns=spec.names)
    excluded = tuple(v.column for v in verdicts if v.excluded)
    kept = tuple(v.column for v in verdicts if v.reason and not v.excluded)
    for v in verdicts:
        if v.excluded:
            log.warning(
                "warning: leakage guard: '%s' (%s) predicts the label almost by itself (single-feature ROC AUC %.3f "
                "on %s training leads): excluded; if it is known when a lead arrives, keep it with "
                "[leakage] keep = [\"%s\"] in the training config (--config)",
                v.column, sources[v.column], v.auc, f"{len(y):,}", v.column,
            )
        elif v.reason:
            log.warning("warning: leakage guard: '%s' (single-feature ROC AUC %.3f) kept as asked", v.column, v.auc)
    if len(excluded) == len(spec.names):
        raise PropensityError("the leakage guard excluded every feature: keep one with [leakage] keep = [\"NAME\"] in the training config")
    return GuardResult(without_features(ts, set(excluded)), tuple(verdicts), excluded, kept, sources, no_information)
