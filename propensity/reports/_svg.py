"""Small inline-SVG charts for the HTML report: lines, scatter, bars, histograms. No JavaScript.

Every chart is a self-contained `<svg>` string sized by its viewBox (it scales with the page);
hovering a mark shows its exact value through SVG `<title>` elements. Text is escaped here.
The marks are styled by class with `CHART_CSS` (the page's stylesheet holds it); `svg_document`
puts charts with that style into one standalone SVG file, as a training run logs them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

__all__ = ["CHART_CSS", "svg_document", "Series", "nice_ticks", "odds_ticks", "odds_tick", "line_chart", "scatter_chart", "hbar_chart", "stacked_histogram", "grouped_bars"]

Fmt = Callable[[float], str]

_M = {"left": 58, "right": 16, "top": 14, "bottom": 46}

CHART_CSS = """
.chart text{font-family:inherit;fill:#374151}
.chart .tick{font-size:11px;fill:#6b7280}
.chart .label{font-size:12px;fill:#374151}
.chart .legend{font-size:12px}
.chart .hint{font-size:10px;fill:#9ca3af}
.chart .barlabel{font-size:12.5px}
.chart .barvalue{font-size:12px;fill:#4b5563}
.chart .grid{stroke:#eef0f3}
.chart .axis{stroke:#9ca3af}
.chart .tickmark{stroke:#9ca3af}
.chart .zero{stroke:#6b7280;stroke-dasharray:3 3}
.chart .ref{stroke:#9ca3af;stroke-width:1.5;stroke-dasharray:5 4}
.chart .marker{stroke:#d1d5db;stroke-dasharray:2 3}
"""
"""How the charts' marks look, by class (axes, grid, ticks, labels): part of the report page's
stylesheet, and of every standalone document."""

_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif'
_VIEWBOX = re.compile(r'^<svg class="chart" viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"')


@dataclass(frozen=True)
class Series:
    name: str
    x: Sequence[float]
    y: Sequence[float]
    color: str
    dash: bool = False
    markers: bool = False
    labels: Sequence[str] = field(default_factory=tuple)  # hover text per point


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if math.isfinite(v) else "0"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    out = []
    v = start
    while v <= hi + step * 1e-9:
        if v >= lo - step * 1e-9:
            out.append(round(v, 10))
        v += step
    return out


# the odds multipliers a dependence chart's axis may mark: round ones first, finer ones when the range is narrow
_ODDS_MARKS = (
    (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0),
    (0.25, 1 / 3, 2 / 3, 1.5, 3.0, 4.0),
    (0.8, 0.9, 1.1, 1.25),
)


def odds_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Where to mark an axis of contributions (log-odds inside) with round odds multipliers: the
    finest set of marks that puts at most `most` inside [lo, hi] (x1 always among them)."""
    marks: list[float] = []
    picked: list[float] = [0.0]
    for level in _ODDS_MARKS:
        marks += level
        inside = sorted(math.log(m) for m in marks if lo <= math.log(m) <= hi)
        if len(inside) > most and len(picked) >= 3:
            break
        picked = inside
    return sorted({*picked, 0.0})


def odds_tick(v: float) -> str:
    """A contribution as the odds multiplier it means: 0.69 -> 'x2', -0.69 -> 'x0.5'."""
    return f"x{math.exp(v):.2g}"


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10 or float(v).is_integer():
        return f"{v:.0f}"
    return f"{v:.2f}".rstrip("0").rstrip(".")


class _Frame:
    def __init__(self, width: int, height: int, x: tuple[float, float], y: tuple[float, float], left: int = _M["left"]) -> None:
        self.w, self.h = width, height
        self.left, self.right, self.top, self.bottom = left, width - _M["right"], _M["top"], height - _M["bottom"]
        self.x0, self.x1 = x
        self.y0, self.y1 = y

    def sx(self, v: float) -> float:
        return self.left + (v - self.x0) / ((self.x1 - self.x0) or 1.0) * (self.right - self.left)

    def sy(self, v: float) -> float:
        return self.bottom - (v - self.y0) / ((self.y1 - self.y0) or 1.0) * (self.bottom - self.top)

    def axes(self, x_label: str, y_label: str, x_ticks: list[float], y_ticks: list[float], xf: Fmt, yf: Fmt) -> list[str]:
        out = []
        for t in y_ticks:
            y = self.sy(t)
            out.append(f'<line class="grid" x1="{self.left}" x2="{self.right}" y1="{_num(y)}" y2="{_num(y)}"/>')
            out.append(f'<text class="tick" x="{self.left - 6}" y="{_num(y + 4)}" text-anchor="end">{escape(yf(t))}</text>')
        for t in x_ticks:
            x = self.sx(t)
            out.append(f'<line class="tickmark" x1="{_num(x)}" x2="{_num(x)}" y1="{self.bottom}" y2="{self.bottom + 4}"/>')
            out.append(f'<text class="tick" x="{_num(x)}" y="{self.bottom + 17}" text-anchor="middle">{escape(xf(t))}</text>')
        out.append(f'<line class="axis" x1="{self.left}" x2="{self.right}" y1="{self.bottom}" y2="{self.bottom}"/>')
        out.append(f'<line class="axis" x1="{self.left}" x2="{self.left}" y1="{self.top}" y2="{self.bottom}"/>')
        out.append(f'<text class="label" x="{_num((self.left + self.right) / 2)}" y="{self.h - 8}" text-anchor="middle">{escape(x_label)}</text>')
        cy = (self.top + self.bottom) / 2
        out.append(f'<text class="label" transform="translate(14 {_num(cy)}) rotate(-90)" text-anchor="middle">{escape(y_label)}</text>')
        return out


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _legend(items: Sequence[tuple[str, str, bool]], x: float, y: float) -> list[str]:
    out = []
    for i, (name, color, dash) in enumerate(items):
        yy = y + 16 * i
        d = ' stroke-dasharray="5 4"' if dash else ""
        out.append(f'<line x1="{_num(x)}" x2="{_num(x + 18)}" y1="{_num(yy)}" y2="{_num(yy)}" stroke="{color}" stroke-width="2.5"{d}/>')
        out.append(f'<text class="legend" x="{_num(x + 24)}" y="{_num(yy + 4)}">{escape(name)}</text>')
    return out


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    diagonal: bool = False,
    vlines: Sequence[float] = (),
    width: int = 480,
    height: int = 340,
    xf: Fmt = _fmt,
    yf: Fmt = _fmt,
    legend_at: str = "bottom-right",
) -> str:
    xs = [v for s in series for v in s.x] or [0.0, 1.0]
    ys = [v for s in series for v in s.y] or [0.0, 1.0]
    xr = x_range or (min(xs), max(xs))
    yr = y_range or (min(0.0, min(ys)), max(ys) * 1.05 or 1.0)
    f = _Frame(width, height, xr, yr)
    body = f.axes(x_label, y_label, nice_ticks(*xr), nice_ticks(*yr), xf, yf)
    if diagonal:
        lo, hi = max(xr[0], yr[0]), min(xr[1], yr[1])
        body.append(f'<line class="ref" x1="{_num(f.sx(lo))}" y1="{_num(f.sy(lo))}" x2="{_num(f.sx(hi))}" y2="{_num(f.sy(hi))}"/>')
    for v in vlines:
        body.append(f'<line class="marker" x1="{_num(f.sx(v))}" x2="{_num(f.sx(v))}" y1="{f.top}" y2="{f.bottom}"/>')
    for s in series:
        pts = " ".join(f"{_num(f.sx(a))},{_num(f.sy(b))}" for a, b in zip(s.x, s.y))
        d = ' stroke-dasharray="6 4"' if s.dash else ""
        body.append(f'<polyline fill="none" stroke="{s.color}" stroke-width="2.5" stroke-linejoin="round"{d} points="{pts}"/>')
        if s.markers:
            for i, (a, b) in enumerate(zip(s.x, s.y)):
                tip = s.labels[i] if i < len(s.labels) else f"{s.name}: {xf(a)}, {yf(b)}"
                body.append(
                    f'<circle cx="{_num(f.sx(a))}" cy="{_num(f.sy(b))}" r="4.5" fill="{s.color}" stroke="#fff" stroke-width="1.5">'
                    f"<title>{escape(tip)}</title></circle>"
                )
    items = [(s.name, s.color, s.dash) for s in series]
    if diagonal:
        items.append(("perfect" if "calib" in title.lower() else "random", "#9ca3af", True))
    lx = f.left + 12 if legend_at == "top-left" else f.right - 150
    ly = f.top + 12 if legend_at == "top-left" else f.bottom - 16 * len(items) - 4
    body += _legend(items, lx, ly)
    return _svg(width, height, title, body)


def scatter_chart(
    x: Sequence[float],
    y: Sequence[float],
    *,
    title: str,
    x_label: str,
    y_label: str,
    trend: tuple[Sequence[float], Sequence[float]] | None = None,
    color: str = "#2563eb",
    width: int = 420,
    height: int = 280,
    yf: Fmt = lambda v: f"{v:+.1f}" if v else "0",
    y_ticks: Callable[[float, float], list[float]] | None = None,
) -> str:
    """Dots and a trend line; `yf` labels the y ticks, `y_ticks(lo, hi)` places them (round values by default)."""
    xs = list(x) + (list(trend[0]) if trend else [])
    ys = list(y) + (list(trend[1]) if trend else [])
    if not xs:
        xs, ys = [0.0, 1.0], [0.0, 0.0]
    lo, hi = min(ys), max(ys)
    pad = (hi - lo) * 0.08 or 0.1
    yr = (min(lo - pad, -pad), max(hi + pad, pad))
    xr = (min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1)
    f = _Frame(width, height, xr, yr)
    body = f.axes(x_label, y_label, nice_ticks(*xr), (y_ticks or (lambda a, b: nice_ticks(a, b, n=4)))(*yr), _fmt, yf)
    body.append(f'<line class="zero" x1="{f.left}" x2="{f.right}" y1="{_num(f.sy(0))}" y2="{_num(f.sy(0))}"/>')
    dots = "".join(f'<circle cx="{_num(f.sx(a))}" cy="{_num(f.sy(b))}" r="2.2"/>' for a, b in zip(x, y))
    body.append(f'<g fill="{color}" fill-opacity="0.28">{dots}</g>')
    if trend and trend[0]:
        pts = " ".join(f"{_num(f.sx(a))},{_num(f.sy(b))}" for a, b in zip(*trend))
        body.append(f'<polyline fill="none" stroke="#111827" stroke-width="2.2" points="{pts}"/>')
        for a, b in zip(*trend):
            body.append(
                f'<circle cx="{_num(f.sx(a))}" cy="{_num(f.sy(b))}" r="3.5" fill="#111827">'
                f"<title>{escape(f'{_fmt(a)}: {yf(b)} on average')}</title></circle>"
            )
    body.append(f'<text class="hint" x="{f.right - 4}" y="{f.top + 10}" text-anchor="end">raises the score</text>')
    body.append(f'<text class="hint" x="{f.right - 4}" y="{f.bottom - 6}" text-anchor="end">lowers the score</text>')
    return _svg(width, height, title, body)


def hbar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    colors: Sequence[str] | str = "#2563eb",
    value_fmt: Fmt = _fmt,
    tips: Sequence[str] = (),
    width: int = 560,
    row: int = 24,
    label_width: int = 210,
) -> str:
    """Horizontal bars; negative values extend left of a zero line."""
    n = len(labels)
    height = row * n + 16
    lo, hi = min([0.0, *values]), max([0.0, *values])
    span = (hi - lo) or 1.0
    x0, x1 = label_width, width - 64
    sx = lambda v: x0 + (v - lo) / span * (x1 - x0)  # noqa: E731
    body = [f'<line class="axis" x1="{_num(sx(0))}" x2="{_num(sx(0))}" y1="4" y2="{height - 8}"/>']
    for i, (lab, v) in enumerate(zip(labels, values)):
        c = colors if isinstance(colors, str) else colors[i]
        y = 8 + i * row
        a, b = sorted((sx(0), sx(v)))
        tip = tips[i] if i < len(tips) else f"{lab}: {value_fmt(v)}"
        short = lab if len(lab) <= label_width // 7 else lab[: label_width // 7 - 1] + "…"
        body.append(f'<text class="barlabel" x="{label_width - 8}" y="{_num(y + row / 2 + 1)}" text-anchor="end">{escape(short)}</text>')
        body.append(
            f'<rect x="{_num(a)}" y="{_num(y + 3)}" width="{_num(max(b - a, 1))}" height="{row - 8}" rx="3" fill="{c}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        tx, anchor = (b + 5, "start") if v >= 0 else (a - 5, "end")
        if v < 0 and a - 5 < label_width + 30:
            tx, anchor = sx(0) + 5, "start"
        body.append(f'<text class="barvalue" x="{_num(tx)}" y="{_num(y + row / 2 + 1)}" text-anchor="{anchor}">{escape(value_fmt(v))}</text>')
    return _svg(width, height, title, body)


def stacked_histogram(
    edges: Sequence[float],
    counts: dict[str, Sequence[int]],
    colors: dict[str, str],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 620,
    height: int = 300,
    last_open: bool = True,
) -> str:
    bins = len(edges) - 1
    totals = [sum(c[i] for c in counts.values()) for i in range(bins)]
    ymax = max(totals or [1]) * 1.08 or 1
    f = _Frame(width, height, (edges[0], edges[-1]), (0, ymax))
    body = f.axes(x_label, y_label, nice_ticks(edges[0], edges[-1]), nice_ticks(0, ymax, 4), _fmt, _fmt)
    for i in range(bins):
        base = 0.0
        xa, xb = f.sx(edges[i]), f.sx(edges[i + 1])
        for g, c in counts.items():
            if not c[i]:
                continue
            ya, yb = f.sy(base), f.sy(base + c[i])
            upper = f"{edges[i + 1]:.1f}%" + ("+" if last_open and i == bins - 1 else "")
            tip = f"grade {g}: {c[i]:,} leads scoring {edges[i]:.1f}-{upper}"
            body.append(
                f'<rect x="{_num(xa + 0.5)}" y="{_num(yb)}" width="{_num(max(xb - xa - 1, 0.5))}" height="{_num(ya - yb)}" fill="{colors[g]}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            base += c[i]
    items = [(f"grade {g}", colors[g]) for g in counts]
    for k, (name, color) in enumerate(items):
        x = f.right - 90
        y = f.top + 6 + 16 * k
        body.append(f'<rect x="{x}" y="{y}" width="12" height="12" rx="2" fill="{color}"/>')
        body.append(f'<text class="legend" x="{x + 18}" y="{y + 10}">{escape(name)}</text>')
    return _svg(width, height, title, body)


def grouped_bars(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    colors: dict[str, str],
    *,
    title: str,
    x_label: str,
    y_label: str,
    yf: Fmt = _fmt,
    width: int = 620,
    height: int = 300,
) -> str:
    n = len(categories)
    ymax = max([v for s in series.values() for v in s] or [1.0]) * 1.1 or 1.0
    f = _Frame(width, height, (0, max(n, 1)), (0, ymax))
    body = f.axes(x_label, y_label, [], nice_ticks(0, ymax, 4), _fmt, yf)
    k = len(series)
    slot = (f.right - f.left) / max(n, 1)
    bw = slot * 0.8 / max(k, 1)
    for i, cat in enumerate(categories):
        x = f.left + i * slot + slot * 0.1
        body.append(f'<text class="tick" x="{_num(f.left + (i + 0.5) * slot)}" y="{f.bottom + 17}" text-anchor="middle">{escape(cat)}</text>')
        for j, (name, vals) in enumerate(series.items()):
            v = vals[i]
            body.append(
                f'<rect x="{_num(x + j * bw)}" y="{_num(f.sy(v))}" width="{_num(bw - 1)}" height="{_num(f.bottom - f.sy(v))}" fill="{colors[name]}">'
                f"<title>{escape(f'{name}, {cat}: {yf(v)}')}</title></rect>"
            )
    for j, name in enumerate(series):
        x = f.right - 150
        y = f.top + 6 + 16 * j
        body.append(f'<rect x="{_num(x)}" y="{y}" width="12" height="12" rx="2" fill="{colors[name]}"/>')
        body.append(f'<text class="legend" x="{_num(x + 18)}" y="{y + 10}">{escape(name)}</text>')
    return _svg(width, height, title, body)


def svg_document(panels: Sequence[tuple[str, str]], *, title: str, columns: int = 1) -> str:
    """A standalone SVG file (what a browser opens) of charts from this module: a heading `title`,
    then each (caption, chart) panel in a grid of `columns`, each chart at its own size, styled
    with CHART_CSS. A caption may be empty."""
    pad, head, cap = 16, 30, 22
    sizes = []
    for _, chart in panels:
        m = _VIEWBOX.match(chart)
        if m is None:
            raise ValueError("svg_document takes the charts of propensity.reports._svg")
        sizes.append((float(m.group(1)), float(m.group(2))))
    columns = max(1, min(columns, len(panels) or 1))
    cell_w = max([w for w, _ in sizes] or [320.0])
    captioned = cap if any(c for c, _ in panels) else 0
    rows = [sizes[i : i + columns] for i in range(0, len(sizes), columns)]
    row_h = [captioned + max(h for _, h in row) for row in rows]
    width = max(pad * (columns + 1) + cell_w * columns, 2 * pad + 9.5 * len(title))  # room for the heading
    height = head + pad * (len(rows) + 1) + sum(row_h)
    body = [f'<text class="heading" x="{pad}" y="{pad + 16}">{escape(title)}</text>']
    y = head + pad
    for r, row_start in enumerate(range(0, len(panels), columns)):
        for c, (caption, chart) in enumerate(panels[row_start : row_start + columns]):
            w, h = sizes[row_start + c]
            x = pad + c * (cell_w + pad)
            if caption:
                body.append(f'<text class="caption" x="{_num(x)}" y="{_num(y + 15)}">{escape(caption)}</text>')
            body.append(f'<svg x="{_num(x)}" y="{_num(y + captioned)}" width="{_num(w)}" height="{_num(h)}" ' + chart[len("<svg ") :])
        y += row_h[r] + pad
    style = (
        CHART_CSS
        + f"svg{{font-family:{_FONT}}}\n.heading{{font-size:16px;font-weight:600;fill:#111827}}\n"
        + ".caption{font-size:13px;font-weight:600;fill:#374151}\n"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(width)}" height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title><style>{escape(style, quote=False)}</style>'
        f'<rect width="100%" height="100%" fill="#ffffff"/>' + "".join(body) + "</svg>\n"
    )
