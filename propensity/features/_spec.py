"""The feature registry: one description per feature that both builds it and explains it to a rep.

A `FeatureSpec` is plain data (JSON in the model artifact). Scoring rebuilds exactly the training
features from it, and reasons and drivers group features by their business `field`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["FeatureDef", "FeatureSpec", "event_label", "SPEC_VERSION"]

SPEC_VERSION = 1

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
