"""Batch scoring: every open lead at the as-of date gets a calibrated probability, a grade,
a percentile and its top three reasons, from exactly the features the model was trained on."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from propensity._config import LabelConfig, TrendConfig
from propensity._model import PropensityModel, to_model_frame
from propensity.features._builder import FeatureBuilder
from propensity.flat._model import FlatModel
from propensity.io._export import CrmExport
from propensity.reports._terminal import progress
from propensity.scoring._grades import GradeScale
from propensity.scoring._reasons import FieldIndex, top_reasons
from propensity.scoring._treeshap import explainer_for
from propensity.scoring._trend import contributions_json, moved_by, trend_of
from propensity.scoring._views import VIEW_COLUMNS, VIEW_SCHEMA
from propensity.training._labels import open_leads

__all__ = [
    "REJECT_NO_CREATED_AT",
    "REJECT_NOT_FINITE",
    "SCORE_COLUMNS",
    "ScoreRun",
    "default_as_of",
    "rejects_path",
    "score_columns",
    "score_leads",
]

log = logging.getLogger("propensity")

SCORE_COLUMNS = (
    "contact_id", "account_id", "score", "score_100", "grade", "percentile", "reasons", "model_version",
    # since the previous scoring in the history (propensity.scoring._trend), and how account_id was found (propensity.features._account_match)
    "previous_score", "trend", "moved_by", "account_match",
)


def score_columns(model: PropensityModel) -> tuple[str, ...]:
    """The columns of a scores file: SCORE_COLUMNS, then the fit and engagement views
    (VIEW_COLUMNS of propensity.scoring._views) when the model has them."""
    return SCORE_COLUMNS + (VIEW_COLUMNS if getattr(model, "views", None) is not None else ())


# Why an open lead can be left unscored (listed in the rejects file instead: nothing is lost).
REJECT_NO_CREATED_AT = "created_at is missing: cannot tell when the contact became a lead"
REJECT_NOT_FINITE = "the model returned no finite score for its features"

_LISTED_TYPES = 5  # unknown event types named in the warning before "and N more"


def _empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema={"contact_id": pl.String, "reason": pl.String})


@dataclass(frozen=True)
class ScoreRun:
    """One scoring run: `scores` (one row per scored lead) and `rejects` (contact_id, reason).

    Every open lead is in exactly one of them: ``scored + rejected == open_leads``.
    """

    scores: pl.DataFrame
    as_of: datetime
    read: int
    open_leads: int
    rejects: pl.DataFrame = field(default_factory=_empty_rejects)
    unknown_event_types: dict[str, int] = field(default_factory=dict)
    after_as_of: int = 0  # event and outcome rows later than `as_of` (ignored)
    # a streamed run (`propensity.scoring._stream.score_folder`) writes its scores as it goes and may keep
    # none in `scores`: then these hold its count, grade mix and output file
    n_scored: int | None = None
    grade_counts: dict[str, int] | None = None
    out: Path | None = None
    # contact_id, contributions: each scored lead's business-field contributions (JSON) for the history
    contributions: pl.DataFrame | None = None

    def __post_init__(self) -> None:
        """An in-memory run counts its own scores and grade mix (a streamed run passes them in)."""
        if self.n_scored is None:
            object.__setattr__(self, "n_scored", self.scores.height)
        if self.grade_counts is None and "grade" in self.scores.columns:
            counts = self.scores["grade"].value_counts().sort("grade")
            object.__setattr__(self, "grade_counts", {str(g): int(n) for g, n in counts.iter_rows()})

    def for_history(self) -> pl.DataFrame:
        """The scores with their `contributions` column, as the score history stores them."""
        if self.contributions is None:
            return self.scores
        return self.scores.join(self.contributions, on="contact_id", how="left")

    @property
    def scored(self) -> int:
        return int(self.n_scored or 0)  # filled by __post_init__ (a streamed run passes its own count)

    @property
    def rejected(self) -> int:
        return self.rejects.height


def rejects_path(scores_path: str | Path) -> Path:
    """Where the rejects of a scores file go: ``scores.csv`` -> ``scores.rejects.csv``."""
    p = Path(scores_path)
    return p.with_name(f"{p.stem}.rejects.csv")


def default_as_of(export: CrmExport) -> datetime:
    """The latest event time, or the end of the data when there are no events."""
    if export.events.height:
        return export.events["occurred_at"].max()  # type: ignore[return-value]
    return export.data_end


def score_leads(
    export: CrmExport,
    model: PropensityModel,
    *,
    model_version: str,
    as_of: datetime | None = None,
    chunk_size: int = 100_000,
    previous: pl.DataFrame | None = None,
    trend: TrendConfig | None = None,
) -> ScoreRun:
    """Score every open lead at `as_of`; rows come out sorted by score, best first.

    `previous` (`propensity.lifecycle._score_history.previous_scores`: each lead's previous scoring) gives
    `previous_score`, `trend` and `moved_by` (thresholds from `trend`); without it every lead is `new`.

    An open lead that cannot be scored (no created_at, or no finite score) goes to
    ``ScoreRun.rejects`` with its reason. Event types the model does not know are ignored with
    one warning; rows after `as_of` are ignored (features are point-in-time).
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    as_of = as_of or default_as_of(export)
    meta = model.metadata
    if isinstance(model, FlatModel):
        from propensity._errors import UsageError

        raise UsageError("this model was trained on a flat lead table: score it with --table FILE")
    label = LabelConfig(tuple(meta["label"]["positive_outcomes"]), int(meta["label"]["horizon_days"]))
    dated = export.contacts.filter(pl.col("created_at").is_not_null())
    undated = export.contacts.filter(pl.col("created_at").is_null()).with_columns(
        pl.lit(as_of, dtype=pl.Datetime("us")).alias("created_at")
    )
    leads = open_leads(dated, export.outcomes, [as_of], label).sort("contact_id")
    no_created_at = open_leads(undated, export.outcomes, [as_of], label)
    unknown = _unknown_event_types(export, model)
    after = _rows_after(export, as_of)
    builder = FeatureBuilder.from_spec(model.spec)
    feats = builder.transform(export, leads.select("contact_id", "cutoff"))
    grades = GradeScale.from_dict(meta["grades"])
    index = FieldIndex(model.spec)
    parts = []
    trend = trend or TrendConfig()
    prev = _previous_of(leads, previous)
    for start in progress(range(0, max(leads.height, 1), chunk_size), f"scoring {leads.height:,} leads in chunks of {chunk_size:,}"):
        chunk = feats.slice(start, chunk_size)
        if chunk.height == 0:
            break
        frame = to_model_frame(model.spec, chunk)
        margin = model.margin(frame)
        contrib = explainer_for(model.booster).contributions(frame, margin)  # exact TreeSHAP, fast
        p = model.calibration.apply(margin)
        before = chunk.select("contact_id").join(prev, on="contact_id", how="left", maintain_order="left")
        grade = pl.Series("grade", grades.grade(p), dtype=pl.String)
        views = model.views.columns(frame) if model.views is not None else {}
        parts.append(
            pl.DataFrame(
                {
                    "contact_id": chunk["contact_id"],
                    "score": p,
                    "score_100": GradeScale.score_100(p),
                    "grade": grade,
                    "percentile": grades.percentile(p),
                    "reasons": top_reasons(model.spec, frame, contrib, index=index),
                    "previous_score": before["previous_score"],
                    "trend": trend_of(pl.Series(p), grade, before["previous_score"], before["previous_grade"], trend),
                    "moved_by": moved_by(model.spec, frame, contrib, before["previous_contributions"].to_list(), trend, index=index),
                    "contributions": contributions_json(index, index.group(contrib)),
                    **{k: pl.Series(k, v, dtype=VIEW_SCHEMA[k]) for k, v in views.items()},
                }
            )
        )
    scored = (
        pl.concat(parts)
        if parts
        else pl.DataFrame(
            schema={"contact_id": pl.String, "score": pl.Float64, "score_100": pl.Int16, "grade": pl.String, "percentile": pl.Int16, "reasons": pl.String,
                    "previous_score": pl.Float64, "trend": pl.String, "moved_by": pl.String, "contributions": pl.String,
                    **({k: VIEW_SCHEMA[k] for k in VIEW_COLUMNS} if model.views is not None else {})}
        )
    )
    not_finite = scored.filter(~pl.col("score").is_finite())
    rejects = pl.concat(
        [
            no_created_at.select("contact_id", pl.lit(REJECT_NO_CREATED_AT).alias("reason")),
            not_finite.select("contact_id", pl.lit(REJECT_NOT_FINITE).alias("reason")),
        ]
    ).sort("contact_id")
    full = (
        leads.select("contact_id", "account_id")
        .join(account_match_of(export), on="contact_id", how="left")
        .join(scored.filter(pl.col("score").is_finite()), on="contact_id", how="inner")
        .with_columns(pl.lit(model_version).alias("model_version"))
        .sort(["score", "contact_id"], descending=[True, False])
    )
    out = full.select(score_columns(model))
    total = leads.height + no_created_at.height
    account_for(read=export.contacts.height, open_leads=total, scored=out.height, rejected=rejects.height, as_of=as_of, after=after)
    return ScoreRun(out, as_of, export.contacts.height, total, rejects, unknown, after, contributions=full.select("contact_id", "contributions"))


def account_match_of(export: CrmExport) -> pl.DataFrame:
    """contact_id, account_match: how each contact's account_id was found (the reader's matching,
    propensity.features._account_match), else `crm` (given in the export) or `none`."""
    if export.matching is not None:
        return export.matching.select("contact_id", "account_match")
    return export.contacts.select(
        "contact_id", pl.when(pl.col("account_id").is_not_null()).then(pl.lit("crm")).otherwise(pl.lit("none")).alias("account_match")
    )


def _previous_of(leads: pl.DataFrame, previous: pl.DataFrame | None) -> pl.DataFrame:
    """contact_id, previous_score, previous_grade, previous_contributions of the leads (nulls when new)."""
    schema = {"contact_id": pl.String, "previous_score": pl.Float64, "previous_grade": pl.String, "previous_contributions": pl.String}
    if previous is None or previous.is_empty():
        return pl.DataFrame(schema=schema)
    return previous.select(list(schema)).cast(schema)  # type: ignore[arg-type]


def account_for(*, read: int, open_leads: int, scored: int, rejected: int, as_of: datetime, after: int) -> None:
    """Nothing lost: every open lead is scored or rejected (else an internal error), then the counts
    are logged in one line."""
    if scored + rejected != open_leads:
        raise RuntimeError(f"scored {scored} + rejected {rejected} != {open_leads} open leads")
    log.info(
        "read %s contacts: %s open leads as of %s, %s scored, %s rejected",
        f"{read:,}", f"{open_leads:,}", f"{as_of:%Y-%m-%d %H:%M}", f"{scored:,}", f"{rejected:,}",
    )
    if after:
        log.info("ignored %s event and outcome rows after the as-of date", f"{after:,}")


def _unknown_event_types(export: CrmExport, model: PropensityModel) -> dict[str, int]:
    """Event types the model was not trained on, with their row counts; one warning names them."""
    known = list(model.spec.event_types)
    counts = (
        export.events.filter(~pl.col("event_type").is_in(known))
        .group_by("event_type")
        .len()
        .sort(["len", "event_type"], descending=[True, False])
    )
    unknown = {str(t): int(n) for t, n in counts.iter_rows()}
    if unknown:
        listed = ", ".join(f"{t} ({n:,})" for t, n in list(unknown.items())[:_LISTED_TYPES])
        more = f" and {len(unknown) - _LISTED_TYPES} more" if len(unknown) > _LISTED_TYPES else ""
        log.warning(
            "events: ignored %s rows of %s event types the model was not trained on: %s%s",
            f"{sum(unknown.values()):,}", len(unknown), listed, more,
        )
    return unknown


def _rows_after(export: CrmExport, as_of: datetime) -> int:
    rows = int((export.events["occurred_at"] > as_of).sum())
    if export.outcomes is not None:
        rows += int((export.outcomes["occurred_at"] > as_of).sum())
    return rows
