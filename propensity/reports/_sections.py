"""The parts of the sales-ops report page: escaping, tables, charts and the history report's sections.

The page itself (`propensity report`) is one self-contained HTML file a sales-ops person opens in a browser.

Inline CSS, charts as inline SVG, no script and no external URL: the file works offline and can be
mailed around. Sections have stable ids (model-card, model-vs-points, drivers, dependence,
score-distribution, tier-migration, fit-engagement when the model has the views, drift) and every figure carries its exact value in a
`data-value` attribute next to the rounded text, so tests and tools can read it back.
Contacts appear by contact_id only, with their reasons: never a name, email or phone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from propensity.reports._charts import GRADE_COLORS, LOWER_COLOR, MODEL_COLOR
from propensity.reports._data import GRADES, Report
from propensity.reports._svg import CHART_CSS

__all__ = ["CSS", "esc", "pill", "mix_color", "fmt_pct", "fmt_num", "fmt_val", "html_table", "html_td", "model_card_section", "header", "model_card", "model_vs_points", "drivers_section", "distribution_section", "migration_section", "drift_section"]


_METRICS = (
    ("roc_auc", "ROC AUC", "how well the score orders converters above the rest (0.5 = coin flip)"),
    ("pr_auc", "PR AUC", "precision across the list; compare with the base rate"),
    ("capture_10", "top-10% capture", "share of conversions in the best 10% of leads"),
    ("capture_20", "top-20% capture", "share of conversions in the best 20% of leads"),
    ("capture_30", "top-30% capture", "share of conversions in the best 30% of leads"),
)

CSS = CHART_CSS + """
:root{--ink:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#f6f7f9;--card:#fff;--model:#2563eb;--points:#f59e0b}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header{background:#0f172a;color:#f8fafc;padding:28px 40px 22px}
header h1{margin:0 0 4px;font-size:26px;font-weight:650}
header p{margin:0;color:#cbd5e1}
nav{background:#1e293b;padding:8px 40px;display:flex;gap:18px;flex-wrap:wrap}
nav a{color:#e2e8f0;text-decoration:none;font-size:14px}
nav a:hover{text-decoration:underline}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:22px 26px;margin:0 0 22px}
h2{margin:0 0 4px;font-size:20px}
h3{margin:18px 0 8px;font-size:16px}
.lead{color:var(--muted);margin:0 0 16px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:22px}
.wide{display:grid;grid-template-columns:1.25fr 1fr;gap:22px;align-items:start}
.grid3{display:grid;grid-template-columns:repeat(3,1fr);gap:14px}
.grid4{display:grid;grid-template-columns:repeat(4,1fr);gap:14px}
@media(max-width:900px){.wide,.grid2,.grid3,.grid4{grid-template-columns:1fr}}
.tile{border:1px solid var(--line);border-radius:10px;padding:12px 14px;background:#fbfbfc}
.tile .k{color:var(--muted);font-size:13px}
.tile .v{font-size:24px;font-weight:650}
.tile .s{font-size:13px;color:var(--muted)}
.good{color:#15803d}.bad{color:#b91c1c}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:7px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:#374151;background:#f9fafb}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
dl.card{display:grid;grid-template-columns:220px 1fr;gap:6px 18px;margin:0}
dl.card dt{color:var(--muted)}
dl.card dd{margin:0;font-weight:500}
.pill{display:inline-block;min-width:26px;text-align:center;padding:1px 8px;border-radius:999px;color:#fff;font-weight:650;font-size:13px}
.up{color:#15803d;font-weight:600}.down{color:#b91c1c;font-weight:600}
.chart{width:100%;height:auto;display:block}
figure{margin:0}
figcaption{color:var(--muted);font-size:13px;margin-top:4px}
.heat td.cell{text-align:center;font-variant-numeric:tabular-nums;min-width:92px}
.heat td.cell small{display:block;font-size:11px;opacity:.85}
.note{background:#fffbeb;border:1px solid #fde68a;border-radius:8px;padding:10px 14px;margin:10px 0}
.warn{background:#fef2f2;border:1px solid #fecaca;border-radius:8px;padding:10px 14px;margin:10px 0}
.reasons{color:#374151;font-size:13px}
details summary{cursor:pointer;color:#2563eb;margin:10px 0;font-size:14px}
footer{color:var(--muted);font-size:12px;text-align:center;padding:0 0 30px}
"""


# ------------------------------------------------------------------ helpers
def esc(v: object) -> str:
    return escape(str(v))


def _finite(v: float | None) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def fmt_pct(v: float | None, digits: int = 1) -> str:
    return f"{100 * v:.{digits}f}%" if _finite(v) else "n/a"


def fmt_num(v: float | None, digits: int = 3) -> str:
    return f"{v:.{digits}f}" if _finite(v) else "n/a"


def fmt_val(v: float | None) -> str:
    return repr(float(v)) if _finite(v) else "nan"


def pill(g: str) -> str:
    return f'<span class="pill" style="background:{GRADE_COLORS.get(g, "#6b7280")}">{esc(g)}</span>'


def html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = (), cls: str = "") -> str:
    head = "".join(f'<th class="n">{esc(h)}</th>' if i in numeric else f"<th>{esc(h)}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(rows_cell for rows_cell in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def html_td(text: str, *, numeric: bool = False, attrs: str = "") -> str:
    cls = ' class="n"' if numeric else ""
    extra = f" {attrs}" if attrs else ""
    return f"<td{cls}{extra}>{text}</td>"


def mix_color(hex_color: str, share: float) -> str:
    """The colour blended with white: share 0 -> white, 1 -> the colour."""
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    s = max(0.0, min(1.0, share))
    return "#" + "".join(f"{int(round(255 + (c - 255) * s)):02x}" for c in (r, g, b))


# ------------------------------------------------------------------ sections
def header(r: Report) -> str:
    from propensity.scoring._reasons import outcome_text

    name = r.model_name or "propensity model"
    label = " or ".join(outcome_text(o) for o in r.card["positive_outcomes"]) or "a positive outcome"
    return (
        f"<header><h1>Lead propensity: {esc(name)} version {esc(r.model_version)}</h1>"
        f"<p>Probability that an open lead reaches {esc(label)} within {esc(r.card['horizon_days'])} days, "
        f"judged on held-out time against the points it replaces.</p></header>"
        "<nav>"
        + "".join(
            f'<a href="#{sid}">{esc(t)}</a>'
            for sid, t in (
                ("model-card", "Model card"),
                ("model-vs-points", "Model vs points"),
                ("drivers", "Drivers"),
                ("score-distribution", "Scores by grade"),
                ("tier-migration", "Tier migration"),
                *((("fit-engagement", "Fit x engagement"),) if r.fit_engagement is not None else ()),
                ("drift", "Drift"),
            )
        )
        + "</nav>"
    )


def model_card(r: Report) -> str:
    c = r.card
    counts = c["counts"]
    tw = c["training_window"]

    def rate(role: str) -> float | None:
        n = counts.get(f"{role}_rows", 0)
        return counts.get(f"{role}_positives", 0) / n if n else None

    from propensity.scoring._reasons import outcome_text

    label = " or ".join(outcome_text(o) for o in c["positive_outcomes"])
    items = [
        ("label", "Label", f"{label} within {c['horizon_days']} days of the cutoff", None),
        ("positive_outcomes", "Positive outcomes", ", ".join(outcome_text(o) for o in c["positive_outcomes"]), None),
        ("horizon_days", "Horizon", f"{c['horizon_days']} days", c["horizon_days"]),
        ("training_window", "Model in service fitted on",
         f"{str(tw.get('first_cutoff', ''))[:10]} to {str(tw.get('last_cutoff', ''))[:10]}: "
         f"{len(c.get('fitted_cutoffs') or [])} monthly cutoffs, every matured one", len(c.get("fitted_cutoffs") or [])),
        ("valid_cutoffs", "Backtest judged on",
         ", ".join(str(t)[:10] for t in c["valid_cutoffs"]) + f" ({len(c.get('backtest_folds') or [])} forward folds, "
         "each fitted only on cutoffs whose label windows closed before it)", len(c.get("backtest_folds") or [])),
        ("data_window", "Data window", c.get("data_window") or "n/a", None),
        ("train_rows", "Training leads", f"{counts.get('train_rows', 0):,} ({counts.get('train_positives', 0):,} positive)", counts.get("train_rows")),
        ("train_positive_rate", "Training positive rate", fmt_pct(rate("train"), 2), rate("train")),
        ("sampling", "Negatives fitted on",
         (f"{fmt_pct(c['sampling']['negative_rate'], 1)} of {c['sampling']['negatives']:,} negative leads (seeded), every positive; "
          "calibrated on every judged lead" if (c.get("sampling") or {}).get("negative_rate", 1.0) < 1.0 else "all"),
         (c.get("sampling") or {}).get("negative_rate", 1.0)),
        ("valid_rows", "Backtest leads (out of time)", f"{counts.get('valid_rows', 0):,} ({counts.get('valid_positives', 0):,} positive)", counts.get("valid_rows")),
        ("valid_positive_rate", "Backtest positive rate", fmt_pct(rate("valid"), 2), rate("valid")),
        ("newest_calibration", "Newest matured cutoff",
         (f"mean score {fmt_pct(c['newest'].get('mean_score'), 2)} against the rate that followed {fmt_pct(c['newest'].get('observed_rate'), 2)}"
          if c.get("newest") else "n/a"), (c.get("newest") or {}).get("mean_score")),
        ("model_version", "Model version", f"{r.model_name or 'model'} version {r.model_version}", r.model_version),
        ("trained_at", "Trained at", str(c.get("trained_at") or "n/a"), None),
        ("run_id", "MLflow run", r.run_id, None),
        ("features", "Inputs", f"{c['features']} features in {c['fields']} business fields; {c.get('best_iteration')} trees", None),
        ("data_fingerprint", "Data fingerprint", str(c.get("data_fingerprint") or "n/a")[:16], None),
    ]
    return model_card_section(items, left_out_note(c.get("left_out") or {}, "<code>[features] keep_columns</code> in the features config"))


def left_out_note(left_out: dict[str, str], how_to_keep: str) -> str:
    """The model card's note naming the identifier-like columns that are not features, and why
    (`how_to_keep` is trusted HTML saying how to keep one on purpose)."""
    if not left_out:
        return ""
    items = "".join(f'<li data-left-out="{esc(column)}"><code>{esc(column)}</code>: {esc(why)}</li>' for column, why in left_out.items())
    return (
        f'<div class="note" data-card="left_out" data-value="{len(left_out)}"><p>Left out as identifiers (a rep cannot act on '
        f"an id, and a value seen once teaches the model nothing): {len(left_out)} column{'s' if len(left_out) != 1 else ''}. "
        f"Keep one on purpose with {how_to_keep}.</p><ul>{items}</ul></div>"
    )


def model_card_section(items: list[tuple[str, str, str, Any]], note: str = "") -> str:
    """The model card from (key, title, text, value) items: `data-card` names each entry and
    `data-value` carries its number for tests and tools; `note` (HTML) follows the entries."""
    rows = "".join(
        f'<dt>{esc(title)}</dt><dd data-card="{key}"' + (f' data-value="{esc(value)}"' if value is not None else "") + f">{esc(text)}</dd>"
        for key, title, text, value in items
    )
    return (
        '<section id="model-card"><h2>Model card</h2>'
        '<p class="lead">What the model predicts, what it learned from, and which version this is.</p>'
        f'<dl class="card">{rows}</dl>{note}</section>'
    )


def model_vs_points(r: Report) -> str:
    from propensity.reports._charts import (
        held_out_calibration_chart,
        held_out_gains_chart,
    )

    m = r.metrics
    gate = r.card.get("gate") or {}
    trusted = bool(gate.get("promote", True))  # a model the gate kept out of service is never shown in green
    tiles = []
    for key, title, _ in (_METRICS[0], _METRICS[3], _METRICS[1]):
        mv, pv = m.get(f"valid_{key}"), m.get(f"points_valid_{key}")
        better = trusted and _finite(mv) and _finite(pv) and mv > pv  # type: ignore[operator]
        shown = fmt_num(mv) if key.endswith("auc") else fmt_pct(mv, 0)
        shown_p = fmt_num(pv) if key.endswith("auc") else fmt_pct(pv, 0)
        tiles.append(
            f'<div class="tile"><div class="k">{esc(title)}</div><div class="v {"good" if better else "bad"}">{shown}</div>'
            f'<div class="s">points: {shown_p}</div></div>'
        )
    rate = m.get("valid_observed_rate")
    tiles.append(
        f'<div class="tile"><div class="k">calibration</div><div class="v">{fmt_pct(m.get("valid_mean_score"), 2)}</div>'
        f'<div class="s">mean score vs {fmt_pct(rate, 2)} observed; ECE {fmt_num(m.get("valid_ece"), 4)}</div></div>'
    )
    rows = []
    for key, title, hint in _METRICS:
        mv, pv = m.get(f"valid_{key}"), m.get(f"points_valid_{key}")
        fmt = fmt_num if key.endswith("auc") else (lambda v: fmt_pct(v, 1))
        lift = (mv - pv) if _finite(mv) and _finite(pv) else None  # type: ignore[operator]
        lift_text = (f"{lift:+.3f}" if key.endswith("auc") else f"{100 * lift:+.1f} pts") if lift is not None else "n/a"
        rows.append(
            [
                f'<td title="{esc(hint)}">{esc(title)}</td>',
                html_td(fmt(mv), numeric=True, attrs=f'data-metric="valid_{key}" data-value="{fmt_val(mv)}"'),
                html_td(fmt(pv), numeric=True, attrs=f'data-metric="points_valid_{key}" data-value="{fmt_val(pv)}"'),
                html_td(f'<span class="{"up" if (lift or 0) > 0 else "down"}">{lift_text}</span>', numeric=True),
                f'<td class="reasons">{esc(hint)}</td>',
            ]
        )
    table = html_table(["metric", "model", "points", "model - points", "what it means"], rows, numeric=(1, 2, 3))
    gains = held_out_gains_chart(r.gains)
    calib = held_out_calibration_chart(r.calibration)
    warn = "" if trusted else f'<p class="warn" data-gate="refused">Not in service: {esc(gate.get("rule", ""))}.</p>'
    off = [
        k for k, v in r.recomputed.items()
        if k in m and _finite(v) and _finite(m[k]) and abs(v - m[k]) > 1e-9
    ]
    if off:
        warn += f'<p class="warn">The validation rows of this run disagree with its logged metrics ({esc(", ".join(off[:4]))}).</p>'
    return (
        '<section id="model-vs-points"><h2>Model vs points</h2>'
        f'<p class="lead">The same {r.card["counts"].get("valid_rows", 0):,} validation leads, scored by the model and by the points, '
        "on cutoffs the model never saw. Green: the model beats the points.</p>"
        f'{warn}<div class="grid4">{"".join(tiles)}</div><h3>Metrics</h3>{table}'
        f'<div class="grid2" style="margin-top:18px"><figure id="gains-chart">{gains}<figcaption>Work the list best first: '
        "how many conversions each score finds. Dotted lines mark 10, 20 and 30% of leads.</figcaption></figure>"
        f'<figure id="calibration-chart">{calib}<figcaption>Ten equal-size groups of leads: on the dashed line, a score '
        "of 5% means 5 in 100 such leads convert.</figcaption></figure></div></section>"
    )


def drivers_section(r: Report) -> str:
    from propensity.reports._charts import drivers_chart

    d = r.drivers[:15]
    if not d:
        return '<section id="drivers"><h2>What drives the score</h2><p>This model carries no drivers table.</p></section><div id="dependence"></div>'
    chart = drivers_chart(d)
    rows = [
        [
            html_td(esc(x["driver"])),
            html_td(f"{100 * x['importance']:.1f}%", numeric=True, attrs=f'data-driver="{esc(x["field"])}" data-value="{fmt_val(x["importance"])}"'),
            html_td(esc(x["direction"])),
        ]
        for x in r.drivers
    ]
    headers = ["business field", "weight", "direction"]
    rest = ""
    if len(rows) > len(d):
        rest = (
            f"<details><summary>All {len(rows)} business fields</summary>"
            f"{html_table(headers, rows[len(d):], numeric=(1,))}</details>"
        )
    return (
        '<section id="drivers"><h2>What drives the score</h2>'
        '<p class="lead">Each business field\'s share of the model\'s attention (mean absolute contribution on the validation leads), '
        "and which way it pushes. A direction is stated only when the effect moves one way from the field's lowest band of "
        "values to its highest (each band holding at least 5% of the leads); otherwise it depends on the value. "
        "Teal: more of it raises the score; red: more of it lowers it; grey: it depends, or the field is a category.</p>"
        f'<div class="wide"><figure>{chart}</figure><div>{html_table(headers, rows[: len(d)], numeric=(1,))}{rest}</div></div>'
        f"{_dependence(r)}</section>"
    )


def _dependence(r: Report) -> str:
    from propensity.reports._charts import dependence_chart
    from propensity.scoring._reasons import odds_text

    figs = []
    for dep in r.dependence:
        chart = dependence_chart(dep)
        miss = ""
        if dep.missing:
            miss = f" {dep.missing[1]:,} leads without a value: {odds_text(dep.missing[0])} odds on average."
        figs.append(
            f'<figure data-dependence="{esc(dep.field)}"><h3>{esc(dep.driver)}</h3>{chart}'
            f"<figcaption>Each dot is a validation lead; the dark line is the average effect.{esc(miss)}</figcaption></figure>"
        )
    return (
        '<div id="dependence"><h3 style="margin-top:26px">How the top drivers\' values map to the score</h3>'
        '<p class="lead">Each effect is a multiplier of the odds of converting against an average lead: x2 means twice the odds, '
        "x0.5 half. Above the dashed line (x1) a value raises the score, below it lowers it.</p>"
        f'<div class="grid2">{"".join(figs)}</div></div>'
    )


def _grade_rows(rows: Sequence[Any], *, prefix: str, labelled: bool) -> list[list[str]]:
    out = []
    for g in rows:
        cells = [
            html_td(pill(g.grade)),
            html_td(f"{g.leads:,}", numeric=True, attrs=f'data-{prefix}-leads="{g.grade}" data-value="{g.leads}"'),
            html_td(fmt_pct(g.share), numeric=True),
            html_td(f"{fmt_pct(g.min_score, 2)} - {fmt_pct(g.max_score, 2)}" if g.leads else "n/a", numeric=True),
        ]
        if labelled:
            cells += [
                html_td(f"{g.positives:,}", numeric=True),
                html_td(fmt_pct(g.rate, 2), numeric=True, attrs=f'data-{prefix}-rate="{g.grade}" data-value="{fmt_val(g.rate)}"'),
            ]
        out.append(cells)
    return out


def distribution_section(r: Report) -> str:
    from propensity.reports._charts import histogram_chart, validation_histogram_chart

    chart = validation_histogram_chart(r.histogram)
    table = html_table(
        ["grade", "leads", "share", "score range", "converted", "conversion rate"],
        _grade_rows(r.grades, prefix="grade", labelled=True),
        numeric=(1, 2, 3, 4, 5),
    )
    scored = ""
    if r.scored_grades is not None and r.scored_histogram is not None and r.drift is not None:
        chart2 = histogram_chart(r.scored_histogram, "Scored leads by grade", "calibrated probability, % (same bins as validation)")
        t2 = html_table(["grade", "leads", "share", "score range"], _grade_rows(r.scored_grades, prefix="scored", labelled=False), numeric=(1, 2, 3))
        scored = f'<h3>The scored leads ({esc(r.drift.source)}, {r.drift.leads:,} leads)</h3><div class="wide"><figure>{chart2}</figure><div>{t2}</div></div>'
    return (
        '<section id="score-distribution"><h2>Scores by grade</h2>'
        '<p class="lead">Grades are fixed at training from the validation scores: A is the top 10%, B the next 20%, C the next 30%, '
        "D the rest. The conversion rate is what actually happened to those leads.</p>"
        f'<div class="wide"><figure>{chart}</figure><div>{table}</div></div>{scored}</section>'
    )


def migration_section(r: Report) -> str:
    mg = r.migration
    biggest = max([c for row in mg.counts for c in row] + [1])
    head = "".join(f"<th>model {pill(g)}</th>" for g in GRADES)
    body = []
    for i, tier in enumerate(GRADES):
        cells = []
        for j, g in enumerate(GRADES):
            n = mg.counts[i][j]
            rate = mg.rates[i][j]
            color = GRADE_COLORS["A"] if i == j else (MODEL_COLOR if j < i else LOWER_COLOR)
            bg = mix_color(color, 0.12 + 0.6 * (n / biggest) ** 0.5) if n else "#ffffff"
            fg = "#fff" if n / biggest > 0.45 else "#111827"
            tip = f"points tier {tier} -> model grade {g}: {n:,} leads" + (f", {100 * rate:.1f}% converted" if rate is not None else "")
            cells.append(
                f'<td class="cell" style="background:{bg};color:{fg}" title="{esc(tip)}" data-migration="{tier}{g}" data-value="{n}">'
                f"{n:,}<small>{fmt_pct(rate, 1) + ' conv.' if rate is not None else '&nbsp;'}</small></td>"
            )
        body.append(f"<tr><th>points {pill(tier)}</th>{''.join(cells)}</tr>")
    heat = f'<table class="heat"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    total = max(mg.total, 1)
    summary = (
        f'<div class="grid3" style="margin:14px 0">'
        f'<div class="tile"><div class="k">keep their tier</div><div class="v" data-migration-summary="same" data-value="{mg.same}">{fmt_pct(mg.same / total, 0)}</div><div class="s">{mg.same:,} leads</div></div>'
        f'<div class="tile"><div class="k">moved up by the model</div><div class="v up" data-migration-summary="up" data-value="{mg.up}">{fmt_pct(mg.up / total, 0)}</div><div class="s">{mg.up:,} leads</div></div>'
        f'<div class="tile"><div class="k">moved down by the model</div><div class="v down" data-migration-summary="down" data-value="{mg.down}">{fmt_pct(mg.down / total, 0)}</div><div class="s">{mg.down:,} leads</div></div></div>'
    )

    def mover_table(rows: list[dict[str, Any]], kind: str) -> str:
        out = []
        for m in rows:
            out.append(
                [
                    html_td(f'<code data-mover="{kind}">{esc(m["contact_id"])}</code>'),
                    html_td(esc(m["cutoff"])),
                    html_td(f'{m["points"]:,.0f} {pill(m["points_tier"])}', numeric=True),
                    html_td(f'{fmt_pct(m["score"], 1)} {pill(m["grade"])}', numeric=True),
                    html_td("yes" if m["converted"] else "no"),
                    f'<td class="reasons">{esc(m.get("why", m["reasons"]))}</td>',
                ]
            )
        return html_table(["contact", "cutoff", "points (tier)", "score (grade)", "converted", "why the model moves it"], out, numeric=(2, 3))

    return (
        '<section id="tier-migration"><h2>Tier migration: points tiers vs model grades</h2>'
        '<p class="lead">Validation leads by their points tier (the same number of leads per tier as the model\'s grades, most points first) '
        "and their model grade. Blue cells: the model ranks the lead higher than the points do; red: lower. "
        "Each cell shows how many of those leads converted.</p>"
        f"{summary}{heat}"
        f'<h3>Biggest moves up</h3>{mover_table(r.movers.get("up", []), "up")}'
        f'<h3>Biggest moves down</h3>{mover_table(r.movers.get("down", []), "down")}</section>'
    )


def drift_section(r: Report) -> str:
    from propensity.reports._svg import grouped_bars

    d = r.drift
    if d is None:
        return (
            '<section id="drift"><h2>Drift</h2><p class="lead">No scores were given. Run '
            "<code>propensity report --model URI --scores scores.csv</code> with a <code>propensity score</code> output to compare "
            "today's leads with the training reference.</p></section>"
        )
    cls = "good" if d.status == "stable" else "bad"
    chart = grouped_bars(
        [str(i + 1) for i in range(len(d.bins))],
        {"validation (reference)": [100 * b[1] for b in d.bins], "scored leads": [100 * b[2] for b in d.bins]},
        {"validation (reference)": "#94a3b8", "scored leads": MODEL_COLOR},
        title="Share of leads per reference score decile",
        x_label="decile of the validation scores (1 = lowest)",
        y_label="% of leads",
        yf=lambda v: f"{v:.0f}",
    )
    grade_rows = [
        [html_td(pill(g)), html_td(fmt_pct(e), numeric=True), html_td(fmt_pct(a), numeric=True, attrs=f'data-drift-grade="{g}" data-value="{fmt_val(a)}"'),
         html_td(f"{100 * (a - e):+.1f} pts", numeric=True)]
        for g, e, a in d.grades
    ]
    versions = ""
    if d.model_versions and d.model_versions != [r.model_version]:
        versions = f'<p class="note">The scores were made by model version {esc(", ".join(d.model_versions))}, this report is about version {esc(r.model_version)}.</p>'
    feats = ""
    if d.features:
        feats = (
            f"<h3>Inputs that moved most</h3><p class=\"lead\">From the drift table <code>propensity score</code> wrote beside "
            f"{esc(d.source)}: PSI of each model input against its training reference.</p>"
            + html_table(
                ["input", "PSI", "status"],
                [[html_td(esc(n)), html_td(fmt_num(v), numeric=True, attrs=f'data-input-psi="{esc(n)}" data-value="{fmt_val(v)}"'), html_td(esc(_psi_word(v)))] for n, v in d.features[:10]],
                numeric=(1,),
            )
        )
    return (
        '<section id="drift"><h2>Drift against the training reference</h2>'
        f'<p class="lead">{d.leads:,} scored leads from {esc(d.source)} against the validation leads the grades were fixed on. '
        f"{esc(d.method)}: below 0.1 stable, 0.1-0.25 a moderate shift, above 0.25 a significant shift.</p>{versions}"
        f'<div class="grid3" style="margin-bottom:14px"><div class="tile"><div class="k">score PSI</div>'
        f'<div class="v {cls}" data-drift="psi" data-value="{fmt_val(d.psi)}">{fmt_num(d.psi)}</div><div class="s">{esc(d.status)}</div></div></div>'
        f'<div class="grid2"><figure>{chart}</figure><div>'
        f'{html_table(["grade", "validation", "scored", "change"], grade_rows, numeric=(1, 2, 3))}</div></div>{feats}</section>'
    )


def _psi_word(v: float) -> str:
    return "stable" if v < 0.1 else "moderate shift" if v < 0.25 else "significant shift"
