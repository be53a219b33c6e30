"""`propensity report`: one self-contained HTML page a sales-ops person opens in a browser.

Inline CSS, charts as inline SVG, no script and no external URL: the file works offline and can be
mailed around. Sections have stable ids (model-card, model-vs-points, drivers, dependence,
score-distribution, tier-migration, drift) and every figure carries its exact value in a
`data-value` attribute next to the rounded text, so tests and tools can read it back.
Contacts appear by contact_id only, with their reasons: never a name, email or phone.
"""

from __future__ import annotations

from pathlib import Path

from propensity.reports._data import Report
from propensity.reports._flat import is_flat_report, render_flat_report
from propensity.reports._matrix import fit_engagement_section
from propensity.reports._sections import (
    CSS,
    distribution_section,
    drift_section,
    drivers_section,
    esc,
    header,
    migration_section,
    model_card,
    model_vs_points,
)

__all__ = ["render_report", "write_report", "check_report_path"]


def render_report(r: Report) -> str:
    """The whole page as one string."""
    from propensity._version import __version__

    if is_flat_report(r):
        return render_flat_report(r)

    body = "".join(
        [model_card(r), model_vs_points(r), drivers_section(r), distribution_section(r), migration_section(r),
         fit_engagement_section(r), drift_section(r)]
    )
    title = f"Lead propensity report: {r.model_name or 'model'} version {r.model_version}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>{header(r)}<main>{body}</main>"
        f"<footer>Generated {esc(r.generated_at)} by propensity {esc(__version__)} from {esc(r.model_uri)} (MLflow run {esc(r.run_id)}). "
        "Contacts are shown by their contact id only.</footer></body></html>\n"
    )


def check_report_path(out: str | Path) -> Path:
    """The report is HTML: refuse another suffix before any work is done."""
    target = Path(out)
    if target.suffix.lower() not in (".html", ".htm"):
        from propensity._errors import UsageError

        raise UsageError(f"--out: {target}: the report is HTML, the file name must end in .html")
    if target.exists() and target.is_dir():
        from propensity._errors import UsageError

        raise UsageError(f"--out: {target} is a folder, not a file")
    return target


def write_report(r: Report, out: str | Path) -> Path:
    """Write the page atomically: the file appears whole or not at all."""
    from propensity.io._atomic import atomic_path

    target = check_report_path(out)
    with atomic_path(target) as tmp:
        tmp.write_text(render_report(r), encoding="utf-8")
    return target
