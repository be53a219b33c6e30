"""Streamed scoring: the same scores, reasons and order whatever the chunk size, in any format."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from propensity._errors import DataError, UsageError
from propensity.io._atomic import write_table
from propensity.io._sources import read_export
from propensity.io._spill import chunk_plan
from propensity.scoring._batch import score_leads
from propensity.scoring._stream import score_folder
from tests.scoring._scoring_case import ScoringCase, scoring_case


@pytest.fixture(scope="module")
def case() -> ScoringCase:
    return scoring_case()


@pytest.fixture(scope="module")
def in_memory(case: ScoringCase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scores of the whole export scored in one piece, written as CSV."""
    run = score_leads(read_export(case.folder, created_at_required=False), case.model, model_version="7")
    out = tmp_path_factory.mktemp("whole") / "scores.csv"
    write_table(run.scores, out)
    return out


@pytest.mark.parametrize("chunk_size", [60, 777, 1_000_000])
def test_scores_are_identical_whatever_the_chunk_size(case: ScoringCase, in_memory: Path, tmp_path: Path, chunk_size: int) -> None:
    out = tmp_path / "scores.csv"
    run = score_folder(case.folder, case.model, out, model_version="7", chunk_size=chunk_size)
    assert out.read_bytes() == in_memory.read_bytes()  # same rows, order, digits and reasons
    assert run.scored == pl.read_csv(in_memory).height > 1000
    assert run.scored + run.rejected == run.open_leads
    assert sum((run.grade_counts or {}).values()) == run.scored


def test_streamed_parquet_holds_the_in_memory_rows(case: ScoringCase, tmp_path: Path) -> None:
    as_of = datetime(2025, 11, 1)
    whole = score_leads(read_export(case.folder, created_at_required=False), case.model, model_version="7", as_of=as_of)
    out = tmp_path / "scores.parquet"
    run = score_folder(case.folder, case.model, out, model_version="7", chunk_size=300, as_of=as_of, keep_scores=True)
    assert_frame_equal(pl.read_parquet(out), whole.scores)
    assert_frame_equal(run.scores, whole.scores)
    assert run.as_of == as_of


def test_chunks_hold_whole_accounts(case: ScoringCase) -> None:
    plan = chunk_plan(case.export.contacts, 100)
    people = case.export.contacts.join(plan, on="contact_id")
    per_account = people.filter(pl.col("account_id").is_not_null()).group_by("account_id").agg(pl.col("chunk").n_unique())
    assert per_account["chunk"].max() == 1  # no account is split between chunks
    sizes = plan.group_by("chunk").len()["len"]
    biggest_account = int(people.group_by("account_id").len()["len"].max())  # type: ignore[arg-type]
    assert plan.height == case.export.contacts.height
    assert int(sizes.max()) <= 100 + biggest_account  # type: ignore[arg-type]
    assert sorted(plan["chunk"].unique().to_list()) == list(range(plan["chunk"].max() + 1))  # type: ignore[operator]


def test_streamed_scoring_refuses_a_bad_event_row_naming_it(case: ScoringCase, tmp_path: Path) -> None:
    folder = tmp_path / "crm"
    folder.mkdir()
    for table in ("contacts", "accounts", "outcomes"):
        pl.read_parquet(case.folder / f"{table}.parquet").write_parquet(folder / f"{table}.parquet")
    events = pl.read_parquet(case.folder / "events.parquet").head(50).with_columns(pl.col("event_type").cast(pl.String))
    events = events.with_columns(pl.when(pl.int_range(pl.len()) == 41).then(pl.lit(" ")).otherwise(pl.col("event_type")).alias("event_type"))
    events.write_parquet(folder / "events.parquet")
    with pytest.raises(DataError, match=r"events\.parquet: column 'event_type': empty value in row 42"):
        score_folder(folder, case.model, tmp_path / "scores.csv", model_version="7")
    assert not (tmp_path / "scores.csv").exists()


def test_chunk_size_below_one_is_refused(case: ScoringCase, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--chunk-size must be at least 1, got 0"):
        score_folder(case.folder, case.model, tmp_path / "scores.csv", model_version="7", chunk_size=0)


def test_an_export_without_open_leads_scores_nothing_and_fails_nothing(case: ScoringCase, tmp_path: Path) -> None:
    # every contact had an opportunity in 2020: nobody is an open lead at any later as-of date
    import shutil

    folder = tmp_path / "crm"
    shutil.copytree(case.folder, folder)
    won = case.export.contacts.select(
        "contact_id", pl.lit(datetime(2020, 1, 1)).alias("occurred_at"), pl.lit("opportunity").alias("outcome")
    )
    outcomes = pl.read_parquet(folder / "outcomes.parquet")
    pl.concat([outcomes, won.cast(outcomes.schema)]).write_parquet(folder / "outcomes.parquet")  # type: ignore[arg-type]
    whole = score_leads(read_export(folder, created_at_required=False), case.model, model_version="7")
    assert whole.scores.height == 0 and whole.rejects.height == 0
    out = tmp_path / "scores.csv"
    run = score_folder(folder, case.model, out, model_version="7", chunk_size=300)
    assert (run.open_leads, run.scored, run.rejected) == (0, 0, 0)
    assert pl.read_csv(out).columns == whole.scores.columns and pl.read_csv(out).height == 0
