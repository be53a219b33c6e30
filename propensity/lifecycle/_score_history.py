"""Score history: every scoring run appended to an embedded SQLite file, and what it tells sales.

Default file: `score_history.db` beside the MLflow SQLite store (`models/score_history.db`), or any
path given with `--history`. One row per (contact, as-of, model, model version): scoring the same
leads at the same as-of with the same model again replaces those rows with the same values, so a
rerun job never double-counts. Each scoring run also records the model's label definition, so
the realised conversion of its leads can be judged once its horizon has passed.

- `surges`: leads whose grade rose, or whose percentile jumped, since their previous scoring, with
  the reasons that appeared and disappeared: the moment to call.
- `previous_scores`: each lead's latest scoring before an as-of date, with its business fields'
  contributions (table `score_fields`, a compact JSON per lead), for `trend` and `moved_by`.
- `contact_scores`: one lead's scores over the history (`explain --contact`).
- The fit and engagement views (`fit`, `fit_grade`, `engagement`, `engagement_level`,
  `fit_engagement`) are kept beside each score, null for a model without them; a history written
  before they were kept gains the (null) columns the first time a run is appended, and reads as is.
- `realised_conversion`: per model version and grade, how many of the leads scored at an as-of whose
  horizon has passed really converted, next to the mean predicted score.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from propensity._errors import UsageError
from propensity.lifecycle._tracking import parse_model_uri
from propensity.scoring._views import VIEW_COLUMNS, VIEW_SCHEMA

__all__ = [
    "HISTORY_FILE",
    "default_history_path",
    "model_name_of",
    "record_scores",
    "history_run",
    "HistoryRun",
    "read_history",
    "surges",
    "previous_scores",
    "contact_scores",
    "ConversionReport",
    "realised_conversion",
]

HISTORY_FILE = "score_history.db"
_GRADE_RANK = {"D": 0, "C": 1, "B": 2, "A": 3}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scoring_runs (
    as_of TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    model_uri TEXT NOT NULL,
    positive_outcomes TEXT NOT NULL,
    horizon_days INTEGER NOT NULL,
    leads INTEGER NOT NULL,
    scored_at TEXT NOT NULL,
    PRIMARY KEY (as_of, model_name, model_version)
);
CREATE TABLE IF NOT EXISTS scores (
    contact_id TEXT NOT NULL,
    account_id TEXT,
    as_of TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    score REAL NOT NULL,
    grade TEXT NOT NULL,
    percentile INTEGER,
    reasons TEXT,
    PRIMARY KEY (contact_id, as_of, model_name, model_version)
);
CREATE TABLE IF NOT EXISTS score_fields (
    contact_id TEXT NOT NULL,
    as_of TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    contributions TEXT NOT NULL,
    PRIMARY KEY (contact_id, as_of, model_name, model_version)
);
"""


# the view columns of `scores`: added by `_add_view_columns` to a new history as to an older one
_VIEW_SQL_TYPES = {"fit": "REAL", "fit_grade": "TEXT", "engagement": "REAL", "engagement_level": "INTEGER", "fit_engagement": "TEXT"}
_SCORE_COLUMNS = ("contact_id", "account_id", "as_of", "model_name", "model_version", "score", "grade", "percentile", "reasons", *VIEW_COLUMNS)
_UPDATED = ("account_id", "score", "grade", "percentile", "reasons", *VIEW_COLUMNS)
_INSERT_SCORES = (
    f"INSERT INTO scores ({', '.join(_SCORE_COLUMNS)}) VALUES ({', '.join('?' * len(_SCORE_COLUMNS))}) "
    "ON CONFLICT (contact_id, as_of, model_name, model_version) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _UPDATED)
)


def default_history_path(tracking_uri: str | None = None) -> Path:
    """`score_history.db` beside a SQLite tracking store, else `./models/score_history.db`."""
    if tracking_uri and tracking_uri.startswith("sqlite:///"):
        return Path(tracking_uri[len("sqlite:///") :]).parent / HISTORY_FILE
    return Path("models") / HISTORY_FILE


def model_name_of(model_uri: str) -> str:
    """`models:/NAME@alias` or `models:/NAME/3` -> NAME; any other URI stands for itself."""
    return parse_model_uri(model_uri).name or model_uri


def _iso(t: datetime) -> str:
    return t.replace(microsecond=0).isoformat()


@contextmanager
def _connect(path: Path, *, create: bool) -> Iterator[sqlite3.Connection]:
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=60)
    else:
        if not path.is_file():
            raise UsageError(f"{path}: no score history yet (run `propensity score` first, or pass --history)")
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
    try:
        if create:
            conn.executescript(_SCHEMA)
            _add_view_columns(conn)
        yield conn
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"{path}: cannot use this score history ({exc})") from None
    finally:
        conn.close()


def _score_table_columns(conn: sqlite3.Connection) -> set[str]:
    return {row[1] for row in conn.execute("PRAGMA table_info(scores)")}


def _add_view_columns(conn: sqlite3.Connection) -> None:
    """A history written before the views were kept gains their columns (null for its old rows)."""
    have = _score_table_columns(conn)
    for column in VIEW_COLUMNS:
        if column not in have:
            conn.execute(f"ALTER TABLE scores ADD COLUMN {column} {_VIEW_SQL_TYPES[column]}")


def _select_scores(conn: sqlite3.Connection) -> str:
    """The columns of `scores` in `_SCORE_SCHEMA`'s order, null for the view columns an older history lacks."""
    have = _score_table_columns(conn)
    return ", ".join(c if c in have else f"NULL AS {c}" for c in _SCORE_COLUMNS)


def record_scores(
    path: str | Path,
    scores: pl.DataFrame,
    *,
    as_of: datetime,
    model_name: str,
    model_version: str,
    model_uri: str,
    positive_outcomes: tuple[str, ...] | list[str],
    horizon_days: int,
) -> int:
    """Append a scoring run (rows with a score) in one transaction; returns the rows written."""
    with history_run(path, as_of=as_of, model_name=model_name, model_version=model_version, model_uri=model_uri,
                     positive_outcomes=positive_outcomes, horizon_days=horizon_days) as run:
        run.add(scores)
    return run.rows


class HistoryRun:
    """One scoring run being appended: `add` each chunk of scores; see `history_run`."""

    def __init__(self, conn: sqlite3.Connection, key: tuple[str, str, str]) -> None:
        self._conn, self._key, self.rows = conn, key, 0

    def add(self, scores: pl.DataFrame) -> int:
        rows = scores.filter(pl.col("score").is_not_null())
        views = [pl.col(c) if c in rows.columns else pl.lit(None).alias(c) for c in VIEW_COLUMNS]  # null without views
        for start in range(0, rows.height, _INSERT_ROWS):  # bounded memory: a slice of Python tuples at a time
            part = rows.slice(start, _INSERT_ROWS).select("contact_id", "account_id", "score", "grade", "percentile", "reasons", *views)
            self._conn.executemany(
                _INSERT_SCORES,
                [(c, a, *self._key, float(s), str(g), p, r, *v) for c, a, s, g, p, r, *v in part.iter_rows()],
            )
        if "contributions" in rows.columns:
            fields = rows.filter(pl.col("contributions").is_not_null())
            for start in range(0, fields.height, _INSERT_ROWS):
                part = fields.slice(start, _INSERT_ROWS).select("contact_id", "contributions")
                self._conn.executemany(
                    "INSERT INTO score_fields VALUES (?, ?, ?, ?, ?) ON CONFLICT (contact_id, as_of, model_name, model_version) "
                    "DO UPDATE SET contributions = excluded.contributions",
                    [(c, *self._key, j) for c, j in part.iter_rows()],
                )
        self.rows += rows.height
        return rows.height


_INSERT_ROWS = 50_000


@contextmanager
def history_run(
    path: str | Path,
    *,
    as_of: datetime,
    model_name: str,
    model_version: str,
    model_uri: str,
    positive_outcomes: tuple[str, ...] | list[str],
    horizon_days: int,
) -> Iterator[HistoryRun]:
    """A scoring run appended chunk by chunk in ONE transaction: committed when the block ends without
    an error (with the run's lead count), rolled back otherwise, so a failed scoring job leaves the
    history as it was."""
    key = (_iso(as_of), model_name, str(model_version))
    with _connect(Path(path), create=True) as conn, conn:
        run = HistoryRun(conn, key)
        yield run
        conn.execute(
            "INSERT INTO scoring_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (as_of, model_name, model_version) "
            "DO UPDATE SET model_uri = excluded.model_uri, leads = excluded.leads",
            (*key, model_uri, json.dumps(list(positive_outcomes)), int(horizon_days), run.rows,
             datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0).isoformat()),
        )


def _frame(conn: sqlite3.Connection, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(conn.execute(sql).fetchall(), schema=schema, orient="row")


_RUN_SCHEMA = {
    "as_of": pl.String, "model_name": pl.String, "model_version": pl.String, "model_uri": pl.String,
    "positive_outcomes": pl.String, "horizon_days": pl.Int64, "leads": pl.Int64, "scored_at": pl.String,
}
_SCORE_SCHEMA = {
    "contact_id": pl.String, "account_id": pl.String, "as_of": pl.String, "model_name": pl.String,
    "model_version": pl.String, "score": pl.Float64, "grade": pl.String, "percentile": pl.Int64, "reasons": pl.String,
    **VIEW_SCHEMA,
}


def read_history(path: str | Path, model_name: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(scoring runs, scores) of one model, as-of parsed; refuses to mix models silently."""
    with _connect(Path(path), create=False) as conn:
        runs = _frame(conn, "SELECT * FROM scoring_runs", _RUN_SCHEMA)
        names = sorted(set(runs["model_name"]))
        if model_name is None and len(names) > 1:
            raise UsageError(f"{path}: the history holds scores of several models ({', '.join(names)}): pass --model-name")
        if model_name is not None and model_name not in names:
            raise UsageError(f"{path}: no scores of model '{model_name}' (models: {', '.join(names) or 'none'})")
        name = model_name or (names[0] if names else "")
        runs = runs.filter(pl.col("model_name") == name)
        scores = _frame(conn, f"SELECT {_select_scores(conn)} FROM scores WHERE model_name = {_quote(name)}", _SCORE_SCHEMA)
    parse = pl.col("as_of").str.to_datetime("%Y-%m-%dT%H:%M:%S", time_unit="us")
    return runs.with_columns(parse), scores.with_columns(parse)


_PREVIOUS_SCHEMA = {
    "contact_id": pl.String, "previous_as_of": pl.String, "previous_score": pl.Float64, "previous_grade": pl.String,
    "previous_contributions": pl.String,
}


def previous_scores(path: str | Path, model_name: str, as_of: datetime) -> pl.DataFrame:
    """Each lead's latest scoring by `model_name` strictly before `as_of` (the most recent run when
    several versions scored that as-of): contact_id, previous_as_of, previous_score, previous_grade,
    previous_contributions (JSON, None before contributions were kept). Empty without a history."""
    p = Path(path)
    if not p.is_file():
        return pl.DataFrame(schema=_PREVIOUS_SCHEMA)
    sql = (
        "SELECT s.contact_id, s.as_of, s.score, s.grade, f.contributions FROM scores s "
        "JOIN scoring_runs r ON r.as_of = s.as_of AND r.model_name = s.model_name AND r.model_version = s.model_version "
        "LEFT JOIN score_fields f ON f.contact_id = s.contact_id AND f.as_of = s.as_of AND f.model_name = s.model_name "
        "AND f.model_version = s.model_version "
        f"WHERE s.model_name = {_quote(model_name)} AND s.as_of < {_quote(_iso(as_of))} "
        "ORDER BY s.contact_id, s.as_of, r.scored_at, s.model_version"
    )
    with _connect(p, create=True) as conn:  # create: an older history gets the score_fields table
        rows = _frame(conn, sql, _PREVIOUS_SCHEMA)
    return rows.group_by("contact_id", maintain_order=True).last()


def contact_scores(path: str | Path, contact_id: str, model_name: str | None = None) -> pl.DataFrame:
    """One lead's scores over the history, oldest first: as_of, model_version, score, grade, percentile."""
    runs, scores = read_history(path, model_name)
    rows = _latest_per_as_of(runs, scores.filter(pl.col("contact_id") == contact_id))
    return rows.sort("as_of").select("as_of", "model_version", "score", "grade", "percentile")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _latest_per_as_of(runs: pl.DataFrame, scores: pl.DataFrame) -> pl.DataFrame:
    """One row per (contact, as-of): the most recent scoring run's when several versions scored it."""
    return (
        scores.join(runs.select("as_of", "model_version", "scored_at"), on=["as_of", "model_version"], how="left")
        .sort("scored_at", "model_version")
        .group_by("contact_id", "as_of", maintain_order=True)
        .last()
    )


def _split_reasons(text: str | None) -> list[str]:
    return [r for r in (text or "").split("; ") if r]


def surges(
    path: str | Path,
    *,
    model_name: str | None = None,
    as_of: datetime | None = None,
    min_grades: int = 1,
    min_percentile: int = 20,
    grade_at_least: str = "B",
) -> pl.DataFrame:
    """Leads of the latest scoring (at or before `as_of`), now graded `grade_at_least` or better, whose
    grade rose by `min_grades` or more, or whose percentile rose by `min_percentile` points or more,
    since their previous scoring; best grade first, then the biggest rise."""
    if grade_at_least not in _GRADE_RANK:
        raise UsageError(f"grade must be one of A, B, C, D, got {grade_at_least!r}")
    runs, scores = read_history(path, model_name)
    rows = _latest_per_as_of(runs, scores)
    if as_of is not None:
        rows = rows.filter(pl.col("as_of") <= as_of)
    if rows.is_empty():
        return _empty_surges()
    latest = rows["as_of"].max()
    now = rows.filter(pl.col("as_of") == latest)
    before = rows.filter(pl.col("as_of") < latest).sort("as_of").group_by("contact_id", maintain_order=True).last()
    cols = ["as_of", "model_version", "score", "grade", "percentile", "reasons"]
    joined = now.join(before.select("contact_id", *cols), on="contact_id", how="inner", suffix="_before")
    rank = lambda c: pl.col(c).replace_strict(_GRADE_RANK, default=0, return_dtype=pl.Int64)  # noqa: E731
    joined = joined.with_columns(
        (rank("grade") - rank("grade_before")).alias("grade_rise"),
        (pl.col("percentile") - pl.col("percentile_before")).alias("percentile_rise"),
        (pl.col("score") - pl.col("score_before")).alias("score_rise"),
    ).filter(
        ((pl.col("grade_rise") >= min_grades) | (pl.col("percentile_rise") >= min_percentile))
        & (rank("grade") >= _GRADE_RANK[grade_at_least])
    )
    new, gone = [], []
    for r in joined.select("reasons", "reasons_before").iter_rows():
        now_r, before_r = _split_reasons(r[0]), _split_reasons(r[1])
        new.append("; ".join(x for x in now_r if x not in before_r))
        gone.append("; ".join(x for x in before_r if x not in now_r))
    out = joined.with_columns(pl.Series("new_reasons", new, dtype=pl.String), pl.Series("dropped_reasons", gone, dtype=pl.String))
    return out.select(_SURGE_COLUMNS).sort(["grade", "grade_rise", "score_rise", "contact_id"], descending=[False, True, True, False])


_SURGE_COLUMNS = [
    "contact_id", "account_id", "as_of", "as_of_before", "grade", "grade_before", "score", "score_before",
    "percentile", "percentile_before", "grade_rise", "percentile_rise", "score_rise", "model_version",
    "model_version_before", "new_reasons", "dropped_reasons",
]


def _empty_surges() -> pl.DataFrame:
    return pl.DataFrame(schema={c: pl.String for c in _SURGE_COLUMNS})


@dataclass(frozen=True)
class ConversionReport:
    table: pl.DataFrame  # model_version, grade, runs, leads, converted, conversion_rate, mean_score
    judged: pl.DataFrame  # scoring runs whose horizon has passed: as_of, model_version, horizon_days
    pending: pl.DataFrame  # scoring runs still inside their horizon: as_of, model_version, matures_on
    data_end: datetime


def realised_conversion(path: str | Path, export: Any, *, model_name: str | None = None) -> ConversionReport:
    """Conversion per model version and grade of the leads scored at as-ofs whose horizon has passed
    by the end of `export` (each run judged with the label definition of the model that scored it)."""
    from propensity._config import LabelConfig
    from propensity.training._labels import label_pairs

    runs, scores = read_history(path, model_name)
    end = export.data_end
    runs = runs.with_columns((pl.col("as_of") + pl.duration(days=pl.col("horizon_days"))).alias("matures_on"))
    judged = runs.filter(pl.col("matures_on") <= end).sort("as_of", "model_version")
    pending = runs.filter(pl.col("matures_on") > end).sort("as_of", "model_version").select("as_of", "model_version", "matures_on")
    parts = []
    for run in judged.iter_rows(named=True):
        label = LabelConfig(tuple(json.loads(run["positive_outcomes"])), int(run["horizon_days"]))
        leads = scores.filter((pl.col("as_of") == run["as_of"]) & (pl.col("model_version") == run["model_version"]))
        pairs = leads.select("contact_id", pl.col("as_of").alias("cutoff"))
        labelled = label_pairs(pairs, export.outcomes, label)
        parts.append(leads.join(labelled.rename({"cutoff": "as_of"}), on=["contact_id", "as_of"], how="left"))
    schema = {"model_version": pl.String, "grade": pl.String, "runs": pl.UInt32, "leads": pl.UInt32,
              "converted": pl.Int64, "conversion_rate": pl.Float64, "mean_score": pl.Float64}
    if not parts:
        return ConversionReport(pl.DataFrame(schema=schema), judged.select("as_of", "model_version", "horizon_days"), pending, end)
    rows = pl.concat(parts).with_columns(pl.col("label").cast(pl.Int64))
    agg = [
        pl.col("as_of").n_unique().alias("runs"),
        pl.len().alias("leads"),
        pl.col("label").sum().alias("converted"),
        pl.col("label").mean().alias("conversion_rate"),
        pl.col("score").mean().alias("mean_score"),
    ]
    by_grade = rows.group_by("model_version", "grade").agg(agg)
    overall = rows.group_by("model_version").agg(agg).with_columns(pl.lit("all").alias("grade"))
    table = (
        pl.concat([by_grade, overall.select(by_grade.columns)])
        .with_columns(pl.col("grade").replace_strict({"A": 0, "B": 1, "C": 2, "D": 3, "all": 4}, default=5).alias("_order"))
        .with_columns(pl.col("model_version").cast(pl.Int64, strict=False).alias("_version"))
        .sort("_version", "model_version", "_order")
        .drop("_order", "_version")
        .select(list(schema))
        .cast(schema)  # type: ignore[arg-type]
    )
    return ConversionReport(table, judged.select("as_of", "model_version", "horizon_days"), pending, end)
