"""`propensity check DATA_DIR`: know before you train. The counts it prints are the preflight's, a
mistyped positive outcome is named (not counted as 0 positives) and refused by check, train and
retrain alike, an export without engagement history is pointed at the flat-table mode; exit code 0
when training would run, 2 when it would be refused; nothing is written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from propensity._config import Config, LabelConfig
from propensity.cli import main
from propensity.io._outcome_names import MistypedOutcome, match_outcomes
from propensity.io._sources import read_export
from propensity.training._check import check_export, render_check
from propensity.training._preflight import cutoff_counts, preflight
from propensity.training._training_set import default_plan


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 months, 2,000 contacts: outcomes mql, sql, opportunity and closed_won."""
    from propensity.synthetic._generate import generate_crm

    out = tmp_path_factory.mktemp("check") / "crm"
    generate_crm(out, n_contacts=2000, seed=1, months=12)
    return out


@pytest.fixture(scope="module")
def rows_of(crm: Path) -> dict[str, int]:
    """Rows per outcome, counted here from the file."""
    counts = pl.read_parquet(crm / "outcomes.parquet").group_by("outcome").len()
    return dict(zip(counts["outcome"].to_list(), counts["len"].to_list(), strict=True))


def _config(tmp_path: Path, text: str) -> str:
    file = tmp_path / "training.toml"
    file.write_text(text, encoding="utf-8")
    return str(file)


def _listing(*folders: Path) -> list[str]:
    return sorted(str(p) for f in folders for p in f.rglob("*"))


def test_the_per_cutoff_table_is_the_preflights_cutoff_counts(crm: Path) -> None:
    export = read_export(crm, require_outcomes=True)
    config = Config()
    report = check_export(export, config)
    expected = cutoff_counts(export, config, default_plan(export, config))
    assert report.per_cutoff is not None and report.per_cutoff.equals(expected)
    text = render_check(report).splitlines()
    for cutoff, leads, positives, fold in expected.iter_rows():
        line = next(line for line in text if line.startswith(f"{cutoff:%Y-%m-%d} "))
        assert line.split()[1:3] == [str(leads), str(positives)]
        assert line.endswith(f"fold {fold}" if fold >= 0 else "-")
    pos = int(expected["positives"].sum())
    assert report.counts["train_positives"] == pos and report.counts["train_negatives"] == int(expected["open_leads"].sum()) - pos
    assert f"totals over the matured cutoffs: {pos:,} positive and {int(expected['open_leads'].sum()) - pos:,} negative" in "\n".join(text)


def test_the_backtest_folds_are_listed_as_fit_range_to_judged_cutoff(crm: Path) -> None:
    export = read_export(crm, require_outcomes=True)
    plan = default_plan(export, Config())
    text = render_check(check_export(export, Config()))
    assert len(plan.folds) == 4  # 12 months, 90-day horizon
    for k, fold in enumerate(plan.folds):
        n = len(fold.fit)
        assert (
            f"  fold {k}: fit {fold.fit[0]:%Y-%m-%d} .. {fold.fit[-1]:%Y-%m-%d} ({n} cutoff{'s' if n > 1 else ''}) "
            f"-> judged {fold.judged[0]:%Y-%m-%d}"
        ) in text


def test_check_of_an_export_enough_to_train_on_exits_0_and_writes_nothing(crm: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _listing(crm)
    assert main(["check", str(crm)]) == 0
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert out[-1] == "check: ok"
    assert "label: 'opportunity' within 90 days" in captured.out
    assert "history: 2025-01-01 .. 2025-12-31 (364 days of events)" in captured.out
    assert captured.err == "" and _listing(crm) == before


def test_check_below_the_preflight_minimum_exits_2_with_the_preflights_message(crm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(crm), "--config", _config(tmp_path, "[preflight]\nmin_positives = 100000\n")]) == 2
    captured = capsys.readouterr()
    verdict = captured.out.splitlines()[-1]
    assert verdict.startswith("check: not enough: too little to learn from: the 7 matured monthly cutoffs (2025-04-01 .. 2025-10-01)")
    assert "at least 100,000 positive and 200 negative are needed" in verdict
    assert "Traceback" not in captured.out + captured.err


@pytest.mark.parametrize(("configured", "meant"), [("Opportunity ", "opportunity"), ("closed won", "closed_won"), ("Closed-Won", "closed_won")])
def test_a_positive_outcome_spelled_differently_is_the_same_outcome(
    crm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], configured: str, meant: str
) -> None:
    """Outcome names match ignoring case, spaces, underscores and hyphens (issue 16): read in the config's spelling."""
    config = _config(tmp_path, f'[label]\npositive_outcomes = ["{configured}"]\n')
    main(["check", str(crm), "--config", config])
    out = capsys.readouterr().out
    assert f"label: {meant!r} within 90 days" in out
    assert "does not occur in outcomes" not in out


@pytest.mark.parametrize(("configured", "meant"), [("oportunity", "opportunity"), ("closed wonn", "closed_won")])
def test_a_mistyped_positive_outcome_is_named_with_the_outcome_it_means_and_its_rows(
    crm: Path, rows_of: dict[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str], configured: str, meant: str
) -> None:
    config = _config(tmp_path, f'[label]\npositive_outcomes = ["{configured}"]\n')
    assert main(["check", str(crm), "--config", config]) == 2
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith(
        f"check: not enough: positive outcome {configured!r} does not occur in outcomes; did you mean {meant!r} ({rows_of[meant]:,} rows"
    )
    assert "0 positive" not in out  # named, not counted
    assert "open leads per cutoff not counted: fix the positive outcomes first" in out


def test_outcome_names_match_ignoring_case_spaces_underscores_and_hyphens_then_close_matches() -> None:
    counts = {"mql": 900, "closed_won": 42, "opportunity": 80}
    found = match_outcomes(("CLOSED WON", "opportunity", "opportunty", "renewal"), counts)
    assert [(m.configured, m.rows, m.suggestion, m.suggestion_rows) for m in found] == [
        ("CLOSED WON", 0, "closed_won", 42),
        ("opportunity", 80, None, 0),
        ("opportunty", 0, "opportunity", 80),
        ("renewal", 0, None, 0),
    ]
    assert [m.mistyped for m in found] == [True, False, True, False]


def test_a_positive_outcome_the_export_never_holds_is_refused_with_the_outcomes_it_does(crm: Path, rows_of: dict[str, int]) -> None:
    export = read_export(crm, require_outcomes=True)
    with pytest.raises(MistypedOutcome, match=rf"^none of the positive outcomes 'renewal' occurs in outcomes, which holds 'mql' \({rows_of['mql']:,} rows\)"):
        preflight(export, Config(label=LabelConfig(positive_outcomes=("renewal",))))


def test_retrains_preflight_refuses_a_mistyped_outcome_before_counting(crm: Path, rows_of: dict[str, int]) -> None:
    export = read_export(crm, require_outcomes=True)
    config = Config(label=LabelConfig(positive_outcomes=("opportunity", "Closed Won")))
    with pytest.raises(MistypedOutcome, match=rf"^positive outcome 'Closed Won' does not occur in outcomes; did you mean 'closed_won' \({rows_of['closed_won']} rows\)\?"):
        preflight(export, config)


def test_train_refuses_a_mistyped_outcome_with_exit_2_before_training(
    crm: Path, rows_of: dict[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import propensity.training._train

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started")

    monkeypatch.setattr(propensity.training._train, "train", never)
    store = tmp_path / "store"
    config = _config(tmp_path, '[label]\npositive_outcomes = ["closed wonn"]\n')
    assert main(["train", str(crm), "--config", config, "--tracking-uri", f"sqlite:///{store / 'mlflow.db'}"]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        (
            f"propensity: error: positive outcome 'closed wonn' does not occur in outcomes; did you mean 'closed_won' "
            f"({rows_of['closed_won']} rows)? Fix [label] positive_outcomes in the training config"
        )
    ]
    assert not store.exists()


def test_an_export_without_events_trains_and_says_a_flat_table_may_serve_better(crm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    for table in ("contacts", "accounts", "outcomes"):
        shutil.copy(crm / f"{table}.parquet", flat)
    pl.read_parquet(crm / "events.parquet").head(0).write_parquet(flat / "events.parquet")
    assert main(["check", str(flat)]) == 0
    out = "\n".join(capsys.readouterr().out.splitlines())
    assert "warning: the export has no events: it looks like a one-row-per-lead table, which a flat table may serve better" in out
    assert "`propensity train --table FILE --target COLUMN --id COLUMN`" in out
    assert "events: no event type occurs at least 20 times up to " in out
    assert out.splitlines()[-1] == "check: ok with warnings"


def test_one_event_per_contact_is_almost_none(crm: Path) -> None:
    from propensity.training._check import flat_table_hint

    export = read_export(crm, require_outcomes=True)
    assert flat_table_hint(export) is None  # dozens of events per contact
    first = export.events.sort("occurred_at").unique("contact_id", keep="first")
    sparse = type(export)(export.contacts, export.accounts, first, export.outcomes, export.source, export.fingerprint, export.report)
    hint = flat_table_hint(sparse)
    assert hint is not None and hint.startswith(f"the export has {first.height:,} events, at most 1 per contact")


def test_train_prints_the_history_label_and_plan_before_it_trains(
    crm: Path, rows_of: dict[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import propensity.training._train
    from propensity._errors import PropensityError

    def stop(*args: object, **kwargs: object) -> None:
        raise PropensityError("stopped where training starts")

    monkeypatch.setattr(propensity.training._train, "train", stop)
    assert main(["train", str(crm), "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[1:5] == [
        "history: 2025-01-01 .. 2025-12-31 (364 days of events)",
        f"label: 'opportunity' within 90 days ({rows_of['opportunity']} rows of these outcomes)",
        "plan: 7 matured monthly cutoffs (2025-04-01 .. 2025-10-01), 4 backtest folds",
        "event types: 9 of 9 reach [features] min_event_type_count 20",
    ]
