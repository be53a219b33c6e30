"""Configuration: what counts as success, which features, how to train, the points table.

Every default lives here, once. `training/default.toml` and `features/default.toml` are the
same defaults written out for a team to copy, version and review; a test keeps them equal.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from typing import Annotated, Any, get_args, get_type_hints

from annotated_types import Ge, Gt, Le, MinLen, Predicate

from propensity._errors import UsageError

# The bounds below are read by pydantic when a file is loaded (`_schema`); to the rest of the code
# they are plain ints, floats and tuples.
Positive = Annotated[int, Gt(0)]
Count = Annotated[int, Ge(0)]
Share = Annotated[float, Gt(0), Le(1)]  # a fraction of rows or features
Name = Annotated[str, MinLen(1)]


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


__all__ = [
    "Config",
    "FeatureConfig",
    "GateConfig",
    "GradeConfig",
    "LabelConfig",
    "LeakageConfig",
    "ModelConfig",
    "PointsConfig",
    "PreflightConfig",
    "ScorecardConfig",
    "SamplingConfig",
    "ViewsConfig",
    "SearchConfig",
    "SplitConfig",
    "AliasConfig",
    "SalesforceConfig",
    "HubspotConfig",
    "TrendConfig",
    "WRITEBACK_VIEW_KEYS",
    "WritebackConfig",
    "config_to_dict",
    "load_config",
]


@dataclass(frozen=True)
class LabelConfig:
    """A contact is positive at cutoff t when one of `positive_outcomes` occurs in (t, t + horizon]."""

    positive_outcomes: Annotated[tuple[Name, ...], MinLen(1)] = ("opportunity",)
    horizon_days: Positive = 90


@dataclass(frozen=True)
class FeatureConfig:
    """The feature set: trailing windows, high-intent event types, vocabulary limits."""

    windows_days: Annotated[tuple[Positive, ...], MinLen(1)] = (7, 30, 90, 365)
    trend_days: Positive = 30
    high_intent_events: tuple[Name, ...] = ("pricing_page_view", "demo_request", "form_fill")
    min_event_type_count: Count = 20
    max_event_types: Count = 40
    max_categories: Count = 30
    # decay-weighted engagement: an event counts 0.5 ** (age / half-life)
    decay_half_life_days: Annotated[float, Gt(0)] = 14.0
    # acceleration: the last `acceleration_days` against the rest of the trend window
    acceleration_days: Positive = 7
    # buying-committee depth (engaged contacts by seniority and department) over this window
    committee_days: Positive = 30
    unsubscribe_events: tuple[Name, ...] = ("email_unsubscribe",)
    # outcomes known at the cutoff (a colleague's opportunity, the contact's own mql) as features
    outcome_history: bool = True
    # contacts/accounts columns kept as features although they look like identifiers (hash-like
    # values, or almost every row its own value); every other identifier-like column is left out
    keep_columns: tuple[Name, ...] = ()


@dataclass(frozen=True)
class SplitConfig:
    """Monthly cutoffs and the rolling-origin backtest.

    A cutoff is matured when its whole label window has passed by the end of the export; the first
    one comes after `min_history_days` of recorded history and at most the newest
    `max_train_cutoffs` are used. The served model is fitted on every one of them. The figures come
    from `backtest_folds` forward folds: each is judged on one of the newest matured cutoffs and
    fitted on every cutoff whose label window closed before it (an expanding window).
    """

    min_history_days: Count = 60
    max_train_cutoffs: Annotated[int, Ge(2)] = 24
    backtest_folds: Positive = 4


# settings that were replaced: a file that still names one gets one line saying what replaced it
_REPLACED = {
    ("split", "calibration_cutoffs"): "split.backtest_folds (calibration is fitted on the backtest's out-of-time predictions)",
    ("split", "valid_cutoffs"): "split.backtest_folds (every figure comes from the rolling-origin backtest)",
}


@dataclass(frozen=True)
class ModelConfig:
    """LightGBM settings; the backtest's early stopping decides the number of trees of the served model."""

    learning_rate: Annotated[float, Gt(0)] = 0.05
    num_leaves: Annotated[int, Ge(2)] = 15
    max_depth: Annotated[int, Ge(-1)] = 5  # -1: no limit
    min_child_samples: Count = 50
    feature_fraction: Share = 0.8
    bagging_fraction: Share = 0.8
    bagging_freq: Count = 1
    lambda_l2: Annotated[float, Ge(0)] = 1.0
    num_boost_round: Positive = 600
    early_stopping_rounds: Count = 50
    seed: Count = 0
    # LightGBM threads: 0 = every core of the machine (os.cpu_count())
    num_threads: Count = 0


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
    # employee_count at or above the key (a number written as text, a TOML key) earns the bonus
    size_bonus: dict[Annotated[str, Predicate(_is_number)], float] = field(default_factory=lambda: {"1000": 10, "200": 5})
    window_days: Positive | None = None


@dataclass(frozen=True)
class GradeConfig:
    """Grades by share of the validation population: A is the top `a`, B the next `b`, and so on."""

    a: Share = 0.10
    b: Share = 0.20
    c: Share = 0.30


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

    pr_auc_margin: Annotated[float, Ge(0)] = 0.02
    capture_margin: Annotated[float, Ge(0)] = 0.05
    points_auc_margin: Annotated[float, Ge(-1), Le(1)] = 0.02
    points_capture_margin: Annotated[float, Ge(-1), Le(1)] = 0.0
    max_ece: Annotated[float, Ge(0)] = 0.02
    min_roc_auc: Annotated[float, Ge(0.5), Le(1)] = 0.60
    min_auc_z: Annotated[float, Ge(0)] = 2.0
    min_pr_lift: Annotated[float, Ge(0)] = 1.5
    min_holdout_positives: Count = 10


@dataclass(frozen=True)
class SearchConfig:
    """A small, seeded hyperparameter search (optuna) on the newest `folds` backtest folds, within a
    wall-clock budget.

    Trial 0 is the [model] settings themselves, so the search can only replace them with settings that
    did better on the folds. `trials = 0` (or 1), or fewer than `min_positives` positive leads in the
    first searched fold's training cutoffs, trains the [model] settings as they are.
    """

    trials: Count = 8
    timeout_seconds: Annotated[float, Ge(0)] = 30.0
    # the budget grows with the rows fitted on, by this many seconds per million, up to max_timeout_seconds
    timeout_per_million_rows: Annotated[float, Ge(0)] = 30.0
    max_timeout_seconds: Annotated[float, Ge(0)] = 300.0
    # true: the trial count alone decides which trials run (same data and seed, same model, whatever the
    # machine's load); the wall-clock budget is then not applied
    deterministic: bool = False
    folds: Positive = 2
    # fewer positive training leads than this: fold-to-fold noise would drive the choice; no search
    min_positives: Count = 200


@dataclass(frozen=True)
class SamplingConfig:
    """Negative downsampling: every positive lead and a seeded fraction of the negatives are fitted on;
    the calibration, fitted on every judged lead, keeps the probabilities exact.

    `negative_rate` 0 chooses it from the counts: all rows while they fit in `max_rows`, else the
    largest rate that does, never fewer than `min_negatives_per_positive` negatives per positive.
    """

    negative_rate: Annotated[float, Ge(0), Le(1)] = 0.0
    max_rows: Positive = 300_000
    min_negatives_per_positive: Positive = 20


@dataclass(frozen=True)
class ViewsConfig:
    """The fit and engagement views beside the score (propensity.scoring._views): fitted when `enabled`,
    on every positive lead and at most `negatives_per_positive` negatives per positive (a seeded
    subset of the rows the model is fitted on, weighted so the calibration stays exact)."""

    enabled: bool = True
    negatives_per_positive: Positive = 20


@dataclass(frozen=True)
class PreflightConfig:
    """Minimum data to learn from: positive and negative open leads over every matured cutoff.

    Fewer than `min_positives` / `min_negatives` refuses to train (exit code 2, with the counts);
    fewer than `warn_positives` / `warn_negatives` trains but warns that the model will be unstable.
    """

    min_positives: Count = 20
    min_negatives: Count = 200
    warn_positives: Count = 100
    warn_negatives: Count = 1000


@dataclass(frozen=True)
class LeakageConfig:
    """The leakage guard: a feature or attribute whose single-column ROC AUC reaches `threshold` is an
    outcome in disguise and is excluded, unless named in `keep`."""

    threshold: Annotated[float, Gt(0.5), Le(1)] = 0.90
    keep: tuple[Name, ...] = ()


@dataclass(frozen=True)
class ScorecardConfig:
    """Points learned from data: integer points per event type x window and per attribute band.

    `points_per_doubling` points add up to double the odds; `max_bands` bands per numeric attribute.
    """

    points_per_doubling: Annotated[float, Gt(0)] = 10.0
    max_bands: Annotated[int, Ge(2)] = 4
    l2: Annotated[float, Ge(0)] = 1.0


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
class TrendConfig:
    """How a lead's score compares with its previous scoring (`trend`, `moved_by` in the scores file).

    `up` when the grade rose (with `grade_change`), or when the score rose by at least `absolute`
    (a probability, 0.02 = 2 points on the 1-100 scale) and by at least `relative` of the previous
    score; `down` the same way down; `steady` otherwise; `new` without a previous scoring.
    `moved_by` names up to `fields` business fields whose contribution changed by at least
    `min_change` (log-odds) since then, the biggest change first.
    """

    absolute: Annotated[float, Ge(0), Le(1)] = 0.02
    relative: Annotated[float, Ge(0)] = 0.20
    grade_change: bool = True
    fields: Annotated[int, Ge(1), Le(5)] = 3
    min_change: Annotated[float, Ge(0)] = 0.05


WRITEBACK_VIEW_KEYS = ("fit", "fit_grade", "engagement", "engagement_level", "fit_engagement")
"""The write-back keys of the fit and engagement views: an empty name ("") leaves the column out."""


@dataclass(frozen=True)
class WritebackConfig:
    """Column names of the write-back files (`propensity score --format salesforce|hubspot|dynamics`),
    keyed by external_id, score, grade, trend and reasons (dynamics also entity_type, scored_on, name;
    salesforce and hubspot also the views: fit, fit_grade, engagement, engagement_level, fit_engagement).
    A file names only the columns it renames: `[writeback.salesforce] grade = "Lead_Grade__c"`; an
    empty name leaves a view column out (`fit = ""`)."""

    salesforce: dict[str, str] = field(
        default_factory=lambda: {
            "external_id": "Id", "score": "Propensity_Score__c", "grade": "Propensity_Grade__c",
            "trend": "Propensity_Trend__c", "reasons": "Propensity_Reasons__c",
            "fit": "Propensity_Fit__c", "fit_grade": "Propensity_Fit_Grade__c", "engagement": "Propensity_Engagement__c",
            "engagement_level": "Propensity_Engagement_Level__c", "fit_engagement": "Propensity_Fit_Engagement__c",
        }
    )
    hubspot: dict[str, str] = field(
        default_factory=lambda: {
            "external_id": "Record ID", "score": "propensity_score", "grade": "propensity_grade",
            "trend": "propensity_trend", "reasons": "propensity_reasons",
            "fit": "propensity_fit", "fit_grade": "propensity_fit_grade", "engagement": "propensity_engagement",
            "engagement_level": "propensity_engagement_level", "fit_engagement": "propensity_fit_engagement",
        }
    )
    dynamics: dict[str, str] = field(
        default_factory=lambda: {
            "external_id": "msdyn_entityid", "score": "msdyn_score", "grade": "msdyn_grade", "trend": "msdyn_scoretrend",
            "reasons": "msdyn_scorereasons", "entity_type": "msdyn_entitytype", "scored_on": "msdyn_scoredon", "name": "msdyn_name",
        }
    )


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
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    views: ViewsConfig = field(default_factory=ViewsConfig)
    events: AliasConfig = field(default_factory=AliasConfig)
    outcomes: AliasConfig = field(default_factory=AliasConfig)
    salesforce: SalesforceConfig = field(default_factory=SalesforceConfig)
    hubspot: HubspotConfig = field(default_factory=HubspotConfig)
    trend: TrendConfig = field(default_factory=TrendConfig)
    writeback: WritebackConfig = field(default_factory=WritebackConfig)
    model_name: Name = "lead-propensity"
    experiment: Name = "propensity"


_TOP = ("model_name", "experiment")  # the settings above the first [section]

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
    "sampling": SamplingConfig,
    "views": ViewsConfig,
    "events": AliasConfig,
    "outcomes": AliasConfig,
    "salesforce": SalesforceConfig,
    "hubspot": HubspotConfig,
    "trend": TrendConfig,
    "writeback": WritebackConfig,
}


# what a wrong value should have been, by pydantic's error type
_EXPECTED = {
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "string_type": "text",
    "string_too_short": "non-empty text",
    "tuple_type": "a list",
    "too_short": "a non-empty list",
    "dict_type": "a table",
    "predicate_failed": "a number",
}
_BOUNDS = {Gt: (">", "gt"), Ge: (">=", "ge"), Le: ("<=", "le")}


@cache
def _schema(cls: type) -> Any:
    """A strict pydantic model of a config dataclass: the same fields, types and bounds, no extra keys."""
    from pydantic import ConfigDict, create_model

    hints = get_type_hints(cls, include_extras=True)
    config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)
    return create_model(f"{cls.__name__}Schema", __config__=config, **{f.name: (hints[f.name], None) for f in fields(cls)})


def _bounds(cls: type, key: str) -> str:
    """The bounds of a field as a reader would say them: 'between 0.5 and 1', '> 0'."""
    found = {type(m): m for m in get_args(get_type_hints(cls, include_extras=True)[key])[1:] if type(m) in _BOUNDS}
    if Ge in found and Le in found:
        return f"between {found[Ge].ge} and {found[Le].le}"
    return " and ".join(f"{_BOUNDS[kind][0]} {getattr(m, _BOUNDS[kind][1])}" for kind, m in found.items())


def _one_line(cls: type, error: dict[str, Any], section: str) -> str:
    """'label.horizon_days must be a whole number, got 90.5': the key, what it should be, the value."""
    loc = [part for part in error["loc"] if part != "[key]"]
    key = (f"{section}." if section else "") + str(loc[0]) + "".join(f"[{part!r}]" if isinstance(part, str) else f"[{part}]" for part in loc[1:])
    ctx = error.get("ctx") or {}
    expected = _EXPECTED.get(error["type"]) or (len(loc) == 1 and _bounds(cls, str(loc[0])))
    if not expected:
        expected = " and ".join(f"{sign} {ctx[name]}" for sign, name in _BOUNDS.values() if name in ctx) or error["msg"]
    value = error["input"]
    return f"{key} must be {expected}, got {list(value) if isinstance(value, tuple) else value!r}"  # a TOML array as written


def _section(cls: type, values: dict[str, Any], where: str, section: str) -> Any:
    """`values` (one TOML table) checked against `cls` and laid over its defaults.

    `where` names the file; any mistake is one line with the file, the key and the bad value.
    """
    from pydantic import ValidationError

    known = {f.name for f in fields(cls)}
    for key in values:
        if (section, key) in _REPLACED:
            raise UsageError(f"{where}[{section}]: '{key}' is no longer a setting: use {_REPLACED[section, key]}")
        if key not in known:
            raise UsageError(f"{where}[{section}]: unknown setting '{key}' (known: {', '.join(sorted(known))})")
    values = {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}
    try:
        _schema(cls).model_validate(values)
    except ValidationError as exc:
        raise UsageError(where + _one_line(cls, exc.errors()[0], section)) from None
    return replace(cls(), **values)  # the values as written: pydantic checks, the dataclass is the API


def _validate(config: Config, where: dict[str, str]) -> None:
    """What no single setting can say: the grades share out less than the whole population."""
    g = config.grades
    if g.a + g.b + g.c >= 1:
        raise UsageError(f"{where.get('grades', '')}grades a, b, c must be positive and sum below 1, got {g.a}, {g.b}, {g.c}")
    for section in ("events", "outcomes"):
        for key, value in getattr(config, section).aliases.items():
            if not isinstance(value, str) or not value.strip():
                raise UsageError(f"{where.get(section, '')}[{section}.aliases] {key!r} must name a value as text, got {value!r}")
    defaults = WritebackConfig()
    for tool in ("salesforce", "hubspot", "dynamics"):
        names = getattr(config.writeback, tool)
        known = set(getattr(defaults, tool))
        for key, value in names.items():
            if key not in known:
                raise UsageError(f"{where.get('writeback', '')}[writeback.{tool}]: unknown column {key!r} (known: {', '.join(sorted(known))})")
            if not value.strip() and (key not in WRITEBACK_VIEW_KEYS or value):
                raise UsageError(f"{where.get('writeback', '')}[writeback.{tool}] {key} must name a column, got {value!r}")


def load_config(*paths: str | Path | None, overrides: dict[str, Any] | None = None) -> Config:
    """Read TOML files (later ones win, section by section) over the defaults."""
    merged: dict[str, dict[str, Any]] = {}
    origin: dict[str, str] = {}  # section -> "file: " of the last file that set it
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
                _section(_SECTIONS[key], value, f"{p}: ", key)  # name the file in any error
                merged.setdefault(key, {}).update(value)
                origin[key] = f"{p}: "
            elif key in _TOP:
                _section(Config, {key: value}, f"{p}: ", "")
                top[key] = value
            else:
                raise UsageError(f"{p}: unknown section '{key}' (known: {', '.join(sorted(_SECTIONS))})")
    top.update(overrides or {})
    _section(Config, top, "", "")
    sections = {name: _section(cls, merged.get(name, {}), origin.get(name, ""), name) for name, cls in _SECTIONS.items()}
    config = Config(**sections, **top)
    _validate(config, origin)
    return config


def config_to_dict(config: Config) -> dict[str, Any]:
    """Plain, JSON-ready view of a config (for MLflow params and the model metadata)."""
    return asdict(config)
