"""The figures of the sales-ops report, computed once from a model's validation rows.

Training logs the validation rows (`evaluation/validation.parquet`: contact_id, cutoff, label,
score, points, grade, reasons and the contributions grouped by business field) and these same
functions turn them into the report's charts, logged as the run's plots (`plots/*.svg`);
`propensity report` reads the rows back from the run and draws the same figures inline. One
computation, one drawing (propensity.reports._charts), two places.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from propensity._model import to_model_frame
from propensity.lifecycle._drift import numeric_shares, psi

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "GRADES",
    "VALIDATION_ARTIFACT",
    "FIELDS_ARTIFACT",
    "explain_validation",
    "axis_label",
    "gains_points",
    "finite_scores",
    "compare_gains",
    "calibration_bins",
    "GradeRow",
    "grade_table",
    "score_histogram",
    "points_tiers",
    "Migration",
    "migration",
    "movers",
    "Dependence",
    "dependence",
    "Drift",
    "drift",
    "Report",
    "run_plots",
    "log_report_artifacts",
]

GRADES = ("A", "B", "C", "D")
VALIDATION_ARTIFACT = "evaluation/validation.parquet"
FIELDS_ARTIFACT = "evaluation/fields.json"


# --------------------------------------------------------- validation rows
def axis_label(spec: Any, f: Any) -> str:
    """What a feature's value means, as an axis title ('days since the last web visit')."""
    from propensity.features._spec import event_label
    from propensity.scoring._reasons import describe_kind

    if f.kind == "count":
        return f"{event_label(f.event_type or '')} in the last {f.window} days"
    if f.kind == "recency":
        return f"days since the last {event_label(f.event_type, 1) if f.event_type else 'activity'}"
    if f.kind == "age":
        return "days since the first touch"
    if f.kind == "trend":
        return f"events in the last {f.window} days minus the {f.window} before"
    if f.kind == "distinct":
        return f"kinds of activity in the last {f.window} days"
    if f.kind == "account":
        return str(describe_kind(f))
    if f.name == "contact_age_days":
        return "days in the CRM"
    return str(spec.field_label(f.field))


EXPLAIN_CHUNK_ROWS = 200_000  # validation rows explained at once


def explain_validation(model: Any, rows: pl.DataFrame, frame: Any, grades: Any) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Validation rows with grade, reasons and per-field contributions, plus a description of the fields.

    `rows` holds contact_id, cutoff, label, score, points in the order of `frame`: the model frame, or
    the polars features it is built from (then built `EXPLAIN_CHUNK_ROWS` rows at a time). Per
    business field: `contrib:<field>` (its summed contribution, log-odds) and `value:<field>` (the
    value of the field's main column, the one with the largest mean |contribution|).
    """
    from propensity.scoring._reasons import FieldIndex, top_reasons
    from propensity.scoring._treeshap import explainer_for

    spec = model.spec
    explainer = explainer_for(model.booster)  # exact TreeSHAP at batch speed, as scoring explains
    index = FieldIndex(spec)
    scores = rows["score"].to_numpy()
    # a chunk of rows at a time, each chunk's columns made at once: a backtest of millions of leads
    # never holds their contributions, reasons or model frame whole, nor a Python object per row
    chunks: list[pl.DataFrame] = []
    size = np.zeros(len(spec.features))  # each column's summed |contribution|: the field's main column
    for start in range(0, max(len(frame), 1), EXPLAIN_CHUNK_ROWS):
        part = _model_frame_rows(spec, frame, start, EXPLAIN_CHUNK_ROWS)
        contrib = explainer.contributions(part)
        grouped = index.group(contrib)
        p = scores[start : start + EXPLAIN_CHUNK_ROWS]
        chunks.append(
            pl.DataFrame(
                [
                    pl.Series("grade", grades.grade(p), dtype=pl.String),
                    pl.Series("percentile", grades.percentile(p), dtype=pl.Int16),
                    pl.Series("reasons", top_reasons(spec, part, contrib, index=index), dtype=pl.String),
                    pl.Series("bias", contrib[:, -1], dtype=pl.Float64),
                    *(pl.Series(f"contrib:{name}", grouped[:, j], dtype=pl.Float64) for j, name in enumerate(index.fields)),
                ]
            )
        )
        size += np.abs(contrib[:, : len(spec.features)]).sum(axis=0)
        del part, contrib, grouped
    explained = pl.concat(chunks)
    del chunks
    columns: list[pl.Series] = [explained[c] for c in ("grade", "percentile", "reasons", "bias")]
    fields: list[dict[str, Any]] = []
    for j, name in enumerate(index.fields):
        members = np.flatnonzero(index.column_field == j)
        main = spec.features[int(members[int(np.argmax(size[members]))])]
        columns += [explained[f"contrib:{name}"], _field_values(spec, frame, main).alias(f"value:{name}")]
        fields.append(
            {"field": name, "driver": spec.field_label(name), "feature": main.name, "kind": main.kind, "axis": axis_label(spec, main)}
        )
    return rows.with_columns(columns), fields


def _model_frame_rows(spec: Any, frame: Any, start: int, n: int) -> pd.DataFrame:
    """`n` rows of the model input from `start`: a slice of a model frame, or built from polars features."""
    if isinstance(frame, pl.DataFrame):
        return to_model_frame(spec, frame.slice(start, n))
    return frame.iloc[start : start + n]


def _field_values(spec: Any, frame: Any, main: Any) -> pl.Series:
    """The model input's values of the feature `main` for every row: a category as its level's text
    (missing or unseen: null), a number as Float64 (missing: null)."""
    if isinstance(frame, pl.DataFrame):
        if main.kind == "category":
            levels = list(spec.categories.get(main.name, ()))
            text = frame.get_column(main.name).cast(pl.String)
            return text.replace_strict(levels, levels, default=None, return_dtype=pl.String) if levels else pl.repeat(None, frame.height, dtype=pl.String, eager=True)
        return frame.get_column(main.name).cast(pl.Float32).cast(pl.Float64).fill_nan(None)  # the model's float32
    raw = frame[main.name]
    if main.kind == "category":
        return pl.Series([None if v is None or v != v else str(v) for v in raw.astype(object)], dtype=pl.String)
    return pl.Series(raw.to_numpy(dtype=np.float64, na_value=np.nan), dtype=pl.Float64).fill_nan(None)


# ------------------------------------------------------------ model vs points
def gains_points(y: np.ndarray, score: np.ndarray, n: int = 101) -> tuple[list[float], list[float]]:
    """The gains curve (share of leads worked best first -> share of conversions) at `n` points, in %."""
    y = np.asarray(y, dtype=np.float64)
    shares = np.linspace(0.0, 1.0, n)
    total = y.sum()
    if len(y) == 0 or total == 0:
        return [float(100 * s) for s in shares], [0.0] * n
    hits = np.cumsum(y[np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")])
    # the same rule as capture_at: the top max(1, round(share * n)) leads
    caps = [0.0] + [float(hits[max(1, int(round(float(s) * len(y)))) - 1] / total) for s in shares[1:]]
    return [float(100 * s) for s in shares], [100 * c for c in caps]


def finite_scores(s: np.ndarray) -> np.ndarray:
    """A compared column's scores with every lead ranked: +inf above the finite range, -inf and a
    missing value below it."""
    s = np.asarray(s, dtype=np.float64)
    finite = s[np.isfinite(s)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    return np.where(s == np.inf, hi + 1.0, np.where(np.isnan(s) | (s == -np.inf), lo - 1.0, s))


def compare_gains(y: np.ndarray, compared: Mapping[str, Any]) -> dict[str, tuple[list[float], list[float]]]:
    """The gains of each compared column of a flat table (name -> its scores on the rows of `y`)."""
    return {name: gains_points(y, finite_scores(s)) for name, s in compared.items()}


def calibration_bins(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Equal-count bins of the predicted probability: mean prediction vs observed rate (as in ECE)."""
    order = np.argsort(np.asarray(p, dtype=np.float64), kind="stable")
    out = []
    for chunk in np.array_split(order, bins):
        if len(chunk):
            out.append({"predicted": float(np.mean(p[chunk])), "observed": float(np.mean(y[chunk])), "n": int(len(chunk))})
    return out


# ------------------------------------------------------------ distribution
@dataclass(frozen=True)
class GradeRow:
    grade: str
    leads: int
    share: float
    min_score: float
    max_score: float
    positives: int | None
    rate: float | None


def grade_table(frame: pl.DataFrame) -> list[GradeRow]:
    """Leads, share, score range and (with labels) the conversion rate of each grade."""
    n = max(frame.height, 1)
    out = []
    for g in GRADES:
        part = frame.filter(pl.col("grade") == g)
        has_label = "label" in frame.columns
        pos = int(part["label"].sum()) if has_label and part.height else (0 if has_label else None)
        out.append(
            GradeRow(
                g,
                part.height,
                part.height / n,
                float(part["score"].min()) if part.height else float("nan"),  # type: ignore[arg-type]
                float(part["score"].max()) if part.height else float("nan"),  # type: ignore[arg-type]
                pos,
                (pos / part.height if part.height else float("nan")) if pos is not None else None,
            )
        )
    return out


def score_histogram(frame: pl.DataFrame, bins: int = 30, top: float | None = None) -> dict[str, Any]:
    """Counts of leads per score bin (in %), split by grade; scores above `top` fall in the last bin."""
    s = frame["score"].to_numpy()
    hi = top if top is not None else float(np.quantile(s, 0.995)) if len(s) else 1.0
    hi = max(hi, 1e-4)
    edges = np.linspace(0.0, hi, bins + 1)
    idx = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, bins - 1)
    grades = frame["grade"].to_numpy()
    counts = {g: np.bincount(idx[grades == g], minlength=bins).tolist() for g in GRADES}
    return {"edges": [float(100 * e) for e in edges], "counts": counts}


# ------------------------------------------------------------ tier migration
def points_tiers(points: np.ndarray, sizes: dict[str, int]) -> np.ndarray:
    """Points tiers of the same sizes as the model's grades: the most points are tier A, and so on.

    Ties share the tier of their average rank, so equal points never land in different tiers.
    """
    import pandas as pd

    n = len(points)
    rank = pd.Series(-np.asarray(points, dtype=np.float64)).rank(method="average").to_numpy()  # 1 = most points
    bounds = np.cumsum([sizes.get(g, 0) for g in GRADES])
    idx = np.searchsorted(bounds, rank - 0.5, side="right") if n else np.array([], dtype=np.int64)
    return np.asarray(GRADES)[np.clip(idx, 0, len(GRADES) - 1)]


@dataclass(frozen=True)
class Migration:
    counts: list[list[int]]  # rows: points tier A..D, columns: model grade A..D
    rates: list[list[float | None]]  # conversion rate of each cell (None when empty)
    same: int
    up: int  # model grade better than the points tier
    down: int
    total: int


def _with_tiers(frame: pl.DataFrame) -> pl.DataFrame:
    sizes = {g: int((frame["grade"] == g).sum()) for g in GRADES}
    tiers = points_tiers(frame["points"].to_numpy(), sizes)
    return frame.with_columns(pl.Series("points_tier", tiers, dtype=pl.String))


def migration(frame: pl.DataFrame) -> Migration:
    """How leads move between the points' tiers and the model's grades (validation rows)."""
    f = _with_tiers(frame)
    counts = [[0] * 4 for _ in GRADES]
    rates: list[list[float | None]] = [[None] * 4 for _ in GRADES]
    agg = f.group_by("points_tier", "grade").agg(pl.len().alias("n"), pl.col("label").mean().alias("rate"))
    for tier, grade, n, rate in agg.iter_rows():
        i, j = GRADES.index(tier), GRADES.index(grade)
        counts[i][j] = int(n)
        rates[i][j] = float(rate)
    same = sum(counts[i][i] for i in range(4))
    up = sum(counts[i][j] for i in range(4) for j in range(4) if j < i)
    down = sum(counts[i][j] for i in range(4) for j in range(4) if j > i)
    return Migration(counts, rates, same, up, down, f.height)


def movers(frame: pl.DataFrame, k: int = 5, spec: Any = None, fields: list[dict[str, Any]] | None = None) -> dict[str, list[dict[str, Any]]]:
    """The leads the model moves most against the points, up and down: contact_id and reasons only.

    With the model's `spec` and the validation rows' `fields`, each move also gets `why`: the
    business fields that pushed the lead that way, at the lead's values, in words."""
    import pandas as pd

    f = _with_tiers(frame)
    n = max(f.height, 1)
    model_pct = pd.Series(f["score"].to_numpy()).rank(method="average").to_numpy() / n
    points_pct = pd.Series(f["points"].to_numpy()).rank(method="average").to_numpy() / n
    f = f.with_columns(pl.Series("shift", model_pct - points_pct))
    out: dict[str, list[dict[str, Any]]] = {}
    for name, descending in (("up", True), ("down", False)):
        picked = (
            f.sort(["shift", "contact_id"], descending=[descending, False])
            .unique("contact_id", keep="first", maintain_order=True)
            .head(k)
        )
        out[name] = [
            {
                "contact_id": r["contact_id"],
                "cutoff": r["cutoff"].strftime("%Y-%m-%d") if isinstance(r["cutoff"], datetime) else str(r["cutoff"]),
                "points": float(r["points"]),
                "points_tier": r["points_tier"],
                "score": float(r["score"]),
                "grade": r["grade"],
                "converted": bool(r["label"]),
                "reasons": r["reasons"],
                "why": move_text(r, name, spec, fields) if spec is not None and fields else r["reasons"],
            }
            for r in picked.iter_rows(named=True)
        ]
    return out


def move_text(row: dict[str, Any], way: str, spec: Any, fields: list[dict[str, Any]], k: int = 3) -> str:
    """Why a lead moved `way` ('up' or 'down') from its points tier to its model grade, in words:
    the `k` business fields that pushed its score that way most, each at the lead's value, with its
    effect on the odds against an average lead."""
    from propensity.scoring._reasons import describe, odds_text

    by_name = spec.by_name()
    sign = 1.0 if way == "up" else -1.0
    pushed = []
    for f in fields:
        c = row.get(f"contrib:{f['field']}")
        feature = by_name.get(f.get("feature", ""))
        if c is not None and feature is not None and sign * c > 0.01:
            pushed.append((sign * c, describe(spec, feature, row.get(f"value:{f['field']}")), c))
    pushed.sort(key=lambda t: -t[0])
    move = f"points tier {row['points_tier']}, model grade {row['grade']}"
    if not pushed:
        if way == "up":
            return f"{move}: few points ({row['points']:,.0f}), while nothing about the lead lowers the model's score much"
        return f"{move}: many points ({row['points']:,.0f}), but nothing about the lead raises the model's score much"
    said = "; ".join(f"{text} ({odds_text(c)} odds)" for _, text, c in pushed[:k])
    return f"{move}: {'raised' if way == 'up' else 'lowered'} by {said}"


# ------------------------------------------------------------ dependence
@dataclass(frozen=True)
class Dependence:
    field: str
    driver: str
    kind: str
    axis: str
    x: list[float] = field(default_factory=list)  # numeric: sampled values
    y: list[float] = field(default_factory=list)  # their contributions (log-odds; shown as odds multipliers)
    trend_x: list[float] = field(default_factory=list)  # numeric: mean contribution per value bin
    trend_y: list[float] = field(default_factory=list)
    categories: list[tuple[str, float, int]] = field(default_factory=list)  # category: (level, mean contribution, leads)
    missing: tuple[float, int] | None = None  # (mean contribution, leads) of rows without a value


def dependence(
    frame: pl.DataFrame, fields: list[dict[str, Any]], drivers: list[dict[str, Any]], top: int = 4, sample: int = 1500, spec: Any = None
) -> list[Dependence]:
    """How each top driver's value maps to its contribution to the score; with the model's `spec`,
    category levels are shown in words ('C-level', not the code)."""
    from propensity.scoring._reasons import level_text

    info = {f["field"]: f for f in fields}
    by_name = spec.by_name() if spec is not None else {}
    out = []
    for d in drivers[:top]:
        f = info.get(d["field"])
        if f is None or f"value:{f['field']}" not in frame.columns:
            continue
        v = frame[f"value:{f['field']}"]
        c = frame[f"contrib:{f['field']}"].to_numpy()
        miss = v.is_null().to_numpy()
        missing = (float(c[miss].mean()), int(miss.sum())) if miss.any() else None
        if f["kind"] == "category":
            g = (
                pl.DataFrame({"v": v, "c": c})
                .drop_nulls("v")
                .group_by("v")
                .agg(pl.col("c").mean().alias("m"), pl.len().alias("n"))
                .sort(["n", "v"], descending=[True, False])
                .head(10)
                .sort("m", descending=True)
            )
            feature = by_name.get(f.get("feature", ""))
            cats = [(level_text(feature, a) if feature is not None else str(a), float(b), int(n)) for a, b, n in g.iter_rows()]
            out.append(Dependence(f["field"], d["driver"], f["kind"], f["axis"], categories=cats, missing=missing))
            continue
        x = v.to_numpy().astype(np.float64)
        ok = ~miss
        xs, cs = x[ok], c[ok]
        rng = np.random.default_rng(0)
        pick = np.sort(rng.choice(len(xs), size=min(sample, len(xs)), replace=False)) if len(xs) else np.array([], dtype=np.int64)
        tx, ty = _binned_means(xs, cs)
        out.append(
            Dependence(
                f["field"], d["driver"], f["kind"], f["axis"],
                x=[float(a) for a in xs[pick]], y=[float(b) for b in cs[pick]],
                trend_x=tx, trend_y=ty, missing=missing,
            )
        )
    return out


def _binned_means(x: np.ndarray, c: np.ndarray, bins: int = 12) -> tuple[list[float], list[float]]:
    if len(x) == 0:
        return [], []
    levels = np.unique(x)
    if len(levels) <= bins:
        return [float(v) for v in levels], [float(c[x == v].mean()) for v in levels]
    edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)))
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    tx, ty = [], []
    for b in range(len(edges) - 1):
        m = idx == b
        if m.any():
            tx.append(float(np.median(x[m])))
            ty.append(float(c[m].mean()))
    return tx, ty


# ------------------------------------------------------------ drift
@dataclass(frozen=True)
class Drift:
    source: str  # file name of the scores
    leads: int
    psi: float
    status: str  # stable, moderate shift, significant shift
    bins: list[tuple[str, float, float]]  # (score range, reference share, scored share)
    grades: list[tuple[str, float, float]]  # (grade, reference share, scored share)
    model_versions: list[str]
    features: list[tuple[str, float]] = field(default_factory=list)  # (field or feature, PSI) from the model's reference, when known
    method: str = ""


def _status(value: float) -> str:
    return "stable" if value < 0.1 else "moderate shift" if value < 0.25 else "significant shift"


def drift(reference: pl.DataFrame, scored: pl.DataFrame, source: str, model: Any = None) -> Drift:
    """The scored leads' score distribution against the training reference: score deciles and grade mix.

    The reference is the score profile the model stores in metadata["reference"] (deciles of the
    validation scores) when it has one, else the same deciles computed from the validation rows.
    """
    ref = reference["score"].to_numpy()
    cur = scored["score"].to_numpy().astype(np.float64)
    profile = None
    meta = getattr(model, "metadata", None)
    if isinstance(meta, dict) and isinstance(meta.get("reference"), dict):
        profile = meta["reference"].get("score")
    if profile and profile.get("edges") is not None and len(profile.get("shares", [])) == len(profile["edges"]) + 2:
        edges = np.asarray(profile["edges"], dtype=np.float64)
        expected = np.asarray(profile["shares"], dtype=np.float64)
        method = "PSI of the score against the model's stored reference (deciles of the validation scores)"
    else:
        edges = np.unique(np.quantile(ref, np.linspace(0, 1, 11))[1:-1]) if len(ref) else np.array([])
        expected = numeric_shares(ref, edges)
        method = "PSI of the score over the deciles of the validation scores"
    actual = numeric_shares(cur, edges)
    value = psi(expected, actual)
    bounds = [0.0, *edges.tolist(), 1.0]
    bins = [(f"{100 * bounds[i]:.1f}-{100 * bounds[i + 1]:.1f}%", float(expected[i]), float(actual[i])) for i in range(len(edges) + 1)]
    grades = [
        (g, float((reference["grade"] == g).mean()), float((scored["grade"] == g).mean()) if scored.height else 0.0)  # type: ignore[arg-type]
        for g in GRADES
    ]
    versions = sorted({str(v) for v in scored["model_version"].to_list()}) if "model_version" in scored.columns else []
    return Drift(source, scored.height, value, _status(value), bins, grades, versions, [], method)


# ------------------------------------------------------------ training run
def run_plots(
    frame: pl.DataFrame,
    fields: list[dict[str, Any]],
    drivers: Sequence[dict[str, Any]],
    spec: Any = None,
    compared: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """The report's charts of a training run as standalone SVG documents, by file name: drivers,
    gains, calibration, dependence (the top drivers, one panel each) and score_distribution.

    The figures are the report's, from the validation rows `frame` (explain_validation) by the same
    functions `propensity report` applies to them; `compared` (a flat table: each compared column's
    scores on the same rows, in the comparison's order) puts the flat report's gains and labels in
    place of the model-vs-points ones."""
    from propensity.reports._charts import (
        compare_gains_chart,
        dependence_chart,
        drivers_chart,
        held_out_calibration_chart,
        held_out_gains_chart,
        out_of_fold_calibration_chart,
        validation_histogram_chart,
    )
    from propensity.reports._svg import svg_document

    y = frame["label"].to_numpy().astype(np.int8)
    p = frame["score"].to_numpy()
    model = gains_points(y, p)
    if compared is None:
        gains = held_out_gains_chart({"model": model, "points": gains_points(y, frame["points"].to_numpy())})
        calibration = held_out_calibration_chart(calibration_bins(y, p))
    else:
        gains = compare_gains_chart(model, list(compare_gains(y, compared).items()))
        calibration = out_of_fold_calibration_chart(calibration_bins(y, p))
    plots = {
        "gains": svg_document([("", gains)], title="Gains: the model against " + ("the points" if compared is None else "the compared columns")),
        "calibration": svg_document([("", calibration)], title="Calibration: predicted against observed"),
        "score_distribution": svg_document([("", validation_histogram_chart(score_histogram(frame)))], title="Validation scores by grade"),
    }
    if drivers:
        plots["drivers"] = svg_document([("", drivers_chart(drivers))], title="What drives the score, by business field")
    deps = dependence(frame, fields, list(drivers), spec=spec)
    if deps:
        plots["dependence"] = svg_document(
            [(d.driver, dependence_chart(d)) for d in deps], title="How the top drivers' values map to the score", columns=2
        )
    return plots


def log_report_artifacts(model: Any, ev: dict[str, Any], directory: Path, compared: Mapping[str, Any] | None = None) -> pl.DataFrame:
    """At training: log the validation rows the report reads and the report's charts as the run's
    plots (`plots/<name>.svg`, see run_plots; `compared` for a flat table).

    `ev` is the training evaluation (rows: contact_id, cutoff, label, score, points; frame: the
    model input of the same rows). Call inside an active MLflow run.
    """
    import mlflow

    from propensity.scoring._grades import GradeScale

    directory.mkdir(parents=True, exist_ok=True)
    grades = GradeScale.from_dict(model.metadata["grades"])
    frame, fields = explain_validation(model, ev["rows"], ev["frame"], grades)
    frame.write_parquet(directory / "validation.parquet")
    (directory / "fields.json").write_text(json.dumps(fields, indent=2), encoding="utf-8")
    for name in ("validation.parquet", "fields.json"):
        mlflow.log_artifact(str(directory / name), artifact_path="evaluation")
    plots = directory / "plots"
    plots.mkdir(exist_ok=True)
    for name, document in run_plots(frame, fields, list(model.metadata.get("drivers", [])), model.spec, compared).items():
        (plots / f"{name}.svg").write_text(document, encoding="utf-8")
        mlflow.log_artifact(str(plots / f"{name}.svg"), artifact_path="plots")
    return frame


# ------------------------------------------------------------ the report
@dataclass
class Report:
    model_uri: str
    model_name: str | None
    model_version: str
    run_id: str
    card: dict[str, Any]
    metrics: dict[str, float]
    recomputed: dict[str, float]
    validation: pl.DataFrame
    fields: list[dict[str, Any]]
    drivers: list[dict[str, Any]]
    gains: dict[str, tuple[list[float], list[float]]]
    calibration: list[dict[str, float]]
    grades: list[GradeRow]
    histogram: dict[str, Any]
    migration: Migration
    movers: dict[str, list[dict[str, Any]]]
    dependence: list[Dependence]
    scored_grades: list[GradeRow] | None = None
    scored_histogram: dict[str, Any] | None = None
    drift: Drift | None = None
    fit_engagement: Any = None  # propensity.reports._matrix.FitEngagementGrid, for a model with the fit and engagement views
    generated_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
