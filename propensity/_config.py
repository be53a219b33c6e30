"""Configuration: what counts as success, which features, how to train, the points table.

Every default lives here, once. `training/default.toml` and `features/default.toml` are the
same defaults written out for a team to copy, version and review; a test keeps them equal.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from propensity._errors import UsageError

__all__ = [
    "LabelConfig",
    "FeatureConfig",
    "SplitConfig",
    "ModelConfig",
    "PointsConfig",
    "GradeConfig",
    "SearchConfig",
    "PreflightConfig",
    "LeakageConfig",
    "ScorecardConfig",
    "GateConfig",
    "AliasConfig",
    "SalesforceConfig",
    "HubspotConfig",
    "Config",
    "load_config",
    "config_to_dict",
]


@dataclass(frozen=True)
class LabelConfig:
    """A contact is positive at cutoff t when one of `positive_outcomes` occurs in (t, t + horizon]."""

    positive_outcomes: tuple[str, ...] = ("opportunity",)
    horizon_days: int = 90


@dataclass(frozen=True)
class FeatureConfig:
    """The feature set: trailing windows, high-intent event types, vocabulary limits."""

    windows_days: tuple[int, ...] = (7, 30, 90, 365)
    trend_days: int = 30
    high_intent_events: tuple[str, ...] = ("pricing_page_view", "demo_request", "form_fill")
    min_event_type_count: int = 20
    max_event_types: int = 40
    max_categories: int = 30
    # decay-weighted engagement: an event counts 0.5 ** (age / half-life)
    decay_half_life_days: float = 14.0
    # acceleration: the last `acceleration_days` against the rest of the trend window
    acceleration_days: int = 7
    # buying-committee depth (engaged contacts by seniority and department) over this window
    committee_days: int = 30
    unsubscribe_events: tuple[str, ...] = ("email_unsubscribe",)
    # outcomes known at the cutoff (a colleague's opportunity, the contact's own mql) as features
    outcome_history: bool = True


@dataclass(frozen=True)
class SplitConfig:
    """Monthly cutoffs and the rolling-origin backtest.

    A cutoff is matured when its whole label window has passed by the end of the export; the first
    one comes after `min_history_days` of recorded history and at most the newest
    `max_train_cutoffs` are used. The served model is fitted on every one of them. The figures come
    from `backtest_folds` forward folds: each is judged on one of the newest matured cutoffs and
    fitted on every cutoff whose label window closed before it (an expanding window).
    """

    min_history_days: int = 60
    max_train_cutoffs: int = 24
    backtest_folds: int = 4


# settings that were replaced: a file that still names one gets one line saying what replaced it
_REPLACED = {
    ("split", "calibration_cutoffs"): "split.backtest_folds (calibration is fitted on the backtest's out-of-time predictions)",
    ("split", "valid_cutoffs"): "split.backtest_folds (every figure comes from the rolling-origin backtest)",
}


@dataclass(frozen=True)
class ModelConfig:
    """LightGBM settings; the backtest's early stopping decides the number of trees of the served model."""

    learning_rate: float = 0.05
    num_leaves: int = 15
    max_depth: int = 5
    min_child_samples: int = 50
    feature_fraction: float = 0.8
    bagging_fraction: float = 0.8
    bagging_freq: int = 1
    lambda_l2: float = 1.0
    num_boost_round: int = 600
    early_stopping_rounds: int = 50
    seed: int = 0


@dataclass(frozen=True)
class PointsConfig:
    """The hand-tuned points the model replaces: lifetime points per event and profile bonuses."""

    events: dict[str, float] = field(
        default_factory=lambda: {
            "email_open": 1,
            "email_click": 3,
            "web_visit": 2,
            "content_download": 5,
            "form_fill": 10,
            "webinar_attended": 10,
            "pricing_page_view": 15,
            "demo_request": 25,
            "email_unsubscribe": -10,
        }
    )
    title_bonus: dict[str, float] = field(
        default_factory=lambda: {"c_level": 20, "vp": 15, "director": 10, "head": 10, "manager": 5}
    )
    size_bonus: dict[str, float] = field(default_factory=lambda: {"1000": 10, "200": 5})
    window_days: int | None = None


@dataclass(frozen=True)
class GradeConfig:
    """Grades by share of the validation population: A is the top `a`, B the next `b`, and so on."""

    a: float = 0.10
    b: float = 0.20
    c: float = 0.30


@dataclass(frozen=True)
class GateConfig:
    """When a model goes into service (`propensity retrain`, and `propensity train`'s champion alias).

    Every model, the first one included, must beat the hand-tuned points on the backtest's leads:
    ROC AUC by at least `points_auc_margin` and top-10% capture by at least `points_capture_margin`
    (absolute), be calibrated (ECE <= `max_ece`) and clear the floors, safety nets against a model
    that learned noise: ROC AUC >= `min_roc_auc`, at least `min_auc_z` standard errors above chance,
    PR AUC at least `min_pr_lift` times the positive rate. Against a champion, PR AUC and top-10%
    capture may be at most `pr_auc_margin` and `capture_margin` below the champion's (absolute), on
    leads neither model was fitted on. Judged leads with fewer than `min_holdout_positives` positives
    cannot judge a model: the retrain is refused.
    """

    pr_auc_margin: float = 0.02
    capture_margin: float = 0.05
    points_auc_margin: float = 0.02
    points_capture_margin: float = 0.0
    max_ece: float = 0.02
    min_roc_auc: float = 0.60
    min_auc_z: float = 2.0
    min_pr_lift: float = 1.5
    min_holdout_positives: int = 10


@dataclass(frozen=True)
class SearchConfig:
    """A small, seeded hyperparameter search (optuna) on the newest `folds` backtest folds, within a
    wall-clock budget.

    Trial 0 is the [model] settings themselves, so the search can only replace them with settings that
    did better on the folds. `trials = 0` (or 1), or fewer than `min_positives` positive leads in the
    first searched fold's training cutoffs, trains the [model] settings as they are.
    """

    trials: int = 8
    timeout_seconds: float = 45.0
    folds: int = 2
    # fewer positive training leads than this: fold-to-fold noise would drive the choice; no search
    min_positives: int = 200


@dataclass(frozen=True)
class PreflightConfig:
    """Minimum data to learn from: positive and negative open leads over every matured cutoff.

    Fewer than `min_positives` / `min_negatives` refuses to train (exit code 2, with the counts);
    fewer than `warn_positives` / `warn_negatives` trains but warns that the model will be unstable.
    """

    min_positives: int = 20
    min_negatives: int = 200
    warn_positives: int = 100
    warn_negatives: int = 1000


@dataclass(frozen=True)
class LeakageConfig:
    """The leakage guard: a feature or attribute whose single-column ROC AUC reaches `threshold` is an
    outcome in disguise and is excluded, unless named in `keep`."""

    threshold: float = 0.90
    keep: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScorecardConfig:
    """Points learned from data: integer points per event type x window and per attribute band.

    `points_per_doubling` points add up to double the odds; `max_bands` bands per numeric attribute.
    """

    points_per_doubling: float = 10.0
    max_bands: int = 4
    l2: float = 1.0


@dataclass(frozen=True)
class AliasConfig:
    """Synonyms read as one value (`[events.aliases]`, `[outcomes.aliases]`): a spelling, matched ignoring
    case, spaces, underscores and hyphens, and the value it means, e.g. "Webinar Attendance" = "webinar_attended"."""

    aliases: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SalesforceConfig:
    """`propensity import salesforce`: which stages are opportunities and which are won (names matched
    ignoring case, spaces, underscores and hyphens; a stage in no list is an error), and how Tasks, Events
    and CampaignMember responses become event types: `subject_patterns` (regular expressions, case ignored,
    first match wins) before `activity_types` (the Type field); campaign members by their Campaign's Type.
    `outcome_dates`: a date field of Lead or Contact read as an outcome, e.g. MQL_Date__c = "mql"."""

    opportunity_stages: tuple[str, ...] = (
        "Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
        "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost",
    )
    closed_won_stages: tuple[str, ...] = ("Closed Won",)
    ignored_stages: tuple[str, ...] = ()
    subject_patterns: dict[str, str] = field(
        default_factory=lambda: {
            "email_unsubscribe": "unsubscribe",
            "email_click": "^clicked",
            "email_open": "^(opened email|email opened)",
            "pricing_page_view": "^visited .*pricing",
            "web_visit": "^visited",
            "demo_request": "demo request",
            "form_fill": "^(filled out|submitted) form",
            "content_download": "^downloaded",
        }
    )
    activity_types: dict[str, str] = field(default_factory=lambda: {"Call": "call", "Meeting": "meeting", "Email": "email"})
    campaign_types: dict[str, str] = field(
        default_factory=lambda: {"Webinar": "webinar_attended", "Conference": "event_attended", "Trade Show": "event_attended"}
    )
    outcome_dates: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HubspotConfig:
    """`propensity import hubspot`: lifecycle-stage dates read as outcomes, deal stages (opportunities, won;
    a stage in no list is an error) and event types (email events' `type`, web events' `eventType`, then
    `url_patterns` on the page URL; case ignored)."""

    lifecycle_outcomes: dict[str, str] = field(
        default_factory=lambda: {"marketingqualifiedlead": "mql", "salesqualifiedlead": "sql", "opportunity": "opportunity", "customer": "closed_won"}
    )
    deal_stages: tuple[str, ...] = (
        "appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent", "closedwon", "closedlost",
    )
    closed_won_stages: tuple[str, ...] = ("closedwon",)
    ignored_deal_stages: tuple[str, ...] = ()
    event_types: dict[str, str] = field(
        default_factory=lambda: {
            "OPEN": "email_open", "CLICK": "email_click", "STATUSCHANGE": "email_unsubscribe",
            "e_visited_page": "web_visit", "e_submitted_form": "form_fill", "e_downloaded_content": "content_download",
            "e_attended_webinar": "webinar_attended",
        }
    )
    ignored_event_types: tuple[str, ...] = ("SENT", "DELIVERED", "PROCESSED", "DEFERRED", "BOUNCE", "DROPPED", "SPAMREPORT", "FORWARD", "PRINT")
    url_patterns: dict[str, str] = field(default_factory=lambda: {"pricing_page_view": "/pricing", "demo_request": "/demo"})


@dataclass(frozen=True)
class Config:
    label: LabelConfig = field(default_factory=LabelConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    points: PointsConfig = field(default_factory=PointsConfig)
    grades: GradeConfig = field(default_factory=GradeConfig)
    gate: GateConfig = field(default_factory=GateConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    preflight: PreflightConfig = field(default_factory=PreflightConfig)
    leakage: LeakageConfig = field(default_factory=LeakageConfig)
    scorecard: ScorecardConfig = field(default_factory=ScorecardConfig)
    events: AliasConfig = field(default_factory=AliasConfig)
    outcomes: AliasConfig = field(default_factory=AliasConfig)
    salesforce: SalesforceConfig = field(default_factory=SalesforceConfig)
    hubspot: HubspotConfig = field(default_factory=HubspotConfig)
    model_name: str = "lead-propensity"
    experiment: str = "propensity"


_SECTIONS: dict[str, type] = {
    "label": LabelConfig,
    "features": FeatureConfig,
    "split": SplitConfig,
    "model": ModelConfig,
    "points": PointsConfig,
    "grades": GradeConfig,
    "gate": GateConfig,
    "search": SearchConfig,
    "preflight": PreflightConfig,
    "leakage": LeakageConfig,
    "scorecard": ScorecardConfig,
    "events": AliasConfig,
    "outcomes": AliasConfig,
    "salesforce": SalesforceConfig,
    "hubspot": HubspotConfig,
}


def _section(cls: type, values: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    section = next((name for name, c in _SECTIONS.items() if c is cls), "")
    out: dict[str, Any] = {}
    for key, value in values.items():
        if (section, key) in _REPLACED:
            raise UsageError(f"{where}: '{key}' is no longer a setting: use {_REPLACED[section, key]}")
        if key not in known:
            raise UsageError(f"{where}: unknown setting '{key}' (known: {', '.join(sorted(known))})")
        default = getattr(cls(), key)
        if isinstance(default, tuple):
            if not isinstance(value, list):
                raise UsageError(f"{where}: '{key}' must be a list, got {value!r}")
            value = tuple(value)
        elif isinstance(default, bool) or (isinstance(default, (int, float)) and not isinstance(value, (int, float))):
            if type(value) is not type(default):
                raise UsageError(f"{where}: '{key}' must be a number, got {value!r}")
        elif isinstance(default, dict) and not isinstance(value, dict):
            raise UsageError(f"{where}: '{key}' must be a table, got {value!r}")
        out[key] = value
    return replace(cls(), **out)


def _validate(config: Config) -> None:
    if config.label.horizon_days <= 0:
        raise UsageError(f"label.horizon_days must be > 0, got {config.label.horizon_days}")
    if not config.label.positive_outcomes:
        raise UsageError("label.positive_outcomes must name at least one outcome")
    if not config.features.windows_days or min(config.features.windows_days) <= 0:
        raise UsageError(f"features.windows_days must be positive, got {config.features.windows_days}")
    g = config.grades
    if not (0 < g.a and 0 < g.b and 0 < g.c and g.a + g.b + g.c < 1):
        raise UsageError(f"grades a, b, c must be positive and sum below 1, got {g.a}, {g.b}, {g.c}")
    if config.search.trials < 0 or config.search.timeout_seconds < 0 or config.search.folds < 1:
        raise UsageError(f"search.trials and search.timeout_seconds must be >= 0 and search.folds >= 1, got {config.search}")
    if not 0.5 < config.leakage.threshold <= 1:
        raise UsageError(f"leakage.threshold must be above 0.5 and at most 1, got {config.leakage.threshold}")
    if config.scorecard.points_per_doubling <= 0 or config.scorecard.max_bands < 2:
        raise UsageError(f"scorecard.points_per_doubling must be > 0 and scorecard.max_bands >= 2, got {config.scorecard}")
    if config.split.backtest_folds < 1 or config.split.max_train_cutoffs < 2 or config.split.min_history_days < 0:
        raise UsageError(
            "split.backtest_folds must be >= 1, split.max_train_cutoffs >= 2 and split.min_history_days >= 0, "
            f"got {config.split}"
        )
    for section in ("events", "outcomes"):
        for key, value in getattr(config, section).aliases.items():
            if not isinstance(value, str) or not value.strip():
                raise UsageError(f"[{section}.aliases] {key!r} must name a value as text, got {value!r}")
    gate = config.gate
    if min(gate.pr_auc_margin, gate.capture_margin, gate.max_ece, gate.min_auc_z, gate.min_pr_lift) < 0 or not (
        -1 <= gate.points_auc_margin <= 1 and -1 <= gate.points_capture_margin <= 1
    ):
        raise UsageError(f"gate margins, max_ece, min_auc_z and min_pr_lift must be >= 0 (points margins between -1 and 1), got {gate}")
    if not 0.5 <= gate.min_roc_auc <= 1:
        raise UsageError(f"gate.min_roc_auc must be between 0.5 and 1, got {gate.min_roc_auc}")


def load_config(*paths: str | Path | None, overrides: dict[str, Any] | None = None) -> Config:
    """Read TOML files (later ones win, section by section) over the defaults."""
    merged: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for path in paths:
        if path is None:
            continue
        p = Path(path)
        if not p.is_file():
            raise UsageError(f"{p}: config file not found")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{p}: not valid TOML ({exc})") from None
        for key, value in data.items():
            if key in _SECTIONS:
                if not isinstance(value, dict):
                    raise UsageError(f"{p}: [{key}] must be a table")
                _section(_SECTIONS[key], value, f"{p}: [{key}]")  # name the file in any error
                merged.setdefault(key, {}).update(value)
            elif key in ("model_name", "experiment"):
                top[key] = value
            else:
                raise UsageError(f"{p}: unknown section '{key}' (known: {', '.join(sorted(_SECTIONS))})")
    for key, value in (overrides or {}).items():
        top[key] = value
    sections = {name: _section(cls, merged.get(name, {}), f"[{name}]") for name, cls in _SECTIONS.items()}
    config = Config(**sections, **top)
    _validate(config)
    return config


def config_to_dict(config: Config) -> dict[str, Any]:
    """Plain, JSON-ready view of a config (for MLflow params and the model metadata)."""
    return asdict(config)
