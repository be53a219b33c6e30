"""The report's charts, one function per figure, drawn as SVG from the report's figures.

The page (`propensity report`) puts them inline; a training run logs the same charts, from the same
figures, as standalone SVG files under `plots/` (`run_plots` in propensity.reports._data). One
drawing, two places: what MLflow shows for a run is what the report shows for its model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from propensity.reports._svg import Series

__all__ = [
    "GRADE_COLORS",
    "MODEL_COLOR",
    "POINTS_COLOR",
    "RAISE_COLOR",
    "LOWER_COLOR",
    "NEUTRAL_COLOR",
    "COMPARE_COLORS",
    "short_label",
    "gains_chart",
    "calibration_chart",
    "held_out_gains_chart",
    "held_out_calibration_chart",
    "compare_gains_chart",
    "out_of_fold_calibration_chart",
    "drivers_chart",
    "dependence_chart",
    "histogram_chart",
    "validation_histogram_chart",
]

GRADE_COLORS = {"A": "#15803d", "B": "#65a30d", "C": "#d97706", "D": "#9ca3af"}
MODEL_COLOR, POINTS_COLOR = "#2563eb", "#f59e0b"
RAISE_COLOR, LOWER_COLOR, NEUTRAL_COLOR = "#0f766e", "#dc2626", "#94a3b8"
COMPARE_COLORS = ("#f59e0b", "#7c3aed", "#db2777", "#059669", "#0891b2", "#65a30d")

Gains = tuple[Sequence[float], Sequence[float]]


def short_label(name: str, width: int = 20) -> str:
    """A legend label that fits beside the chart (the table gives the full name)."""
    return name if len(name) <= width else name[: width - 1].rstrip() + "\u2026"


# ------------------------------------------------------------------ model against a baseline
def gains_chart(series: list[Series], title: str) -> str:
    """Share of conversions captured against share of leads worked, with the 10/20/30% marks."""
    from propensity.reports._svg import line_chart

    return line_chart(
        series,
        title=title,
        x_label="% of leads worked, best first",
        y_label="% of conversions captured",
        x_range=(0, 100),
        y_range=(0, 100),
        diagonal=True,
        vlines=(10, 20, 30),
    )


def calibration_chart(cal: list[dict[str, Any]], label: str, title: str) -> str:
    """Observed conversion rate against mean predicted probability per bin, the diagonal perfect."""
    from propensity.reports._svg import line_chart

    top = max([b["predicted"] for b in cal] + [b["observed"] for b in cal] + [1e-3]) * 100 * 1.08
    return line_chart(
        [
            Series(
                label,
                [100 * b["predicted"] for b in cal],
                [100 * b["observed"] for b in cal],
                MODEL_COLOR,
                markers=True,
                labels=[f"{b['n']:,} leads: predicted {100 * b['predicted']:.2f}%, observed {100 * b['observed']:.2f}%" for b in cal],
            )
        ],
        title=title,
        x_label="mean predicted probability, %",
        y_label="observed conversion rate, %",
        x_range=(0, top),
        y_range=(0, top),
        diagonal=True,
        legend_at="top-left",
    )


def held_out_gains_chart(gains: Mapping[str, Gains]) -> str:
    """The model's and the points' gains on the backtest's held-out cutoffs."""
    return gains_chart(
        [Series("model", *gains["model"], MODEL_COLOR), Series("points", *gains["points"], POINTS_COLOR)], "Gains on held-out time"
    )


def held_out_calibration_chart(cal: list[dict[str, Any]]) -> str:
    return calibration_chart(cal, "model (validation)", "Calibration on held-out time")


def compare_gains_chart(model: Gains, compared: Sequence[tuple[str, Gains | None]]) -> str:
    """A flat table's gains out of fold: the model beside each compared column (in the order of the
    comparison table, each with its colour; a column without gains keeps its colour slot)."""
    series = [Series("model", *model, MODEL_COLOR)]
    for i, (name, g) in enumerate(compared):
        if g is not None:
            series.append(Series(short_label(name), *g, COMPARE_COLORS[i % len(COMPARE_COLORS)]))
    return gains_chart(series, "Gains out of fold")


def out_of_fold_calibration_chart(cal: list[dict[str, Any]]) -> str:
    return calibration_chart(cal, "model (out of fold)", "Calibration out of fold")


# ------------------------------------------------------------------ drivers
def drivers_chart(drivers: Sequence[Mapping[str, Any]], top: int = 15) -> str:
    """Each business field's share of the model's attention, coloured by its direction (the top `top`)."""
    from propensity.reports._svg import hbar_chart

    d = list(drivers[:top])
    colors = [LOWER_COLOR if "lowers" in x["direction"] else RAISE_COLOR if "raises" in x["direction"] else NEUTRAL_COLOR for x in d]
    return hbar_chart(
        [x["driver"] for x in d],
        [100 * x["importance"] for x in d],
        title="Share of the model's attention by business field",
        colors=colors,
        value_fmt=lambda v: f"{v:.1f}%",
        tips=[f"{x['driver']}: {100 * x['importance']:.1f}% - {x['direction']}" for x in d],
        width=600,
        label_width=260,
    )


def dependence_chart(dep: Any) -> str:
    """How one driver's value maps to its effect (a propensity.reports._data.Dependence): bars per
    level of a category, else dots and the average effect, on an odds-multiplier axis."""
    from propensity.reports._svg import hbar_chart, odds_tick, odds_ticks, scatter_chart
    from propensity.scoring._reasons import odds_text

    if dep.kind == "category":
        return hbar_chart(
            [c[0] for c in dep.categories],
            [c[1] for c in dep.categories],
            title=f"{dep.driver}: effect by value",
            colors=[RAISE_COLOR if c[1] >= 0 else LOWER_COLOR for c in dep.categories],
            value_fmt=lambda v: f"{odds_text(v)} odds",
            tips=[f"{c[0]}: {odds_text(c[1])} the odds of an average lead, over {c[2]:,} leads" for c in dep.categories],
            width=420,
            label_width=150,
        )
    return scatter_chart(
        dep.x, dep.y, title=f"{dep.driver}: value vs effect", x_label=dep.axis,
        y_label="odds against an average lead", trend=(dep.trend_x, dep.trend_y),
        yf=odds_tick, y_ticks=odds_ticks,
    )


# ------------------------------------------------------------------ scores by grade
def histogram_chart(hist: Mapping[str, Any], title: str, x_label: str) -> str:
    """Leads per score bin, stacked by grade."""
    from propensity.reports._svg import stacked_histogram

    return stacked_histogram(hist["edges"], hist["counts"], GRADE_COLORS, title=title, x_label=x_label, y_label="leads")


def validation_histogram_chart(hist: Mapping[str, Any]) -> str:
    return histogram_chart(hist, "Validation scores by grade", "calibrated probability, % (last bar: everything above)")
