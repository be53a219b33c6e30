"""Know before you train: is the export enough, and what to change when it is not.

`check_export` gathers what training would see (the history span, the label and the outcome names
the export holds, the event types, the open leads and positives at every matured monthly cutoff,
the backtest folds) and the preflight's verdict on them, without building a feature; `render_check`
prints it, `render_summary` in a few lines (what `propensity train` prints first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from propensity._config import Config
from propensity._errors import PropensityError
from propensity.io._export import CrmExport
from propensity.io._outcome_names import (
    OutcomeMatch,
    match_outcomes,
    outcome_counts,
    refuse_mistyped_outcomes,
)
from propensity.training._labels import SplitPlan

__all__ = ["CheckReport", "check_export", "flat_table_hint", "render_check", "render_summary"]

# Events per contact at or below which an export looks like a one-row-per-lead table.
SPARSE_EVENTS_PER_CONTACT = 1


@dataclass(frozen=True)
class CheckReport:
    """What training would see in an export under a config, and whether it would run."""

    source: str
    contacts: int
    events: int
    history_first: datetime | None  # the first and last event (contact creation when no event)
    history_last: datetime | None
    config: Config
    outcomes: dict[str, int]  # rows per outcome name in the export, most frequent first
    positives: tuple[OutcomeMatch, ...]  # each configured positive outcome against those names
    event_types: pl.DataFrame  # event_type, events (up to the newest matured cutoff), used (in the vocabulary)
    plan: SplitPlan | None
    per_cutoff: pl.DataFrame | None  # cutoff, open_leads, positives, fold (-1: not judged)
    counts: dict[str, int]  # the preflight's totals, when it got that far
    warnings: tuple[str, ...]
    refusal: str | None  # why training would be refused (the preflight's or the plan's message)

    @property
    def days(self) -> int:
        if self.history_first is None or self.history_last is None:
            return 0
        return (self.history_last - self.history_first).days

    @property
    def exit_code(self) -> int:
        return 0 if self.refusal is None else PropensityError.exit_code

    def verdict(self) -> str:
        if self.refusal is not None:
            return f"check: not enough: {self.refusal}"
        return "check: ok with warnings" if self.warnings else "check: ok"


def flat_table_hint(export: CrmExport) -> str | None:
    """A warning when the export has (almost) no engagement history: no events, or at most one per
    contact, as when a one-row-per-lead table was split into contacts and events."""
    if export.n_events:
        most = export.most_events_per_contact()
        if most > SPARSE_EVENTS_PER_CONTACT:
            return None
        what = f"{export.n_events:,} events, at most {most} per contact"
    else:
        what = "no events"
    extra = [c for c in export.contacts.columns if c not in ("contact_id", "account_id", "created_at", "job_title", "lead_source")]
    columns = f" and its contacts carry {len(extra)} more columns" if extra else ""
    return (
        f"the export has {what}{columns}: it looks like a one-row-per-lead table, which a flat table may serve better "
        "(`propensity train --table FILE --target COLUMN --id COLUMN`, see the README section \"A flat lead table\")"
    )


def _history_span(export: CrmExport) -> tuple[datetime | None, datetime | None]:
    span = export.event_span()
    first, last = span if span is not None else (export.contacts["created_at"].min(), export.contacts["created_at"].max())
    return (first if isinstance(first, datetime) else None, last if isinstance(last, datetime) else None)


def _event_types(export: CrmExport, config: Config, plan: SplitPlan | None) -> pl.DataFrame:
    """Events per type known at the newest matured cutoff (what the feature vocabulary is learned
    from; every event when there is no plan) and whether the type makes the vocabulary."""
    f = config.features
    counts = (
        export.event_type_counts(None if plan is None else plan.cutoffs[-1])
        .rename({"len": "events"})
        .sort(["events", "event_type"], descending=[True, False])
    )
    rank = pl.int_range(pl.len()) < f.max_event_types
    return counts.with_columns(((pl.col("events") >= f.min_event_type_count) & rank).alias("used"))


def check_export(export: CrmExport, config: Config, *, count_leads: bool = True) -> CheckReport:
    """What training would see and whether it would run (nothing is built or written).

    `count_leads=False` skips the open leads per cutoff and the preflight (train's short summary:
    train counts them itself)."""
    from propensity.training._preflight import cutoff_counts, judge_counts
    from propensity.training._training_set import default_plan

    counts_by_name = outcome_counts(export.outcomes)
    positives = match_outcomes(config.label.positive_outcomes, counts_by_name)
    warnings: list[str] = []
    refusal: str | None = None
    try:
        refuse_mistyped_outcomes(export.outcomes, config.label)
    except PropensityError as exc:  # named, not counted as "0 positives"
        refusal = str(exc)
    outcomes_ok = refusal is None
    warnings += [m.message() for m in positives if not m.rows and refusal is None]
    hint = flat_table_hint(export)
    if hint:
        warnings.append(hint)
    plan = per_cutoff = None
    totals: dict[str, int] = {}
    try:
        plan = default_plan(export, config)
    except PropensityError as exc:
        refusal = refusal or str(exc)
    event_types = _event_types(export, config, plan)
    if plan is not None and not event_types["used"].any():
        # a thin export still trains, on who the leads are and how old they are
        warnings.append(
            f"events: no event type occurs at least {config.features.min_event_type_count} times up to "
            f"{plan.cutoffs[-1]:%Y-%m-%d} ([features] min_event_type_count): the model learns from who the leads are and "
            "how long they have been in the CRM, without engagement features"
        )
    if plan is not None and count_leads and outcomes_ok:
        per_cutoff = cutoff_counts(export, config, plan)
        try:
            checked = judge_counts(config, plan, per_cutoff)
            totals, warnings = dict(checked.counts), warnings + list(checked.warnings)
        except PropensityError as exc:
            refusal = refusal or str(exc)
    first, last = _history_span(export)
    return CheckReport(
        source=export.source, contacts=export.contacts.height, events=export.n_events, history_first=first,
        history_last=last, config=config, outcomes=counts_by_name, positives=positives, event_types=event_types,
        plan=plan, per_cutoff=per_cutoff, counts=totals, warnings=tuple(warnings), refusal=refusal,
    )


# ------------------------------------------------------------------------------------ rendering
def _span_line(r: CheckReport) -> str:
    if r.history_first is None or r.history_last is None:
        return "history: no dated rows"
    what = "events" if r.events else "contacts created (no events)"
    return f"history: {r.history_first:%Y-%m-%d} .. {r.history_last:%Y-%m-%d} ({r.days:,} days of {what})"


def _label_lines(r: CheckReport) -> list[str]:
    label = r.config.label
    rows = sum(m.rows for m in r.positives)
    held_rows = f"{rows:,} rows of these outcomes" if rows else "none of these outcomes occurs in the export"
    lines = [f"label: {' or '.join(map(repr, label.positive_outcomes))} within {label.horizon_days} days ({held_rows})"]
    held = ", ".join(f"{name} {n:,}" for name, n in r.outcomes.items()) or "none"
    lines.append(f"outcomes in the export: {held}")
    return lines


def _plan_line(plan: SplitPlan) -> str:
    return (
        f"plan: {len(plan.cutoffs)} matured monthly cutoffs ({plan.cutoffs[0]:%Y-%m-%d} .. {plan.cutoffs[-1]:%Y-%m-%d}), "
        f"{len(plan.folds)} backtest folds"
    )


def render_summary(r: CheckReport) -> str:
    """A few lines: history, label, plan (what `propensity train` prints before it trains)."""
    lines = [_span_line(r), *_label_lines(r)[:1]]
    if r.plan is not None:
        lines.append(_plan_line(r.plan))
    used = int(r.event_types["used"].sum())
    lines.append(f"event types: {used} of {r.event_types.height} reach [features] min_event_type_count {r.config.features.min_event_type_count}")
    lines += [f"warning: {w}" for w in r.warnings]
    return "\n".join(lines)


def render_check(r: CheckReport) -> str:
    """The whole report, ending with the verdict line."""
    from propensity.reports._text import format_table

    lines = [f"check {r.source}: {r.contacts:,} contacts, {r.events:,} events", _span_line(r), *_label_lines(r), ""]
    if r.plan is not None:
        lines.append(_plan_line(r.plan))
        if r.per_cutoff is not None:
            rows = [
                [f"{c:%Y-%m-%d}", n, p, f"{100 * p / n:.2f}%" if n else "n/a", f"fold {k}" if k >= 0 else "-"]
                for c, n, p, k in r.per_cutoff.select("cutoff", "open_leads", "positives", "fold").iter_rows()
            ]
            lines.append(format_table(["cutoff", "open leads", "positives", "rate", "judged"], rows))
        else:
            lines.append("(open leads per cutoff not counted: fix the positive outcomes first)")
        lines.append("backtest folds:")
        for k, fold in enumerate(r.plan.folds):
            judged = ", ".join(f"{t:%Y-%m-%d}" for t in fold.judged)
            lines.append(f"  fold {k}: fit {fold.fit[0]:%Y-%m-%d} .. {fold.fit[-1]:%Y-%m-%d} ({len(fold.fit)} cutoff{'s' if len(fold.fit) > 1 else ''}) -> judged {judged}")
        if r.per_cutoff is not None:
            lines.append(_totals_line(r, r.per_cutoff))
        lines.append("")
    f = r.config.features
    lines.append(f"event types (events up to the newest matured cutoff; used: at least [features] min_event_type_count "
                 f"{f.min_event_type_count}, at most max_event_types {f.max_event_types}):")
    if r.event_types.height:
        rows = [[t, n, "yes" if u else "no"] for t, n, u in r.event_types.iter_rows()]
        lines.append(format_table(["event type", "events", "used"], rows))
    else:
        lines.append("  (none)")
    lines.append("")
    lines += [f"warning: {w}" for w in r.warnings]
    lines.append(r.verdict())
    return "\n".join(lines)


def _totals_line(r: CheckReport, per_cutoff: pl.DataFrame) -> str:
    p = r.config.preflight
    pos = int(per_cutoff["positives"].sum())
    neg = int(per_cutoff["open_leads"].sum()) - pos
    return (
        f"totals over the matured cutoffs: {pos:,} positive and {neg:,} negative open leads "
        f"([preflight] needs at least {p.min_positives:,} / {p.min_negatives:,}, steady from {p.warn_positives:,} / {p.warn_negatives:,})"
    )
