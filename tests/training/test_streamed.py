"""Streamed training (`propensity train DATA_DIR`): the events are read in batches and spilled by chunk
of whole accounts, never held whole, and the training set, the preflight and the model are the ones
`read_export` + `build_training_set` give."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from propensity._config import load_config
from propensity.io._sources import read_export
from propensity.io._spelling import reading_aliases
from propensity.training._preflight import preflight
from propensity.training._streamed import read_streamed, streamed_training
from propensity.training._training_set import (
    POINTS_COLUMN,
    build_training_set,
    default_plan,
)


@pytest.fixture(scope="module")
def spelled_crm(generated_crm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated export with an event type spelled two ways and some events repeated exactly."""
    out = tmp_path_factory.mktemp("spelled") / "crm"
    shutil.copytree(generated_crm, out)
    events = pl.read_parquet(out / "events.parquet")
    open_ = (pl.int_range(pl.len()) % 7 == 0) & (pl.col("event_type") == "email_open")
    respelled = events.with_columns(pl.when(open_).then(pl.lit("Email Open")).otherwise(pl.col("event_type")).alias("event_type"))
    assert respelled.filter(pl.col("event_type") == "Email Open").height > 100
    pl.concat([respelled, respelled.head(500)]).write_parquet(out / "events.parquet")
    return out


def test_streamed_training_set_equals_the_in_memory_one(spelled_crm: Path) -> None:
    """Chunks of about 300 contacts (several chunks, whole accounts each): the same read counts, plan,
    preflight counts, rows, labels, keep, features (as float32) and hand-tuned points."""
    config = load_config(None)
    config = replace(config, sampling=replace(config.sampling, negative_rate=0.5))  # the seeded keep, row by row
    export = read_export(spelled_crm, require_outcomes=True, **reading_aliases(config))
    plan = default_plan(export, config)
    whole = build_training_set(export, config, plan)
    with read_streamed(spelled_crm, chunk_size=300, **reading_aliases(config)) as sx:
        assert sx.n_chunks >= 5
        assert sx.export.report == export.report  # events, duplicates, merged spellings, unknown contacts
        assert sx.export.report.duplicate_events == 500 and sx.export.fingerprint == export.fingerprint
        assert sx.export.events.height == 0 and sx.export.event_summary is not None
        assert sx.export.event_span() == export.event_span()
        checked, streamed = streamed_training(sx, config)
        assert sorted(f.name for f in sx.spill.iterdir()) == sorted(f"clean-{c}.arrow" for c in range(sx.n_chunks))  # no raw spill left
        assert sum(p.events.height for p in sx.parts()) == export.events.height
    assert not sx.spill.exists()  # the spill folder goes with the context
    assert streamed.plan == whole.plan
    assert checked.per_cutoff.equals(preflight(export, config, plan).per_cutoff)
    assert streamed.builder.spec_ == whole.builder.spec_
    assert streamed.sampling == whole.sampling
    a, b = whole.frame, streamed.frame
    assert b.height == a.height and 0 < int(b["keep"].sum()) < b.height
    keys = ["contact_id", "cutoff", "label", "fold", "keep"]
    assert b.select(keys).equals(a.select(keys))
    for f in whole.builder.spec_.features:
        left, right = a[f.name], b[f.name]
        if f.kind == "category":
            assert right.equals(left.cast(pl.String)), f.name
        else:
            np.testing.assert_array_equal(right.to_numpy(), left.cast(pl.Float32).to_numpy(), err_msg=f.name)
    judged = b.filter(pl.col("fold") >= 0)
    assert judged[POINTS_COLUMN].null_count() == 0 and b.filter(pl.col("fold") < 0)[POINTS_COLUMN].null_count() == b.height - judged.height


def test_train_from_a_folder_never_reads_the_events_table_whole(spelled_crm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`propensity train DATA_DIR` reads the events only through the batched spill: reading the events
    file whole (`read_table`, as `read_export` does) fails the test; the model is registered."""
    from propensity.cli._main import main
    from propensity.io import _sources

    whole_reads: list[str] = []
    real = _sources.read_table

    def read_table(file: Path):  # type: ignore[no-untyped-def]
        if Path(file).stem == "events":
            whole_reads.append(str(file))
        return real(file)

    monkeypatch.setattr(_sources, "read_table", read_table)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    config = tmp_path / "train.toml"
    config.write_text("[search]\ntrials = 1\n\n[model]\nnum_boost_round = 60\n\n[views]\nenabled = false\n")
    code = main(["-q", "train", str(spelled_crm), "--config", str(config), "--chunk-size", "400",
                 "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}", "--model-name", "streamed"])
    assert whole_reads == []
    assert code in (0, 3)  # registered; in service or not is the gate's call
    assert (tmp_path / "mlflow.db").exists()


def test_a_chunk_size_below_one_is_refused_in_one_line(generated_crm: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from propensity.cli._main import main

    assert main(["train", str(generated_crm), "--chunk-size", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["propensity: error: --chunk-size must be at least 1, got 0"]
