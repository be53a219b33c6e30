"""The report's fit x engagement grid: which case each lead is, and what happened to each case.

Rows are the fit grades A-D (who the lead and its account are), columns the engagement levels 1-4
(what they did), cells the matrix cells `A1` .. `D4` of `propensity.scoring._views`. Each cell holds
the backtest's out-of-time leads (the validation rows training logged, graded as scoring grades
them) and the conversion that followed; with a scores file that has the `fit_engagement` column, the
scored leads of the cell beside them. Exact figures ride in `data-fe-leads`, `data-fe-rate` and
`data-fe-scored` attributes (with `data-value`), as everywhere in the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from propensity.reports._charts import GRADE_COLORS
from propensity.reports._data import Report
from propensity.reports._sections import (
    esc,
    fmt_pct,
    fmt_val,
    mix_color,
    pill,
)
from propensity.scoring._views import CELLS

__all__ = ["FitEngagementGrid", "fit_engagement_grid", "fit_engagement_section"]

_FITS = ("A", "B", "C", "D")
_LEVELS = (1, 2, 3, 4)


@dataclass(frozen=True)
class FitEngagementGrid:
    leads: dict[str, int]  # cell -> backtest leads (out of time)
    rates: dict[str, float | None]  # cell -> share of them that converted (None when empty)
    scored: dict[str, int] | None = None  # cell -> scored leads, with a scores file that has the cells


def _counts(frame: pl.DataFrame) -> dict[str, int]:
    got = dict(frame.group_by("fit_engagement").len().iter_rows())
    return {c: int(got.get(c, 0)) for c in CELLS}


def fit_engagement_grid(validation: pl.DataFrame, scored: pl.DataFrame | None = None) -> FitEngagementGrid | None:
    """The grid of the validation rows (with `fit_engagement` and `label`), or None for a model without the views."""
    if "fit_engagement" not in validation.columns:
        return None
    rates = dict(validation.group_by("fit_engagement").agg(pl.col("label").mean()).iter_rows())
    with_cells = scored is not None and "fit_engagement" in scored.columns
    return FitEngagementGrid(
        _counts(validation),
        {c: (float(rates[c]) if c in rates else None) for c in CELLS},
        _counts(scored) if with_cells else None,  # type: ignore[arg-type]
    )


def fit_engagement_section(r: Report) -> str:
    grid: FitEngagementGrid | None = r.fit_engagement
    if grid is None:
        return ""
    best = max([r for r in grid.rates.values() if r is not None] + [1e-12])
    overall = sum((grid.rates[c] or 0.0) * grid.leads[c] for c in CELLS) / max(sum(grid.leads.values()), 1)
    head = "".join(f"<th>engagement {level}</th>" for level in _LEVELS)
    body = []
    for fit in _FITS:
        cells = []
        for level in _LEVELS:
            c = f"{fit}{level}"
            n, rate = grid.leads[c], grid.rates[c]
            bg = mix_color(GRADE_COLORS["A"], 0.7 * (rate / best) ** 0.5) if rate else "#ffffff"  # darker: more converted
            tip = f"fit {fit}, engagement {level}: {n:,} leads" + (f", {100 * rate:.1f}% converted" if rate is not None else "")
            scored = (
                f'<small data-fe-scored="{c}" data-value="{grid.scored[c]}">{grid.scored[c]:,} scored now</small>'
                if grid.scored is not None else ""
            )
            cells.append(
                f'<td class="cell" style="background:{bg}" title="{esc(tip)}" data-fe-leads="{c}" data-value="{n}">'
                f"<b>{c}</b> {n:,}"
                f'<small data-fe-rate="{c}" data-value="{fmt_val(rate)}">{fmt_pct(rate, 1) + " conv." if rate is not None else "&nbsp;"}</small>'
                f"{scored}</td>"
            )
        body.append(f"<tr><th>fit {pill(fit)}</th>{''.join(cells)}</tr>")
    table = f'<table class="heat"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    return (
        '<section id="fit-engagement"><h2>Fit x engagement</h2>'
        '<p class="lead">Beside the score, two views: <b>fit</b> (A-D) from who the lead and its account are (title, seniority, '
        "department, firmographics, source: nothing that changes over time) and <b>engagement</b> (1-4) from how much and how "
        "recently the lead itself engaged (events, breadth, unsubscribes, earlier outcomes; more never lowers it), each calibrated out of time and graded with the same "
        "shares as the score (A and 1: the top 10%, then 20%, 30%, the rest). A cell is the fit grade then the engagement "
        "level: A1 fits and is engaged, D1 engages heavily but does not fit (students, competitors), A4 fits but has gone "
        f"quiet. Leads of the backtest (out of time) and the share that converted (overall {fmt_pct(overall, 2)}); "
        "the score still ranks.</p>"
        f"{table}</section>"
    )
