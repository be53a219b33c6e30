"""Lead-to-account matching at the export date: does matching restore what blanked account ids lose?

For a matching scenario (benchmarks/scenarios.py, `blank_share` > 0) and seed, the same cut export is
trained on, scored at the cut and judged (benchmarks/at_cut.py `judge`) three times: as generated;
with `account_id` blanked for half the contacts that have one, each given an email at its account's
domain (10% a free-mail address instead), which the reader matches back; and blanked without emails
(what is lost without matching). No search (``[search] trials = 0``: the [model] settings), so the
three trainings differ by their data alone, not by the machine's load or a search's luck.

Targets (`checks`): the model's ROC AUC on the matched export within 0.01 of the export as generated;
no free-mail contact matched to an account; no blanked contact matched to another account than its own.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["MAX_AUC_GAP", "checks", "render", "run", "run_metrics"]

MAX_AUC_GAP = 0.01
NO_SEARCH = "[search]\ntrials = 0\n"
MATCHED = "blanked, matched"


def matching_counts(export_dir: Path, blanked: pl.DataFrame) -> dict[str, int]:
    """How the reader matched the blanked contacts of the export in `export_dir`: `blanked` holds
    contact_id, the true account_id and email_kind ("work" / "free mail")."""
    from propensity.io._sources import read_export

    export = read_export(export_dir, require_outcomes=True)
    assert export.matching is not None
    got = (
        blanked.rename({"account_id": "truth"})
        .join(export.contacts.select("contact_id", "account_id"), on="contact_id", how="left")
        .join(export.matching.select("contact_id", "account_match"), on="contact_id", how="left")
    )
    work, free = got.filter(pl.col("email_kind") == "work"), got.filter(pl.col("email_kind") == "free mail")
    m = export.report.account_matches
    return {
        "blanked": got.height,
        "work_email": work.height,
        "restored": int(((work["account_match"] == "domain") & (work["account_id"] == work["truth"])).sum()),
        "wrong_account": int((got["account_id"].is_not_null() & (got["account_id"] != got["truth"])).sum()),
        "free_mail": free.height,
        "free_mail_matched": int((free["account_match"] != "none").sum()),
        "by_domain": m.by_domain,
        "by_company": m.by_company,
        "unmatched": m.unmatched,
    }


def run(scenario: Any, seed: int, data_root: Path) -> dict[str, Any]:
    """Build the matching scenario's three exports and judge each."""
    from benchmarks.at_cut import judge
    from benchmarks.scenarios import build

    t0 = time.perf_counter()
    built = build(scenario, seed, data_root / f"{scenario.name}-s{seed}")
    build_s = time.perf_counter() - t0
    # the three trainings are independent: each in its own process, at once
    with ProcessPoolExecutor(max_workers=len(built.variants), mp_context=get_context("spawn")) as pool:
        futures = {name: pool.submit(judge, built, folder, build_s, NO_SEARCH) for name, folder in built.variants.items()}
        variants = {name: future.result() for name, future in futures.items()}
    assert built.blanked is not None
    return {
        "scenario": scenario.name,
        "seed": seed,
        "n_contacts": scenario.n_contacts,
        "cut": f"{scenario.cut:%Y-%m-%d}",
        "variants": variants,
        "matching": matching_counts(built.variants[MATCHED], built.blanked),
    }


def _auc(run: dict[str, Any], variant: str) -> float:
    model = run["variants"][variant]["figures"].get("model")
    return float(model["roc_auc"]) if model else float("nan")


def checks(run: dict[str, Any]) -> dict[str, tuple[str, bool, str]]:
    """Per target: (heading, met, figure), keyed by a name MLflow accepts as a tag."""
    gap = _auc(run, "as generated") - _auc(run, MATCHED)
    m = run["matching"]
    return {
        "auc_gap": (f"ROC AUC gap (as generated - matched) within {MAX_AUC_GAP}", bool(abs(gap) <= MAX_AUC_GAP), f"{gap:+.4f}"),
        "free_mail_unmatched": ("no free-mail contact matched", m["free_mail_matched"] == 0, f"{m['free_mail_matched']} of {m['free_mail']:,}"),
        "no_wrong_account": ("no contact matched to another account", m["wrong_account"] == 0, str(m["wrong_account"])),
    }


def render(runs: list[dict[str, Any]], description: dict[str, str]) -> list[str]:
    """The markdown section of the matching runs."""
    from benchmarks.at_cut import fmt_figure

    lines = [
        "## At the export date: lead-to-account matching",
        "",
        "The same cut export judged three ways (trained with the defaults but no search, `[search] trials = 0`,",
        "scored at the cut, judged on the 90 days after it): as generated, with half the account ids blanked",
        "and matched back by email domain, and blanked without emails (no matching possible).",
        "",
        *[f"- `{name}`: {text}." for name, text in description.items() if any(r["scenario"] == name for r in runs)],
        "",
        "| scenario | seed | export | model ROC AUC | PR AUC | top-10% capture | mean / rate | points ROC AUC | one-page LightGBM | oracle |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        for variant, v in r["variants"].items():
            f = v["figures"]
            m = f.get("model")
            lines.append(
                f"| {r['scenario']} | {r['seed']} | {variant} | {fmt_figure(m['roc_auc']) if m else v['status']} | "
                f"{fmt_figure(m['pr_auc']) if m else ''} | {fmt_figure(m['capture_10']) if m else ''} | {fmt_figure(m['mean_ratio'], 2) if m else ''} | "
                f"{fmt_figure(f['points']['roc_auc'])} | {fmt_figure(f['one-page LightGBM']['roc_auc'])} | {fmt_figure(f['oracle']['roc_auc'])} |"
            )
    lines += ["", "### Matching", "",
              "| scenario | seed | blanked | with a work email | restored by domain | matched to another account | free-mail | free-mail matched | read line |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        m = r["matching"]
        read = f"{m['by_domain']:,} by email domain, {m['by_company']:,} by company name, {m['unmatched']:,} unmatched"
        lines.append(
            f"| {r['scenario']} | {r['seed']} | {m['blanked']:,} | {m['work_email']:,} | {m['restored']:,} | {m['wrong_account']:,} | "
            f"{m['free_mail']:,} | {m['free_mail_matched']:,} | {read} |"
        )
    lines += ["", "### Targets of matching", "", "| scenario | seed | targets | lost without matching (ROC AUC) |", "|---|---:|---|---:|"]
    for r in runs:
        lost = _auc(r, "as generated") - _auc(r, "blanked, no email")
        lines.append(f"| {r['scenario']} | {r['seed']} | " + "; ".join(
            f"{heading}: {v} {'ok' if ok else 'MISS'}" for heading, ok, v in checks(r).values()) + f" | {lost:+.4f} |")
    return lines


def run_metrics(run: dict[str, Any]) -> dict[str, float]:
    """Flat, finite metrics of one matching run for MLflow."""
    from benchmarks.at_cut import run_metrics as variant_metrics

    metrics: dict[str, float] = {k: float(v) for k, v in run["matching"].items()}
    for variant, v in run["variants"].items():
        key = variant.replace(", ", "_").replace(" ", "_")
        metrics.update({f"{key}.{k}": val for k, val in variant_metrics(v).items()})
    return metrics
