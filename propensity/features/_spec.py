"""The feature registry: one description per feature that both builds it and explains it to a rep.

A `FeatureSpec` is plain data (JSON in the model artifact). Scoring rebuilds exactly the training
features from it, and reasons and drivers group features by their business `field`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["FeatureDef", "FeatureSpec", "event_label", "SPEC_VERSION", "PROFILE", "BEHAVIOUR", "TENURE"]

SPEC_VERSION = 1

# A feature's family (`FeatureDef.family`): who the lead and its account are (fixed attributes: title
# seniority and department, the contact's own columns such as the lead source, firmographics), what
# they did (events, engagement, the buying committee's activity, earlier outcomes), or how long they
# have been in the CRM (the contact's age, the account's contacts so far): time-varying, yet no behaviour.
PROFILE, BEHAVIOUR, TENURE = "profile", "behaviour", "tenure"
_BEHAVIOUR_KINDS = frozenset(
    {"count", "recency", "age", "trend", "distinct", "accel", "decay", "flag", "share", "seniority_share", "outcome", "lag"}
)

_EVENT_LABELS = {
    "email_open": ("email open", "email opens"),
    "email_click": ("email click", "email clicks"),
    "web_visit": ("web visit", "web visits"),
    "form_fill": ("form fill", "form fills"),
    "content_download": ("content download", "content downloads"),
    "webinar_attended": ("webinar attended", "webinars attended"),
    "pricing_page_view": ("pricing-page view", "pricing-page views"),
    "demo_request": ("demo request", "demo requests"),
    "email_unsubscribe": ("unsubscribe", "unsubscribes"),
}


def event_label(event_type: str, n: float = 2) -> str:
    """'pricing_page_view' -> 'pricing-page views' (singular when n == 1)."""
    words = event_type.replace("_", " ")
    singular, plural = _EVENT_LABELS.get(event_type, (words, _plural(words)))
    return singular if n == 1 else plural


def _plural(words: str) -> str:
    """English plural of the last word: 'survey reply' -> 'survey replies', 'search' -> 'searches'."""
    if len(words) > 1 and words.endswith("y") and words[-2] not in "aeiou":
        return words[:-1] + "ies"
    if words.endswith(("s", "x", "z", "ch", "sh")):
        return words + "es"
    return words + "s"


@dataclass(frozen=True)
class FeatureDef:
    """One model input column.

    kind: 'count' (events of `event_type` in the last `window` days), 'recency' (days since the last
    `event_type`, or any event when None), 'age' (days since the first event), 'trend' (events in the
    last `window` days minus the `window` days before), 'distinct' (distinct event types in `window`),
    'accel' (events in the last `window` days minus the expected share of the trend window before),
    'decay' (decay-weighted events, half-life in the spec; `source` 'high_intent' for those only),
    'flag' (1 when the contact ever had an `event_type`, e.g. an unsubscribe), 'share' (the contact's
    share of its account's events in `window`), 'seniority_share' (the contact's seniority weight over
    the engaged committee's in `window`), 'outcome' (days since the contact's last `event_type`
    outcome), 'account' (an account-level aggregate named by `source`: 'engaged', 'engaged:<band>',
    'department:<name>', 'departments', 'events', 'high_intent_events', 'high_intent_contacts',
    'contacts', 'decay', 'decay_high_intent', 'trend', 'accel', 'outcome:<name>',
    'outcome_recency:<name>'), 'numeric' or 'category' (an attribute).
    """

    name: str
    kind: str
    field: str
    event_type: str | None = None
    window: int | None = None
    source: str | None = None

    @property
    def family(self) -> str:
        """PROFILE, BEHAVIOUR or TENURE (see above): what the fit and engagement views are built from."""
        if self.kind in ("category", "numeric"):
            return TENURE if self.source == "created_at" else PROFILE
        if self.kind == "account":
            return TENURE if self.source == "contacts" or self.name == "acct_contacts" else BEHAVIOUR
        if self.kind in _BEHAVIOUR_KINDS:
            return BEHAVIOUR
        raise ValueError(f"feature {self.name!r}: unknown kind {self.kind!r}")

    @property
    def engagement_sign(self) -> int:
        """How the contact's own engagement reads this feature: +1 more is more engaged (event counts,
        decay-weighted events, breadth of activity), -1 more is less engaged (days since an event or an
        earlier outcome, an unsubscribe flag), 0 not a measure of the contact's own engagement (trends,
        shares, account aggregates, attributes). The engagement view is fitted monotone in these signs."""
        return {"count": 1, "decay": 1, "distinct": 1, "recency": -1, "outcome": -1, "flag": -1}.get(self.kind, 0)


@dataclass(frozen=True)
class FeatureSpec:
    features: tuple[FeatureDef, ...]
    event_types: tuple[str, ...]
    high_intent_events: tuple[str, ...]
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    field_labels: dict[str, str] = field(default_factory=dict)
    windows_days: tuple[int, ...] = (7, 30, 90)
    trend_days: int = 30
    version: int = SPEC_VERSION
    decay_half_life_days: float = 14.0
    outcome_types: tuple[str, ...] = ()
    # export columns that look like identifiers and are not features: "table.column" -> why
    left_out: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def categorical(self) -> list[str]:
        return [f.name for f in self.features if f.kind == "category"]

    def names_of(self, family: str) -> list[str]:
        """The features of one family (PROFILE, BEHAVIOUR, TENURE), in the spec's order."""
        return [f.name for f in self.features if f.family == family]

    def by_name(self) -> dict[str, FeatureDef]:
        return {f.name: f for f in self.features}

    def fields(self) -> list[str]:
        seen: dict[str, None] = {}
        for f in self.features:
            seen.setdefault(f.field, None)
        return list(seen)

    def field_label(self, field_name: str) -> str:
        return self.field_labels.get(field_name, field_name.replace("_", " "))

    def to_json(self) -> str:
        data = asdict(self)
        return json.dumps(data, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FeatureSpec:
        data: dict[str, Any] = json.loads(text)
        if data.get("version") != SPEC_VERSION:
            raise ValueError(f"feature specification version {data.get('version')!r} is not {SPEC_VERSION}")
        return cls(
            features=tuple(FeatureDef(**f) for f in data["features"]),
            event_types=tuple(data["event_types"]),
            high_intent_events=tuple(data["high_intent_events"]),
            categories={k: tuple(v) for k, v in data["categories"].items()},
            field_labels=dict(data["field_labels"]),
            windows_days=tuple(data["windows_days"]),
            trend_days=int(data["trend_days"]),
            version=int(data["version"]),
            decay_half_life_days=float(data.get("decay_half_life_days", 14.0)),
            outcome_types=tuple(data.get("outcome_types", ())),
            left_out=dict(data.get("left_out", {})),
        )
