"""The report of a flat-table model: the model beside every `--compare` column on the same folds.

A flat model has no points table and no cutoffs: it is judged by k-fold cross-validation (or one
time split) against the company's own columns (an activity score, a rep's judgement) on the same
leads. `flat_card` reads what the training run logged (`evaluation/comparison.json`, the out-of-fold
rows in `evaluation/flat_validation.parquet`) and the model's metadata (split, counts, the leakage
guard's verdicts); `render_flat_report` draws the page with the history report's style, charts and
sections (drivers, scores by grade, drift), replacing the model card and "model vs points" with
the flat ones and adding the leakage guard's verdicts.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["FLAT_VALIDATION_ARTIFACT", "COMPARISON_ARTIFACT", "flat_card", "is_flat_report", "render_flat_report"]

FLAT_VALIDATION_ARTIFACT = "evaluation/flat_validation.parquet"  # id, fold, label, score, one column per compare column
COMPARISON_ARTIFACT = "evaluation/comparison.json"  # one row per score: mean and sd over folds, coverage
_METRICS = (
    ("roc_auc", "ROC AUC", "how well the score orders converters above the rest (0.5 = coin flip)"),
    ("pr_auc", "PR AUC", "precision across the list; compare with the base rate"),
    ("capture_10", "top-10% capture", "share of conversions in the best 10% of leads"),
    ("capture_20", "top-20% capture", "share of conversions in the best 20% of leads"),
)


def is_flat_report(report: Any) -> bool:
    return isinstance(getattr(report, "card", None), dict) and "flat" in report.card


def flat_card(run_id: str, meta: Mapping[str, Any]) -> dict[str, Any]:
    """What the flat report shows beyond the history report's data, read from the run and the model."""
    import polars as pl

    from propensity.lifecycle._tracking import download_run_artifact
    from propensity.reports._data import compare_gains

    flat = dict(meta.get("flat", {}))
    comparison = list(meta.get("comparison", []))
    gains: dict[str, tuple[list[float], list[float]]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="propensity-flat-report-"))
    try:
        local = download_run_artifact(run_id, COMPARISON_ARTIFACT, tmp)
        if local is not None:  # else an older run: the model's metadata holds the same table
            comparison = json.loads(local.read_text(encoding="utf-8"))
        local = download_run_artifact(run_id, FLAT_VALIDATION_ARTIFACT, tmp)
        rows = pl.read_parquet(local) if local is not None else None  # an older run: the table has the figures
        if rows is not None:
            compared = [r["score"] for r in comparison if r["score"] != "model" and r["score"] in rows.columns]
            gains = compare_gains(rows["label"].to_numpy(), {c: rows[c].to_numpy() for c in compared})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "table": flat.get("table"),
        "target": flat.get("target"),
        "id_column": flat.get("id_column"),
        "date_column": flat.get("date_column"),
        "placeholders": list(flat.get("placeholders", [])),
        "columns": list(flat.get("columns", [])),
        "left_out": dict(flat.get("left_out", {})),
        "split": meta.get("split", ""),
        "counts": dict(meta.get("counts", {})),
        "comparison": comparison,
        "leakage": list(meta.get("leakage", [])),
        "excluded": dict(meta.get("excluded", {})),
        "plausibility": dict(meta.get("plausibility") or {}),
        "gains": gains,
    }


# ------------------------------------------------------------------------------------ sections
def _fmt(key: str, v: float | None) -> str:
    from propensity.reports._sections import fmt_num, fmt_pct

    return fmt_num(v) if key.endswith("auc") else fmt_pct(v, 1)


def _ok(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def _header(r: Any) -> str:
    from propensity.reports._sections import esc

    f = r.card["flat"]
    name = r.model_name or "propensity model"
    others = [c["score"] for c in f["comparison"] if c["score"] != "model"]
    against = f" against {', '.join(others)} on the same leads" if others else ""
    return (
        f"<header><h1>Lead propensity: {esc(name)} version {esc(r.model_version)}</h1>"
        f"<p>Probability that a lead of {esc(f['table'])} converts ({esc(f['target'])}), judged by {esc(f['split'])}{esc(against)}.</p></header>"
        "<nav>"
        + "".join(
            f'<a href="#{sid}">{esc(t)}</a>'
            for sid, t in (
                ("model-card", "Model card"),
                ("model-vs-points", "Model vs the company's scores"),
                ("leakage-guard", "Leakage guard"),
                ("drivers", "Drivers"),
                ("score-distribution", "Scores by grade"),
                ("drift", "Drift"),
            )
        )
        + "</nav>"
    )


def _model_card(r: Any) -> str:
    from propensity.reports._sections import fmt_pct, left_out_note, model_card_section

    c, f = r.card, r.card["flat"]
    n = f["counts"]
    rate = n.get("positives", 0) / n["rows"] if n.get("rows") else None
    items = [
        ("table", "Lead table", f"{f['table']} ({n.get('rows', 0):,} leads, one row each)", n.get("rows")),
        ("target", "Target", f"{f['target']}: {n.get('positives', 0):,} converted ({fmt_pct(rate, 1)})", rate),
        ("id_column", "Lead id", str(f["id_column"]), None),
        ("split", "Judged by", f"{f['split']}; {n.get('judged_rows', 0):,} leads judged out of fold", n.get("judged_rows")),
        ("features", "Inputs", f"{len(f['columns'])} columns of the table; {c.get('best_iteration')} trees", len(f["columns"])),
        ("excluded", "Left out by the leakage guard", ", ".join(v["column"] for v in f["leakage"] if v.get("excluded")) or "none", None),
        ("placeholders", "Read as missing", ", ".join(f'"{p}"' for p in f["placeholders"]) or "nothing", None),
        ("model_version", "Model version", f"{r.model_name or 'model'} version {r.model_version}", r.model_version),
        ("trained_at", "Trained at", str(c.get("trained_at") or "n/a"), None),
        ("run_id", "MLflow run", r.run_id, None),
        ("data_fingerprint", "Data fingerprint", str(c.get("data_fingerprint") or "n/a")[:16], None),
    ]
    return model_card_section(items, left_out_note(f.get("left_out") or {}, "<code>--keep COLUMN</code>"))


def _comparison(r: Any) -> str:
    from propensity.reports._charts import (
        compare_gains_chart,
        out_of_fold_calibration_chart,
    )
    from propensity.reports._data import gains_points
    from propensity.reports._sections import (
        esc,
        fmt_num,
        fmt_pct,
        fmt_val,
        html_table,
        html_td,
    )

    f = r.card["flat"]
    comp = f["comparison"]
    model = next((c for c in comp if c["score"] == "model"), {})
    others = [c for c in comp if c["score"] != "model"]
    folds = int(f["counts"].get("folds", 1))
    sd = folds > 1

    def cell(row: Mapping[str, Any], key: str, who: str) -> str:
        mean, std = row.get(f"{key}_mean"), row.get(f"{key}_std")
        text = _fmt(key, mean) + (f" &plusmn; {_fmt(key, std)}" if sd and _ok(std) else "")
        return html_td(text, numeric=True, attrs=f'data-compare="{esc(who)}" data-metric="{key}" data-value="{fmt_val(mean)}"')

    tiles = []
    for key, title, _ in (_METRICS[0], _METRICS[1], _METRICS[2]):
        mv = model.get(f"{key}_mean")
        best_other = max((o.get(f"{key}_mean") for o in others if _ok(o.get(f"{key}_mean"))), default=None)
        better = _ok(mv) and (best_other is None or mv > best_other)
        sub = "; ".join(f"{esc(o['score'])}: {_fmt(key, o.get(f'{key}_mean'))}" for o in others) or "no column to compare"
        tiles.append(
            f'<div class="tile"><div class="k">{esc(title)}{" (mean over folds)" if sd else ""}</div>'
            f'<div class="v {"good" if better else "bad"}">{_fmt(key, mv)}</div><div class="s">{sub}</div></div>'
        )
    m = r.metrics
    tiles.append(
        f'<div class="tile"><div class="k">calibration (out of fold)</div><div class="v">{fmt_pct(m.get("valid_mean_score"), 2)}</div>'
        f'<div class="s">mean score vs {fmt_pct(m.get("valid_observed_rate"), 2)} observed; ECE {fmt_num(m.get("valid_ece"), 4)}</div></div>'
    )
    rows = []
    for key, title, hint in _METRICS:
        rows.append([f'<td title="{esc(hint)}">{esc(title)}</td>', *(cell(c, key, c["score"]) for c in [model, *others]), f'<td class="reasons">{esc(hint)}</td>'])
    coverage = [html_td("100%", numeric=True)] + [
        html_td(fmt_pct(o.get("coverage"), 0), numeric=True, attrs=f'data-compare="{esc(o["score"])}" data-metric="coverage" data-value="{fmt_val(o.get("coverage"))}"')
        for o in others
    ]
    rows.append(["<td>leads with a value</td>", *coverage, '<td class="reasons">a missing value ranks as its own level</td>'])
    if any(_ok(o.get("covered_roc_auc_mean")) for o in others):
        covered = [html_td("", numeric=True)]
        for o in others:
            it, mo = o.get("covered_roc_auc_mean"), o.get("covered_model_roc_auc_mean")
            covered.append(
                html_td(f"{fmt_num(it)} / model {fmt_num(mo)}" if _ok(it) else "n/a", numeric=True,
                    attrs=f'data-compare="{esc(o["score"])}" data-metric="covered_roc_auc" data-value="{fmt_val(it)}" data-model-value="{fmt_val(mo)}"')
            )
        rows.append(["<td>ROC AUC where it has a value</td>", *covered, '<td class="reasons">the same leads, the column vs the model</td>'])
    headers = ["metric", "model", *(o["score"] for o in others), "what it means"]
    table = html_table(headers, rows, numeric=tuple(range(1, 2 + len(others))))

    y = r.validation["label"].to_numpy()
    compared = []
    for i, o in enumerate(others):
        g = f["gains"].get(o["score"])
        if g is None and i == 0:  # an older run: the first compare column is the validation rows' points
            g = r.gains.get("points")
        compared.append((o["score"], g))
    gains = compare_gains_chart(gains_points(y, r.validation["score"].to_numpy()), compared)
    calib = out_of_fold_calibration_chart(r.calibration)
    judged = f["counts"].get("judged_rows", 0)
    how = f"on the same {folds} folds (mean &plusmn; sd over folds)" if sd else "on the same judged leads"
    return (
        '<section id="model-vs-points"><h2>Model vs the company\'s own scores</h2>'
        f'<p class="lead">The same {judged:,} leads, each scored by a model that never saw it, and by each compared column read '
        f"with what the training rows of its fold show, {how}. Green: the model beats every compared column.</p>"
        f'<div class="grid4">{"".join(tiles)}</div><h3>Metrics</h3>{table}'
        f'<div class="grid2" style="margin-top:18px"><figure id="gains-chart">{gains}<figcaption>Work the list best first: '
        "how many conversions each score finds (out-of-fold scores pooled over the folds). Dotted lines mark 10, 20 and 30% of leads."
        f'</figcaption></figure><figure id="calibration-chart">{calib}<figcaption>Ten equal-size groups of leads: on the dashed line, '
        "a score of 5% means 5 in 100 such leads convert.</figcaption></figure></div></section>"
    )


def _leakage(r: Any) -> str:
    from propensity.reports._sections import esc, fmt_num, fmt_val, html_table, html_td

    f = r.card["flat"]
    flagged = [v for v in f["leakage"] if v.get("reason")]
    if not flagged:
        body = '<p class="lead">No column predicted the target by itself or was marked as filled in after the fact.</p>'
    else:
        rows = [
            [
                html_td(esc(v["column"])),
                html_td(fmt_num(v["auc"]), numeric=True, attrs=f'data-leak="{esc(v["column"])}" data-value="{fmt_val(v["auc"])}"'),
                html_td("excluded" if v["excluded"] else "kept (--keep)"),
                f'<td class="reasons">{esc(v["reason"])}</td>',
            ]
            for v in flagged
        ]
        body = (
            '<p class="lead">Before any model saw the table, each column was judged alone (its ROC AUC on the target) and against the '
            "data dictionary and its name. A column that predicts the target almost by itself, or that staff fill in after the lead "
            "arrived, is an outcome in disguise: it makes a model look brilliant and useless on a fresh lead. "
            "Keep one on purpose with <code>--keep COLUMN</code>.</p>"
            + html_table(["column", "AUC alone", "verdict", "why"], rows, numeric=(1,))
        )
    return f'<section id="leakage-guard"><h2>Leakage guard</h2>{_plausibility(f.get("plausibility") or {})}{body}</section>'


def _plausibility(p: Mapping[str, Any]) -> str:
    """A warning when the cross-validated ROC AUC is too good to be true, with the columns that carry it."""
    from propensity.reports._sections import esc, fmt_num, fmt_pct, fmt_val

    if not p.get("suspicious"):
        return ""
    carriers = p.get("carriers", [])
    items = "".join(
        f'<li data-carrier="{esc(c["column"])}" data-value="{fmt_val(c["share"])}">{esc(c["column"])}: {fmt_pct(c["share"], 0)} of the model\'s importance</li>'
        for c in carriers
    )
    return (
        f'<div class="warn" id="plausibility" data-suspicious="true" data-value="{fmt_val(p.get("cv_roc_auc"))}">'
        f'<p><strong>Too good to be true?</strong> The cross-validated ROC AUC is {fmt_num(p.get("cv_roc_auc"))}, at or above '
        f'{fmt_num(p.get("threshold"))}: far above what lead scoring usually reaches. It is carried by these columns; check that '
        f"each is known before the outcome, and leave it out with <code>--exclude COLUMN</code> if it is not:</p><ul>{items}</ul></div>"
    )


def render_flat_report(r: Any) -> str:
    """The whole page of a flat-table model as one string (`render_report` hands flat reports here)."""
    from propensity._version import __version__
    from propensity.reports._sections import (
        CSS,
        distribution_section,
        drift_section,
        drivers_section,
        esc,
    )

    body = "".join([_model_card(r), _comparison(r), _leakage(r), drivers_section(r), distribution_section(r), drift_section(r)])
    title = f"Lead propensity report: {r.model_name or 'model'} version {r.model_version}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>{_header(r)}<main>{body}</main>"
        f"<footer>Generated {esc(r.generated_at)} by propensity {esc(__version__)} from {esc(r.model_uri)} (MLflow run {esc(r.run_id)}). "
        "Leads are shown by their id only.</footer></body></html>\n"
    )
