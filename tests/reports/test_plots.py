"""A training run's plots are the report's SVG charts, each a standalone SVG document a browser
opens; matplotlib is for the one PNG a user asks for (`explain --png`), never for the run's plots.
(The end-to-end checks, plot against page mark for mark: tests/reports/test_report.py, tests/flat.)"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import polars as pl

from propensity.reports._charts import held_out_gains_chart
from propensity.reports._data import gains_points, run_plots
from propensity.reports._svg import Series, hbar_chart, line_chart, svg_document

SVG = "{http://www.w3.org/2000/svg}"


def _rows(n: int = 400, seed: int = 3) -> tuple[pl.DataFrame, list[dict[str, str]], list[dict[str, object]]]:
    rng = np.random.default_rng(seed)
    visits = rng.poisson(3, n).astype(float)
    score = np.clip(0.02 + 0.01 * visits + rng.normal(0, 0.005, n), 0.001, 0.999)
    label = (rng.random(n) < score * 3).astype(np.int8)
    grade = np.where(score > np.quantile(score, 0.9), "A", np.where(score > np.quantile(score, 0.7), "B",
                     np.where(score > np.quantile(score, 0.4), "C", "D")))
    frame = pl.DataFrame({
        "label": label, "score": score, "points": visits * 5, "grade": grade,
        "contrib:visits": 0.1 * (visits - visits.mean()), "value:visits": visits,
    })
    fields = [{"field": "visits", "driver": "web visits <&> \"quoted\"", "feature": "n_visits", "kind": "count", "axis": "visits in 30 days"}]
    drivers = [{"field": "visits", "driver": "web visits <&> \"quoted\"", "importance": 1.0, "direction": "more of it raises the score"}]
    return frame, fields, drivers


def test_a_standalone_document_is_svg_xml_with_each_chart_placed_at_its_size() -> None:
    a = line_chart([Series("model", [0, 50, 100], [0, 70, 100], "#2563eb")], title="A & B's <chart>", x_label="x", y_label="y")
    b = hbar_chart(["one", "two"], [1.0, -2.0], title="bars")
    text = svg_document([("left 'one' & <more>", a), ("", b)], title='Two "charts"', columns=2)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" ')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == f"{SVG}svg" and root.find(f"{SVG}title").text == 'Two "charts"'
    assert ".chart .axis{stroke:#9ca3af}" in root.find(f"{SVG}style").text  # the marks' style travels with the file
    charts = root.findall(f"{SVG}svg")
    assert [c.get("aria-label") for c in charts] == ["A & B's <chart>", "bars"]
    assert [(c.get("width"), c.get("height")) for c in charts] == [("480", "340"), ("560", "64")]
    assert charts[0].get("y") == charts[1].get("y") and float(charts[1].get("x")) >= 480  # side by side
    assert float(root.get("width")) >= 2 * 560 and float(root.get("height")) >= 340
    captions = [t.text for t in root.findall(f"{SVG}text")]
    assert captions == ['Two "charts"', "left 'one' & <more>"]


def test_run_plots_draw_the_report_charts_from_the_validation_rows() -> None:
    frame, fields, drivers = _rows()
    plots = run_plots(frame, fields, drivers)
    assert set(plots) == {"drivers", "gains", "calibration", "dependence", "score_distribution"}
    for name, text in plots.items():
        assert ET.fromstring(text.encode("utf-8")).tag == f"{SVG}svg", name
    y, p, pts = frame["label"].to_numpy(), frame["score"].to_numpy(), frame["points"].to_numpy()
    report_gains = held_out_gains_chart({"model": gains_points(y, p), "points": gains_points(y, pts)})
    assert report_gains[len("<svg "):] in plots["gains"]  # the report's chart of the same figures, as drawn on the page
    assert 'aria-label="Gains out of fold"' not in plots["gains"]


def test_a_flat_tables_plots_draw_every_compared_column_in_order() -> None:
    frame, fields, drivers = _rows()
    rng = np.random.default_rng(1)
    rating = rng.random(frame.height)
    rating[:40] = np.nan  # blank for some leads: ranked last, as in the report
    plots = run_plots(frame, fields, drivers, compared={"Rep Rating": rating, "A very long activity score name": rng.random(frame.height)})
    root = ET.fromstring(plots["gains"].encode("utf-8"))
    chart = root.find(f"{SVG}svg")
    assert chart.get("aria-label") == "Gains out of fold"
    legend = [t.text for t in chart.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert legend == ["model", "Rep Rating", "A very long activit…", "random"]
    assert len(chart.findall(f"{SVG}polyline")) == 3


def test_drawing_the_run_plots_never_imports_matplotlib() -> None:
    code = (
        "import sys; from tests.reports.test_plots import _rows; from propensity.reports._data import run_plots; "
        "f, fl, d = _rows(); run_plots(f, fl, d); print('matplotlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2])
    assert done.stdout.strip() == "False"
