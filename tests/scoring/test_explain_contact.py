"""`propensity explain DATA_DIR --model URI --contact ID`, and the terminal niceties around it."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from propensity.cli import main
from propensity.reports._terminal import progress, render_table
from tests.conftest import CANARY_EMAIL, CANARY_NAME

MODEL = "models:/lead-propensity@champion"


@pytest.fixture(scope="module")
def loaded(report_store):  # type: ignore[no-untyped-def]
    from propensity.lifecycle._tracking import load_model, point_at

    point_at(report_store["uri"])
    return load_model(MODEL)


@pytest.fixture(scope="module")
def export(report_store):  # type: ignore[no-untyped-def]
    from propensity.io._sources import read_export

    return read_export(report_store["crm"])


@pytest.fixture(scope="module")
def top_lead(report_store) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return pl.read_csv(report_store["scores"]).row(0, named=True)


@pytest.mark.slow
def test_one_leads_score_and_grade_equal_its_batch_score(loaded, export, top_lead) -> None:  # type: ignore[no-untyped-def]
    from propensity.scoring._explain import explain_contact

    x = explain_contact(export, loaded.model, top_lead["contact_id"], model_version=loaded.version)
    assert x.score == pytest.approx(top_lead["score"], rel=1e-9)
    assert x.grade == top_lead["grade"]
    assert x.percentile == top_lead["percentile"]
    assert x.status == "open lead"


@pytest.mark.slow
def test_contributions_by_field_add_up_from_the_average_lead_to_the_score(loaded, export, top_lead) -> None:  # type: ignore[no-untyped-def]
    from propensity.scoring._explain import explain_contact

    x = explain_contact(export, loaded.model, top_lead["contact_id"])
    cal = loaded.model.calibration
    # undo the calibration of the baseline, add the fields, calibrate again
    raw_base = (np.log(x.baseline / (1 - x.baseline)) - cal.b) / cal.a
    total = raw_base + sum(c.contribution for c in x.contributions)
    assert float(cal.apply(np.array([total]))[0]) == pytest.approx(x.score, rel=1e-9)
    assert len({c.field for c in x.contributions}) == len(loaded.model.spec.fields())
    strengths = [abs(c.contribution) for c in x.contributions]
    assert strengths == sorted(strengths, reverse=True)


@pytest.mark.slow
def test_history_stops_at_the_as_of_date(loaded, export, top_lead) -> None:  # type: ignore[no-untyped-def]
    from propensity.scoring._explain import explain_contact

    cid = top_lead["contact_id"]
    events = export.events.filter(pl.col("contact_id") == cid).sort("occurred_at")
    as_of = events["occurred_at"][events.height // 2]
    x = explain_contact(export, loaded.model, cid, as_of=as_of)
    assert x.events and all(t <= as_of for t, _ in x.events)
    assert x.events == sorted(x.events, reverse=True)
    assert x.ignored_after == events.filter(pl.col("occurred_at") > as_of).height > 0


@pytest.mark.slow
def test_cli_explains_one_contact_in_tables_without_pii(report_store, top_lead, capsys) -> None:  # type: ignore[no-untyped-def]
    cid = top_lead["contact_id"]
    code = main(["explain", str(report_store["crm"]), "--model", MODEL, "--contact", cid, "--tracking-uri", report_store["uri"]])
    captured = capsys.readouterr()
    assert code == 0
    out = captured.out
    assert f"contact {cid} as of" in out
    assert f"score {100 * top_lead['score']:.1f}%" in out and f"grade {top_lead['grade']}" in out
    assert "business field" in out and "effect on the odds" in out
    assert "recent history" in out and "when" in out
    assert CANARY_EMAIL not in out and CANARY_NAME not in out
    assert "\x1b[" not in out  # no colour codes when stdout is not a terminal
    assert "propensity:" not in captured.err  # no progress bar off a terminal


@pytest.mark.slow
def test_cli_drivers_table_still_works_without_data_dir(report_store, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["explain", "--model", MODEL, "--tracking-uri", report_store["uri"]]) == 0
    out = capsys.readouterr().out
    assert "driver" in out and "weight" in out and "direction" in out


@pytest.mark.slow
def test_unknown_contact_is_one_line_exit_2(report_store, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["explain", str(report_store["crm"]), "--model", MODEL, "--contact", "NO-SUCH-ID", "--tracking-uri", report_store["uri"]])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "NO-SUCH-ID" in err[0] and "contact_id" in err[0]


@pytest.mark.slow
def test_contact_created_after_the_as_of_date_is_refused(report_store, export, capsys) -> None:  # type: ignore[no-untyped-def]
    late = export.contacts.sort("created_at", descending=True).row(0, named=True)
    code = main(["explain", str(report_store["crm"]), "--model", MODEL, "--contact", late["contact_id"], "--as-of", "2023-01-01",
                 "--tracking-uri", report_store["uri"]])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "after the as-of date" in err[0]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["explain", "--model", MODEL, "--contact", "C1"], "--contact needs DATA_DIR"),
        (["explain", "some-dir", "--model", MODEL], "add --contact ID"),
    ],
)
def test_contact_and_data_dir_go_together(argv: list[str], message: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


# ------------------------------------------------------------------ terminal
def test_tables_right_align_numbers_and_keep_headers() -> None:
    text = render_table(["metric", "model"], [["ROC AUC", "0.812"], ["top-10% capture", "1.000"]], numeric=(1,))
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    assert "metric" in lines[0] and "model" in lines[0]
    rows = [line for line in lines if "ROC AUC" in line or "capture" in line]
    assert rows[0].endswith("0.812") and rows[1].endswith("1.000")
    assert len(rows[0]) == len(rows[1])


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_quiet_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    log = logging.getLogger("propensity")
    level = log.level
    try:
        log.setLevel(logging.INFO)
        assert list(progress(range(5), "scoring chunks")) == [0, 1, 2, 3, 4]
        assert err.getvalue() == ""
    finally:
        log.setLevel(level)


def test_progress_draws_a_bar_on_a_terminal_unless_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    log = logging.getLogger("propensity")
    level = log.level
    try:
        tty = _Tty()
        monkeypatch.setattr(sys, "stderr", tty)
        log.setLevel(logging.INFO)
        assert list(progress(range(3), "scoring chunks")) == [0, 1, 2]
        assert "scoring chunks" in tty.getvalue()
        quiet = _Tty()
        monkeypatch.setattr(sys, "stderr", quiet)
        log.setLevel(logging.WARNING)
        assert list(progress(range(3), "scoring chunks")) == [0, 1, 2]
        assert quiet.getvalue() == ""
    finally:
        log.setLevel(level)


def test_explain_as_of_must_be_a_date(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["explain", str(tmp_path), "--model", MODEL, "--contact", "C1", "--as-of", "yesterday"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--as-of" in err[0]
