"""Write-back files: the scores reshaped into the columns a CRM imports, within its documented limits.

- **salesforce**: a Bulk API 2.0 upsert CSV on an external id (default the record `Id`): the 1-100
  score (Number), the grade (picklist A-D), the trend (picklist Up, Down, Steady, New) and the top
  reasons in a Text field (at most 255 characters).
- **hubspot**: a contact import CSV keyed by "Record ID" (never an email): the score (number), grade
  and trend (enumeration values a-d style: `A`-`D`, `up`/`down`/`steady`/`new`) and the reasons
  (a single-line text property: at most 65,536 characters).
- **dynamics**: rows of Dynamics 365's `msdyn_predictivescore` table: `msdyn_entityid` (text, at most
  256), `msdyn_entitytype` ("lead"), `msdyn_score` (whole number 0-100), `msdyn_grade` (choice 0-3 for
  grades A-D), `msdyn_scoretrend` (choice 0 improving, 1 steady, 2 declining, 3 not enough info),
  `msdyn_scorereasons` (at most 10,000), `msdyn_scoredon` (a date) and `msdyn_name` (at most 128).

Reasons are cut at a whole reason ("; " separated) to fit, never mid-word unless a single reason is
longer than the limit. Column names come from `[writeback]` (`WritebackConfig`).

The fit and engagement views go where the tool has a natural place for them: Salesforce custom
fields and HubSpot contact properties (HubSpot's own lead scoring keeps fit and engagement scores
apart): `fit` and `engagement` as whole numbers 1-100 (the calibrated probability in percent, as the
score), `fit_grade` a picklist / enumeration A-D, `engagement_level` a whole number 1-4 (1 the most
engaged), `fit_engagement` a picklist / enumeration of the 16 cells A1-D4. Dynamics 365's
`msdyn_predictivescore` has no such column, so its file holds none. A view column is left out when
its name is empty in `[writeback]` or the scores have no views (a model trained without them, or
points), so an import never blanks a field it does not fill.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import polars as pl

from propensity._config import WRITEBACK_VIEW_KEYS, WritebackConfig
from propensity._errors import UsageError
from propensity.scoring._grades import GradeScale

__all__ = ["FORMATS", "LIMITS", "TREND_CODES", "fit_text", "writeback_frame"]

FORMATS = ("salesforce", "hubspot", "dynamics")

# the tools' documented text limits, in characters
LIMITS = {"salesforce": 255, "hubspot": 65_536, "dynamics": 10_000}
_DYNAMICS_ID = 256
_DYNAMICS_NAME = 128
_SALESFORCE_ID = 255

# trend as each tool's picklist holds it; a lead with no trend (points, or an old scores file) is "new"
TREND_CODES = {
    "salesforce": {"up": "Up", "down": "Down", "steady": "Steady", "new": "New"},
    "hubspot": {"up": "up", "down": "down", "steady": "steady", "new": "new"},
    "dynamics": {"up": 0, "steady": 1, "down": 2, "new": 3},
}
_DYNAMICS_GRADE = {"A": 0, "B": 1, "C": 2, "D": 3}
_ENTITY_TYPE = "lead"
_BASE = ("external_id", "score", "grade", "trend", "reasons")
_USED = {"salesforce": _BASE, "hubspot": _BASE, "dynamics": (*_BASE, "entity_type", "scored_on", "name")}
_VIEWS_IN = ("salesforce", "hubspot")  # the tools with a natural place for the views


def fit_text(text: str | None, limit: int) -> str:
    """`text` ("; "-separated reasons) within `limit` characters: whole reasons while they fit."""
    if not text:
        return ""
    if len(text) <= limit:
        return text
    kept = ""
    for part in text.split("; "):
        candidate = f"{kept}; {part}" if kept else part
        if len(candidate) > limit:
            break
        kept = candidate
    return kept or text[: limit - 3].rstrip() + "..."


def writeback_frame(scores: pl.DataFrame, tool: str, config: WritebackConfig | None = None, *, as_of: datetime | None = None) -> pl.DataFrame:
    """The write-back table of a scores frame (`propensity score`'s columns) for `tool`."""
    if tool not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got {tool!r}")
    names = {**asdict(WritebackConfig())[tool], **getattr(config or WritebackConfig(), tool)}
    views = [k for k in WRITEBACK_VIEW_KEYS if tool in _VIEWS_IN and names.get(k) and k in scores.columns]
    used = [names[k] for k in (*_USED[tool], *views)]
    if len(used) != len(set(used)):
        raise UsageError(f"[writeback.{tool}]: two columns have the same name ({', '.join(used)})")
    limit = LIMITS[tool]
    trend = scores["trend"] if "trend" in scores.columns else pl.Series("trend", [None] * scores.height, dtype=pl.String)
    trend = trend.fill_null("new")
    reasons = pl.Series([fit_text(r, limit) for r in scores["reasons"].to_list()], dtype=pl.String)
    ids = scores["contact_id"]
    id_limit = _DYNAMICS_ID if tool == "dynamics" else _SALESFORCE_ID if tool == "salesforce" else None
    if id_limit is not None and ids.len() and (ids.str.len_chars() > id_limit).any():
        raise UsageError(f"--format {tool}: contact_id {ids.filter(ids.str.len_chars() > id_limit)[0]!r} is longer than {id_limit} characters")
    score = scores["score_100"].cast(pl.Int64)
    codes = TREND_CODES[tool]
    if tool == "dynamics":
        stamp = (as_of or datetime.now()).date()
        columns = {
            names["external_id"]: ids,
            names["entity_type"]: pl.Series([_ENTITY_TYPE] * scores.height, dtype=pl.String),
            names["score"]: score.clip(0, 100),
            names["grade"]: scores["grade"].replace_strict(_DYNAMICS_GRADE, return_dtype=pl.Int64),
            names["trend"]: trend.replace_strict(codes, return_dtype=pl.Int64),
            names["reasons"]: reasons,
            names["scored_on"]: pl.Series([stamp] * scores.height, dtype=pl.Date),
            names["name"]: ("propensity " + ids).str.slice(0, _DYNAMICS_NAME),
        }
    else:
        columns = {
            names["external_id"]: ids,
            names["score"]: score,
            names["grade"]: scores["grade"],
            names["trend"]: trend.replace_strict(codes, return_dtype=pl.String),
            names["reasons"]: reasons,
            **{names[k]: _view_values(scores, k) for k in views},
        }
    return pl.DataFrame([s.rename(n) for n, s in columns.items()])


def _view_values(scores: pl.DataFrame, key: str) -> pl.Series:
    """A view column as the tools hold it: probabilities as whole numbers 1-100, levels as whole numbers."""
    column = scores[key]
    if key in ("fit", "engagement"):
        percent = pl.Series(key, GradeScale.score_100(column.fill_null(0.0).to_numpy()), dtype=pl.Int64)
        return pl.select(pl.when(column.is_null()).then(None).otherwise(percent)).to_series()
    if key == "engagement_level":
        return column.cast(pl.Int64)
    return column.cast(pl.String)
