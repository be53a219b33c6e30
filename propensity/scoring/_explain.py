"""`propensity explain DATA_DIR --model URI --contact ID`: one lead, in the terminal.

The lead's calibrated score, grade and percentile as of a date, its fit and engagement views (the
matrix cell, e.g. `D1`: engages heavily, does not fit), the signed contribution of every
business field (what raised and what lowered the score, in words a rep can read), and its recent
history (events and outcomes up to that date). Built from exactly the features the model scores
with; contact PII never reaches this module (the export drops it on read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from propensity._errors import UsageError
from propensity.io._export import CrmExport

__all__ = ["FieldContribution", "ContactExplanation", "explain_contact", "print_contact"]

_HISTORY = 12  # recent events shown


@dataclass(frozen=True)
class FieldContribution:
    field: str
    driver: str
    contribution: float  # log-odds, signed
    text: str  # the field's main column in words ("4 pricing-page views in the last 7 days")


@dataclass(frozen=True)
class ContactExplanation:
    contact_id: str
    as_of: datetime
    model_version: str
    score: float
    score_100: int
    grade: str
    percentile: int
    baseline: float  # the calibrated probability of the model's average lead (all contributions zero)
    contributions: list[FieldContribution]  # strongest first
    events: list[tuple[datetime, str]]  # most recent first, at or before as_of
    outcomes: list[tuple[datetime, str]]  # at or before as_of
    activity: dict[str, int] = field(default_factory=dict)  # events in the last 7/30/90 days
    status: str = "open lead"
    ignored_after: int = 0  # events after as_of (not used)
    # the fit and engagement views (propensity.scoring._views): fit, fit_grade, fit_percentile, engagement,
    # engagement_level, engagement_percentile, fit_engagement; None for a model without them
    views: dict[str, Any] | None = None


def explain_contact(
    export: CrmExport, model: Any, contact_id: str, *, as_of: datetime | None = None, model_version: str = ""
) -> ContactExplanation:
    """Score and explain one contact as of `as_of` (default: the export's latest event)."""
    from propensity._config import LabelConfig
    from propensity._model import to_model_frame
    from propensity.features._builder import FeatureBuilder
    from propensity.scoring._batch import default_as_of
    from propensity.scoring._grades import GradeScale
    from propensity.scoring._reasons import FieldIndex, describe

    contact_id = str(contact_id).strip()
    row = export.contacts.filter(pl.col("contact_id") == contact_id)
    if row.height == 0:
        raise UsageError(f"--contact {contact_id!r}: no such contact_id in the export's contacts ({export.source})")
    as_of = as_of or default_as_of(export)
    created = row["created_at"][0]
    if isinstance(created, datetime) and created > as_of:
        raise UsageError(f"--contact {contact_id!r} entered the CRM on {created:%Y-%m-%d}, after the as-of date {as_of:%Y-%m-%d}: nothing to explain yet")

    meta = model.metadata
    label = LabelConfig(tuple(meta["label"]["positive_outcomes"]), int(meta["label"]["horizon_days"]))
    pairs = pl.DataFrame({"contact_id": [contact_id], "cutoff": [as_of]}, schema={"contact_id": pl.String, "cutoff": pl.Datetime("us")})
    feats = FeatureBuilder.from_spec(model.spec).transform(export, pairs)
    frame = to_model_frame(model.spec, feats)
    contrib = model.contributions(frame)
    p = float(model.calibration.apply(contrib.sum(axis=1))[0])
    baseline = float(model.calibration.apply(np.array([contrib[0, -1]]))[0])
    grades = GradeScale.from_dict(meta["grades"])
    views = _views_of(model, frame)

    index = FieldIndex(model.spec)
    grouped = index.group(contrib)[0]
    rows = []
    for j, name in enumerate(index.fields):
        cols = np.flatnonzero(index.column_field == j)
        main = cols[int(np.argmax(np.abs(contrib[0, cols])))]
        f = model.spec.features[int(main)]
        value = frame[f.name].astype(object).iloc[0]
        rows.append(FieldContribution(name, model.spec.field_label(name), float(grouped[j]), describe(model.spec, f, value)))
    rows.sort(key=lambda r: (-abs(r.contribution), r.field))

    events = export.events.filter(pl.col("contact_id") == contact_id)
    seen = events.filter(pl.col("occurred_at") <= as_of).sort("occurred_at", descending=True)
    outcomes_frame = export.outcomes.filter(pl.col("contact_id") == contact_id) if export.outcomes is not None else None
    outcomes = (
        [(t, str(o)) for t, o in outcomes_frame.filter(pl.col("occurred_at") <= as_of).sort("occurred_at").select("occurred_at", "outcome").iter_rows()]
        if outcomes_frame is not None
        else []
    )
    activity = {
        f"last {d} days": int(seen.filter(pl.col("occurred_at") > as_of - _days(d)).height) for d in (7, 30, 90)
    }
    converted = [(t, o) for t, o in outcomes if o in label.positive_outcomes]
    status = (
        f"converted ({converted[-1][1]} on {converted[-1][0]:%Y-%m-%d}): no longer an open lead, scored for reference"
        if converted
        else "open lead"
    )
    return ContactExplanation(
        contact_id=contact_id,
        as_of=as_of,
        model_version=model_version,
        score=p,
        score_100=int(GradeScale.score_100(np.array([p]))[0]),
        grade=str(grades.grade(np.array([p]))[0]),
        percentile=int(grades.percentile(np.array([p]))[0]),
        baseline=baseline,
        contributions=rows,
        events=[(t, str(e)) for t, e in seen.head(_HISTORY).select("occurred_at", "event_type").iter_rows()],
        outcomes=outcomes,
        activity=activity,
        status=status,
        ignored_after=events.height - seen.height,
        views=views,
    )


def _views_of(model: Any, frame: Any) -> dict[str, Any] | None:
    """The lead's fit and engagement views, each with its percentile among the backtest's leads."""
    if getattr(model, "views", None) is None:
        return None
    cols = model.views.columns(frame)
    out: dict[str, Any] = {k: (v[0].item() if hasattr(v[0], "item") else v[0]) for k, v in cols.items()}
    out["fit_percentile"] = int(model.views.fit.scale.percentile(cols["fit"])[0])
    out["engagement_percentile"] = int(model.views.engagement.scale.percentile(cols["engagement"])[0])
    return out


def _days(n: int) -> Any:
    from datetime import timedelta

    return timedelta(days=n)


def _bar(value: float, scale: float, width: int = 16) -> str:
    n = int(round(width * min(abs(value) / scale, 1.0))) if scale > 0 else 0
    return ("+" if value >= 0 else "-") * max(n, 1 if abs(value) >= 0.005 else 0)


def print_contact(x: ContactExplanation, top: int = 12) -> None:
    """The explanation as a header line and three tables."""
    from propensity.reports._terminal import print_table
    from propensity.scoring._reasons import odds_text

    version = f" (model version {x.model_version})" if x.model_version else ""
    print(
        f"contact {x.contact_id} as of {x.as_of:%Y-%m-%d %H:%M}{version}: score {100 * x.score:.1f}% "
        f"(1-100: {x.score_100}), grade {x.grade}, percentile {x.percentile}; {x.status}"
    )
    if x.views is not None:
        v = x.views
        print(
            f"fit x engagement: cell {v['fit_engagement']} = fit grade {v['fit_grade']} (who the lead and its account are: "
            f"{100 * v['fit']:.1f}%, percentile {v['fit_percentile']}) and engagement level {v['engagement_level']} of 1-4 "
            f"(what they did: {100 * v['engagement']:.1f}%, percentile {v['engagement_percentile']}); the score above ranks"
        )
    print(f"the model's average lead scores {100 * x.baseline:.1f}%; each business field moves this lead from there:")
    shown = [c for c in x.contributions if abs(c.contribution) >= 0.005][:top]
    scale = max([abs(c.contribution) for c in shown] + [1e-9])
    rows = [[c.driver, odds_text(c.contribution), _bar(c.contribution, scale), c.text] for c in shown]
    print_table(["business field", "effect on the odds", "", "this lead"], rows, title="why this score", numeric=(1,), wrap=(3,))
    rest = len(x.contributions) - len(shown)
    if rest > 0:
        print(f"({rest} more fields with no noticeable effect)")
    activity = ", ".join(f"{n} in the {k}" for k, n in x.activity.items())
    hist = [[f"{t:%Y-%m-%d %H:%M}", e] for t, e in x.events]
    if hist:
        print(f"recent history: {activity}")
        print_table(["when", "event"], hist)
    else:
        print("recent history: no events up to the as-of date")
    if x.outcomes:
        print_table(["when", "outcome"], [[f"{t:%Y-%m-%d %H:%M}", o] for t, o in x.outcomes], title="outcomes")
    if x.ignored_after:
        print(f"({x.ignored_after} later events are after the as-of date and not used)")
