"""Scheduled retraining: a challenger goes into service only when it is not worse than the champion.

`retrain` builds the training set up to the newest monthly cutoff whose horizon has passed, trains a
challenger (an MLflow run; nothing is registered yet), scores the challenger and the champion on the
same latest time-forward holdout (the challenger's validation cutoffs; the champion's features are
rebuilt from its own feature specification) and judges the challenger with the `[gate]` settings.
Only a promoted challenger is registered, and moving the `champion` alias is the very last step:
a job killed at any earlier point leaves the registry as it was. The decision and its figures are
recorded as tags and metrics of the challenger's run (plus `gate/decision.json`), as tags on the
champion's version and, when promoted, on the new version, and are printed.

Idempotent: the retrain key is a sha256 of the data fingerprint and the whole configuration. When
the champion was trained from the same key, when a version from the same key was rolled back or
replaced, or when a run with the same key already judged the same champion, nothing is trained and
nothing changes. `rollback` points `champion` back to the version it replaced, recorded the same way;
the registered model's tag `propensity.champion_trail` keeps the list of champions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from propensity._config import Config, config_to_dict
from propensity._errors import PropensityError, UsageError
from propensity.lifecycle._lock import EXIT_LOCKED, exclusive
from propensity.training._gate import (
    Check,
    GateDecision,
    auc_z,
    backtest_figures,
    guard_checks,
    holdout_figures,
    judge,
    last_fitted_cutoff,
)
from propensity.training._streamed import StreamedExport

__all__ = [
    "EXIT_PROMOTED",
    "EXIT_FAILED",
    "EXIT_REFUSED",
    "EXIT_KEPT",
    "EXIT_LOCKED",
    "Check",
    "GateDecision",
    "RetrainOutcome",
    "RollbackOutcome",
    "auc_z",
    "holdout_figures",
    "guard_checks",
    "judge",
    "retrain_key",
    "retrain",
    "rollback",
]

log = logging.getLogger("propensity")

EXIT_PROMOTED = 0  # the challenger is the new champion
EXIT_FAILED = 1  # an unexpected error (traceback printed); the registry is unchanged
EXIT_REFUSED = 2  # bad data, too little of it, bad configuration: nothing was trained or changed
EXIT_KEPT = 3  # the champion stays (the challenger failed the gate, or nothing new to learn from)

KEY_TAG = "propensity.retrain_key"
PREVIOUS_TAG = "propensity.previous_champion"
TRAIL_TAG = "propensity.champion_trail"
_TRAIL_LENGTH = 50


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def retrain_key(export: Any, config: Config) -> str:
    """sha256 of what a retrain learns from: the data fingerprint and the whole configuration."""
    from propensity._version import __version__

    payload = {"fingerprint": export.fingerprint, "config": config_to_dict(config), "propensity": __version__}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


# ------------------------------------------------------------------ outcomes
@dataclass(frozen=True)
class RetrainOutcome:
    status: str  # "promoted", "kept" or "unchanged"
    model_name: str
    champion_before: str | None
    champion_after: str | None
    message: str
    decision: GateDecision | None = None
    run_id: str | None = None
    holdout: str = ""

    @property
    def exit_code(self) -> int:
        return EXIT_PROMOTED if self.status == "promoted" else EXIT_KEPT

    def report(self) -> str:
        lines = [f"retrain {self.model_name}: {self.holdout}"] if self.holdout else []
        if self.decision is not None:
            lines.append(self.decision.table())
        tail = f" (MLflow run {self.run_id})" if self.run_id else ""
        lines.append(f"decision: {self.status}: {self.message}{tail}")
        if self.decision is not None:
            lines.append(f"rule: {self.decision.rule}")
        return "\n".join(lines)


@dataclass(frozen=True)
class RollbackOutcome:
    model_name: str
    from_version: str
    to_version: str
    run_id: str

    def report(self) -> str:
        return (
            f"rollback {self.model_name}: champion is version {self.to_version} again (was version {self.from_version}); "
            f"MLflow run {self.run_id}"
        )


# ------------------------------------------------------------------ registry helpers
def _champion(client: Any, name: str) -> Any | None:
    from mlflow.exceptions import MlflowException

    from propensity.lifecycle._tracking import CHAMPION

    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            return None
        raise


def _versions(client: Any, name: str) -> list[Any]:
    return list(client.search_model_versions(f"name = '{name}'"))


def _register(client: Any, name: str, model_uri: str, run_id: str, tags: dict[str, str]) -> str:
    """A new version of `name` from the logged model, created with all its tags at once."""
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(name)
    except MlflowException as exc:
        if exc.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise
    model_id = model_uri[len("models:/") :] if model_uri.startswith("models:/m-") else None
    mv = client.create_model_version(name, source=model_uri, run_id=run_id, tags=tags, model_id=model_id)
    return str(mv.version)


def _trail(client: Any, name: str) -> list[dict[str, str]]:
    """The champions so far, oldest first (the registered model's `propensity.champion_trail` tag)."""
    tags = client.get_registered_model(name).tags or {}
    try:
        trail = json.loads(tags.get(TRAIL_TAG, "[]"))
    except json.JSONDecodeError:
        return []
    return trail if isinstance(trail, list) else []


def _trail_versions(client: Any, name: str) -> set[str]:
    return {str(t.get("version")) for t in _trail(client, name) if isinstance(t, dict)}


def _append_trail(client: Any, name: str, version: str, by: str, run_id: str, at: str) -> None:
    trail = _trail(client, name)
    trail.append({"version": version, "by": by, "at": at, "run": run_id})
    client.set_registered_model_tag(name, TRAIL_TAG, json.dumps(trail[-_TRAIL_LENGTH:]))


def _move_champion(client: Any, name: str, version: str, old: str | None, run_id: str, decision_line: str, figures: str = "") -> None:
    """Bookkeeping on the replaced version and the trail, then the alias: the last step."""
    from propensity.lifecycle._tracking import CHAMPION

    at = _now()
    if old is not None:
        client.set_model_version_tag(name, old, "propensity.replaced_by", version)
        client.set_model_version_tag(name, old, "propensity.replaced_at", at)
        client.set_model_version_tag(name, old, "propensity.gate.last_challenge", decision_line)
        client.set_model_version_tag(name, old, "propensity.gate.last_challenge_run", run_id)
        if figures:
            client.set_model_version_tag(name, old, "propensity.gate.figures", figures)
    _append_trail(client, name, version, "retrain", run_id, at)
    client.set_registered_model_alias(name, CHAMPION, version)


def _already_decided(client: Any, exp_id: str, name: str, key: str, champion: Any | None) -> RetrainOutcome | None:
    """The same data and configuration were already judged: say so and change nothing."""
    current = str(champion.version) if champion is not None else None
    stays = f"champion stays version {current}" if current else "there is no champion"
    if champion is not None and champion.tags.get(KEY_TAG) == key:
        return RetrainOutcome("unchanged", name, current, current,
                              f"the champion, version {current}, was trained on this data and configuration: nothing to do")
    for mv in _versions(client, name):
        v, tags = str(mv.version), mv.tags or {}
        if tags.get(KEY_TAG) != key or v == current:
            continue
        if "propensity.rolled_back_at" in tags:
            why = f"was rolled back on {tags['propensity.rolled_back_at']}"
        elif "propensity.replaced_by" in tags:
            why = f"was replaced by version {tags['propensity.replaced_by']}"
        elif v in _trail_versions(client, name):
            why = "was champion before and is no longer (the alias was moved by hand)"
        elif tags.get(PREVIOUS_TAG, "") == (current or ""):
            # registered by a job that died before moving the alias: finish its promotion
            _move_champion(client, name, v, current, tags.get("propensity.gate.run_id", ""), f"replaced by version {v}",
                           tags.get("propensity.gate.figures", ""))
            return RetrainOutcome("promoted", name, current, v,
                                  f"finished the interrupted promotion of version {v} (was version {current or 'none'})")
        else:
            why = "was registered but never put into service"
        return RetrainOutcome("kept", name, current, current,
                              f"version {v}, trained on this data and configuration, {why}: not promoted again "
                              f"(new data or a changed configuration trains a new challenger); {stays}")
    runs = client.search_runs(
        [exp_id],
        filter_string=(f"tags.`{KEY_TAG}` = '{key}' and tags.`propensity.gate.champion_version` = '{current or 'none'}' "
                       "and tags.`propensity.gate.decision` = 'kept'"),
        max_results=1,
        order_by=["attributes.start_time DESC"],
    )
    if runs:
        r = runs[0]
        return RetrainOutcome("kept", name, current, current,
                              f"this data and configuration were judged by run {r.info.run_id} against the same champion: "
                              f"{r.data.tags.get('propensity.gate.reasons', 'kept')}; {stays}")
    return None


# ------------------------------------------------------------------ retrain
def _check_holdout(export: Any, config: Config) -> None:
    """Refuse, before anything is trained or touched, a split whose holdout cannot judge a model."""
    from propensity.training._labels import label_pairs, open_leads
    from propensity.training._training_set import default_plan

    plan = default_plan(export, config)
    pairs = open_leads(export.contacts, export.outcomes, plan.judged, config.label)
    labelled = label_pairs(pairs, export.outcomes, config.label)
    rows, positives = labelled.height, int(labelled["label"].sum())
    if positives < config.gate.min_holdout_positives:
        cutoffs = ", ".join(f"{t:%Y-%m-%d}" for t in plan.judged)
        raise PropensityError(
            f"the holdout (cutoffs {cutoffs}) has {positives} positive leads of {rows:,}: too few to judge a "
            f"challenger (gate.min_holdout_positives = {config.gate.min_holdout_positives}); nothing was trained"
        )


def _score_on(model: Any, sx: StreamedExport, rows: pl.DataFrame) -> np.ndarray:
    """A model's probabilities for (contact_id, cutoff) rows, features rebuilt from its own spec,
    chunk by chunk of the streamed export."""
    from propensity.features._builder import FeatureBuilder

    builder = FeatureBuilder.from_spec(model.spec)
    out = np.full(rows.height, np.nan)
    pairs = rows.select("contact_id", "cutoff").with_row_index("_at")
    for part in sx.parts():
        mine = pairs.join(part.contacts.select("contact_id"), on="contact_id", how="semi")
        if mine.height == 0:
            continue
        keys = mine.select("contact_id", "cutoff")
        feats = keys.join(builder.transform(part, keys), on=["contact_id", "cutoff"], how="left", maintain_order="left")
        out[mine["_at"].to_numpy()] = np.asarray(model.predict_proba(feats), dtype=np.float64)
    return out


def _versus_champion(loaded: Any, sx: StreamedExport, valid: pl.DataFrame, config: Config) -> tuple[dict[str, float], dict[str, float] | None, str]:
    """The champion's figures, and the challenger's on the same basis, on leads neither was fitted on.

    The served model is refitted on every matured cutoff, so the challenger's backtest rows up to
    the champion's newest fitted cutoff are the champion's training data. When the challenger judged
    cutoffs after it (a month has matured since), both are scored there: the challenger's fold models
    never saw them, nor did the champion. Otherwise (or with fewer positives there than
    `min_holdout_positives`), the champion's recorded out-of-time backtest figures stand against the
    challenger's."""
    seen = last_fitted_cutoff(loaded.model.metadata)
    fresh = valid if seen is None else valid.filter(pl.col("cutoff") > seen)
    y = fresh["label"].to_numpy()
    if int(y.sum()) >= config.gate.min_holdout_positives:
        log.info("retrain: scoring the champion on %d leads of cutoffs after its newest fitted cutoff", fresh.height)
        after = f" after {seen:%Y-%m-%d}, the champion's newest fitted cutoff" if seen else ""
        basis = f"both scored on the {fresh.height:,} leads ({int(y.sum()):,} positive) of cutoffs{after}"
        return holdout_figures(y, _score_on(loaded.model, sx, fresh)), holdout_figures(y, fresh["score"].to_numpy()), basis
    run_id = loaded.model.metadata.get("run_id")
    recorded: dict[str, float] = {}
    if run_id:
        import mlflow

        m = mlflow.MlflowClient().get_run(run_id).data.metrics
        recorded = {k: float(m[f"valid_{k}"]) for k in ("pr_auc", "capture_10", "ece", "roc_auc", "observed_rate") if f"valid_{k}" in m}
    if "pr_auc" not in recorded or "capture_10" not in recorded:
        y = valid["label"].to_numpy()
        basis = (f"both scored on the challenger's {valid.height:,} backtest leads, which the champion was fitted on (it records "
                 "no out-of-time figures): a comparison that favours the champion")
        return holdout_figures(y, _score_on(loaded.model, sx, valid)), holdout_figures(y, valid["score"].to_numpy()), basis
    rate = recorded.get("observed_rate", float("nan"))
    recorded["pr_lift"] = recorded["pr_auc"] / rate if rate and math.isfinite(rate) else float("nan")
    recorded["auc_z"] = float("nan")
    return recorded, None, "the champion's recorded out-of-time backtest figures against the challenger's (no cutoff has matured since its data)"


def _record_run(client: Any, run_id: str, key: str, decision: GateDecision, champion: str | None, status: str) -> None:
    from mlflow.entities import Metric, RunTag

    ts = int(datetime.now(timezone.utc).timestamp() * 1000)
    metrics = [Metric(f"gate_challenger_{k}", v, ts, 0) for k, v in decision.challenger.items() if math.isfinite(v)]
    if decision.champion:
        metrics += [Metric(f"gate_champion_{k}", v, ts, 0) for k, v in decision.champion.items() if math.isfinite(v)]
    metrics.append(Metric("gate_promoted", float(decision.promote), ts, 0))
    tags = {
        KEY_TAG: key,
        "propensity.gate.decision": status,
        "propensity.gate.reasons": decision.reasons()[:4000],
        "propensity.gate.figures": decision.figures(),
        "propensity.gate.champion_version": champion or "none",
        "mlflow.note.content": f"Gate decision: **{status}** ({decision.reasons()})\n\n```\n{decision.table()}\n```",
    }
    client.log_batch(run_id, metrics=metrics, tags=[RunTag(k, v) for k, v in tags.items()])
    client.log_dict(run_id, decision.to_dict(), "gate/decision.json")


def retrain(data_dir: str | Path, config: Config, *, tracking_uri: str, chunk_size: int = 100_000) -> RetrainOutcome:
    """Train a challenger on the export in `data_dir` and promote it only if it passes the gate. The
    export is read as `propensity train` reads a folder: its events in chunks of about `chunk_size`
    contacts, never all in memory (`propensity.training._streamed`)."""
    from propensity.io._spelling import reading_aliases
    from propensity.training._streamed import read_streamed

    # bad or too little data is refused before anything (the lock file included) is written
    with read_streamed(data_dir, chunk_size=chunk_size, **reading_aliases(config)) as sx:
        return _retrain_read(sx, config, tracking_uri)


def _retrain_read(sx: StreamedExport, config: Config, tracking_uri: str) -> RetrainOutcome:
    import mlflow

    from propensity.lifecycle._tracking import load_model, use_tracking
    from propensity.training._streamed import streamed_training
    from propensity.training._train import train

    name = config.model_name
    export = sx.export
    _check_holdout(export, config)
    with exclusive(tracking_uri, name, "retrain"):
        label = f"{' or '.join(config.label.positive_outcomes)} within {config.label.horizon_days} days"
        key = retrain_key(export, config)
        exp_id = use_tracking(tracking_uri, config.experiment)
        client = mlflow.MlflowClient()
        champion = _champion(client, name)
        before = str(champion.version) if champion is not None else None
        early = _already_decided(client, exp_id, name, key, champion)
        if early is not None:
            return early

        log.info("retrain %s: training a challenger (champion: %s)", name, f"version {before}" if before else "none")
        checked, ts = streamed_training(sx, config)  # the training set chunk by chunk
        result = train(export, config, tracking_uri=tracking_uri, model_name=None, set_champion=False, training_set=ts, checked=checked)
        assert result.run_id is not None and result.model_uri is not None  # a tracking URI was given
        valid = result.validation
        y = valid["label"].to_numpy()
        holdout = (f"backtest judged on {', '.join(f'{t:%Y-%m-%d}' for t in result.plan.judged)}: {valid.height:,} leads, "
                   f"{int(y.sum()):,} positive ({label})")
        challenger, points = backtest_figures(result.validation, result.metrics)
        champion_figures = on_basis = None
        basis = ""
        if champion is not None:
            loaded = load_model(f"models:/{name}/{before}")
            champion_figures, on_basis, basis = _versus_champion(loaded, sx, valid, config)
        decision = judge(challenger, champion_figures, config.gate, guard_checks(result.model.metadata),
                         points=points, basis=basis, challenger_on_basis=on_basis)
        status = "promoted" if decision.promote else "kept"
        _record_run(client, result.run_id, key, decision, before, status)

        if not decision.promote:
            if before is not None:
                line = f"kept: {decision.reasons()} (run {result.run_id}, {_now()})"
                client.set_model_version_tag(name, before, "propensity.gate.last_challenge", line[:4000])
                client.set_model_version_tag(name, before, "propensity.gate.last_challenge_run", result.run_id)
                client.set_model_version_tag(name, before, "propensity.gate.figures", decision.figures())
                message = f"the challenger failed the gate; champion stays version {before}"
            else:
                message = (
                    "the first challenger failed the gate; there is NO champion and nothing to score with: "
                    f"{decision.rule}. Meanwhile `propensity score DATA_DIR --points` ranks by the points table"
                )
                log.error("retrain %s: %s", name, message)
            return RetrainOutcome("kept", name, before, before, message, decision, result.run_id, holdout)

        tags = {
            KEY_TAG: key,
            PREVIOUS_TAG: before or "",
            "propensity.label": label,
            "propensity.valid_roc_auc": f"{challenger['roc_auc']:.4f}",
            "propensity.data_fingerprint": export.fingerprint,
            "propensity.gate.decision": "promoted",
            "propensity.gate.reasons": decision.reasons(),
            "propensity.gate.figures": decision.figures(),
            "propensity.gate.run_id": result.run_id,
            "propensity.promoted_at": _now(),
        }
        version = _register(client, name, result.model_uri, result.run_id, tags)
        client.set_tag(result.run_id, "propensity.gate.challenger_version", version)
        _move_champion(client, name, version, before, result.run_id, f"replaced by version {version}: {decision.reasons()}",
                       decision.figures())
        message = f"version {version} is the champion" + (f" (was version {before})" if before else " (first model)")
        return RetrainOutcome("promoted", name, before, version, message, decision, result.run_id, holdout)


# ------------------------------------------------------------------ rollback
def rollback(*, tracking_uri: str, model_name: str, experiment: str = "propensity") -> RollbackOutcome:
    """Point `champion` back to the version the current champion replaced; record it."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from propensity.lifecycle._tracking import CHAMPION, use_tracking

    with exclusive(tracking_uri, model_name, "rollback"):
        exp_id = use_tracking(tracking_uri, experiment)
        client = mlflow.MlflowClient()
        champion = _champion(client, model_name)
        if champion is None:
            raise UsageError(f"model '{model_name}' has no champion to roll back")
        current = str(champion.version)
        previous = (champion.tags or {}).get(PREVIOUS_TAG, "")
        if not previous:
            raise UsageError(f"version {current} of '{model_name}' has no previous champion to roll back to")
        try:
            target = client.get_model_version(model_name, previous)
        except MlflowException:
            raise UsageError(f"the previous champion, version {previous} of '{model_name}', no longer exists") from None
        at = _now()
        with mlflow.start_run(experiment_id=exp_id, run_name=f"rollback {model_name} {current} -> {previous}") as run:
            mlflow.set_tags(
                {
                    "propensity.kind": "rollback",
                    "propensity.rollback.model": model_name,
                    "propensity.rollback.from": current,
                    "propensity.rollback.to": previous,
                    "mlflow.note.content": f"Rolled `{model_name}` back from version {current} to version {previous} at {at}.",
                }
            )
        run_id = str(run.info.run_id)
        client.set_model_version_tag(model_name, current, "propensity.rolled_back_at", at)
        client.set_model_version_tag(model_name, current, "propensity.rolled_back_to", previous)
        client.set_model_version_tag(model_name, current, "propensity.rollback.run_id", run_id)
        client.set_model_version_tag(model_name, previous, "propensity.restored_at", at)
        client.set_model_version_tag(model_name, previous, "propensity.restored_from", current)
        if "propensity.replaced_by" in (target.tags or {}):
            client.delete_model_version_tag(model_name, previous, "propensity.replaced_by")
        _append_trail(client, model_name, previous, "rollback", run_id, at)
        client.set_registered_model_alias(model_name, CHAMPION, previous)
        return RollbackOutcome(model_name, current, previous, run_id)
