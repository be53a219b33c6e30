"""Training on an export folder in bounded memory: the events are never all in memory.

`propensity train DATA_DIR` reads the export as `propensity score` does (`propensity.io._spill`): the
contacts, accounts and outcomes whole, the events one record batch at a time, validated and spilled to
the chunk of whole accounts their contact belongs to. A second pass over the chunks merges the event
types' spellings (counted over the whole table, as `read_export` merges them), drops exact repeats and
counts what the driver needs to know of the events (`EventSummary`: the history span, the event types
per month for the preflight and the feature vocabulary). The training set is then built chunk by
chunk (`part_training_rows`, the same code a Spark bucket runs): one chunk's events in memory at a
time, and only the kept or judged rows' features kept. Same rows, features, points and model as
`read_export` + `build_training_set` (tests/training/test_streamed.py).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from propensity._errors import DataError
from propensity.io._event_summary import EventSummary
from propensity.io._export import CrmExport, unique_rows, validate_export
from propensity.io._spelling import spelling_map
from propensity.io._spill import EVENT_COLUMNS, chunk_plan, export_folder, spill_events
from propensity.training._training_set import (
    TrainingSet,
    default_plan,
    part_training_rows,
    training_set_of_parts,
)

if TYPE_CHECKING:
    from propensity._config import Config
    from propensity.training._preflight import PreflightResult

__all__ = ["DEFAULT_TRAIN_CHUNK", "StreamedExport", "read_streamed", "streamed_training"]

log = logging.getLogger("propensity")

DEFAULT_TRAIN_CHUNK = 100_000  # contacts per chunk (whole accounts), as `propensity score --chunk-size`
_NO_EVENTS = {"contact_id": pl.String, "occurred_at": pl.Datetime("us"), "event_type": pl.String}


@dataclass(frozen=True)
class StreamedExport:
    """An export folder read for streamed training: `export` holds the contacts, accounts and outcomes
    and an `event_summary` (no event row); each chunk's clean events wait in `spill`."""

    export: CrmExport
    chunks: pl.DataFrame  # contact_id, chunk
    n_chunks: int
    spill: Path

    def part(self, chunk: int) -> CrmExport:
        """The export of one chunk: its contacts (whole accounts) with their events and outcomes."""
        base = self.export
        people = base.contacts.join(self.chunks.filter(pl.col("chunk") == chunk).select("contact_id"), on="contact_id", how="semi")
        file = self.spill / f"clean-{chunk}.arrow"
        events = pl.read_ipc(file) if file.exists() else pl.DataFrame(schema=_NO_EVENTS)
        outcomes = None if base.outcomes is None else base.outcomes.join(people.select("contact_id"), on="contact_id", how="semi")
        matching = None if base.matching is None else base.matching.join(people.select("contact_id"), on="contact_id", how="semi")
        return replace(base, contacts=people, events=events, outcomes=outcomes, matching=matching, event_summary=None)

    def parts(self) -> Iterator[CrmExport]:
        """Each chunk's export in turn (one chunk's events in memory at a time)."""
        for chunk in range(self.n_chunks):
            yield self.part(chunk)


@contextmanager
def read_streamed(
    path: str | Path,
    *,
    chunk_size: int = DEFAULT_TRAIN_CHUNK,
    require_outcomes: bool = True,
    event_aliases: Mapping[str, str] | None = None,
    outcome_aliases: Mapping[str, str] | None = None,
    spill_dir: str | Path | None = None,
) -> Iterator[StreamedExport]:
    """Read and validate the export in folder `path` (the errors of `read_export`), the events spilled
    by chunk of about `chunk_size` contacts into a temporary folder removed on exit."""
    from propensity.io._sources import checked_fingerprint, read_table

    folder = export_folder(path)
    files = folder.files
    if require_outcomes and "outcomes" not in files:
        raise DataError(folder.source, None, "no outcomes table (expected outcomes.csv or outcomes.parquet)")
    fingerprint = checked_fingerprint(files, folder.source)
    names = {table: file.name for table, file in files.items()}
    tables: dict[str, pl.DataFrame | None] = {t: read_table(f) for t, f in files.items() if t != "events"}
    tables["events"] = pl.DataFrame(schema=dict.fromkeys(EVENT_COLUMNS, pl.String))
    base = validate_export(
        tables, names=names, source=folder.source, fingerprint=fingerprint, require_outcomes=require_outcomes,
        event_aliases=event_aliases, outcome_aliases=outcome_aliases,
    )
    del tables
    plan = chunk_plan(base.contacts, chunk_size)
    n_chunks = int(plan["chunk"].max() or 0) + 1
    with tempfile.TemporaryDirectory(prefix="propensity-train-", dir=spill_dir) as tmp:
        spill = Path(tmp)
        counts = spill_events(files["events"], base.contacts["contact_id"], plan, spill, None)
        types = counts.types or {}
        changed, merges = spelling_map(
            list(types), list(types.values()), column="event_type",
            aliases={k: v.strip().lower() for k, v in (event_aliases or {}).items()},
        )
        summary = _clean_chunks(spill, n_chunks, changed)
        kept = base.report.merged_spellings
        report = replace(
            base.report, events=summary.rows, events_unknown_contact=counts.unknown_contact, duplicate_events=counts.rows - summary.rows,
            merged_spellings=tuple(m for m in kept if m.column != "outcome") + merges + tuple(m for m in kept if m.column == "outcome"),
        )
        log.debug("events: %s rows read, spilled in %s of about %s contacts", f"{counts.rows:,}",
                 "1 chunk" if n_chunks == 1 else f"{n_chunks} chunks", f"{chunk_size:,}")
        yield StreamedExport(replace(base, report=report, event_summary=summary), plan, n_chunks, spill)


def _clean_chunks(spill: Path, n_chunks: int, changed: dict[str, str]) -> EventSummary:
    """Each chunk's events with their spellings merged and exact repeats dropped (`clean-<chunk>.arrow`),
    and the summary of them all."""
    rows, most = 0, 0
    first: datetime | None = None
    last: datetime | None = None
    by_type: list[pl.DataFrame] = []
    for chunk in range(n_chunks):
        file = spill / f"events-{chunk}.arrow"
        if not file.exists():
            continue
        events = pl.read_ipc(file)
        if changed:
            events = events.with_columns(pl.col("event_type").replace(changed))
        events = unique_rows(events)  # an exact repeat counts once, as `read_export` counts it (by row hash: little memory)
        events.write_ipc(spill / f"clean-{chunk}.arrow", compression="lz4")
        file.unlink()
        rows += events.height
        if events.height == 0:
            continue
        lo, hi = events["occurred_at"].min(), events["occurred_at"].max()
        first = lo if first is None or lo < first else first  # type: ignore[operator,assignment]
        last = hi if last is None or hi > last else last  # type: ignore[operator,assignment]
        most = max(most, int(events.group_by("contact_id").len()["len"].max()))  # type: ignore[arg-type]
        month = pl.col("occurred_at").dt.truncate("1mo")
        known_from = pl.when(pl.col("occurred_at") == month).then(month).otherwise(month.dt.offset_by("1mo"))
        by_type.append(events.group_by("event_type", known_from.alias("known_from")).len())
    schema = {"event_type": pl.String, "known_from": pl.Datetime("us"), "len": pl.Int64}
    counted = (
        pl.concat(by_type).group_by("event_type", "known_from").agg(pl.col("len").sum().cast(pl.Int64)).sort("event_type", "known_from")
        if by_type
        else pl.DataFrame(schema=schema)
    )
    return EventSummary(rows, first, last, most, counted)


def streamed_training(sx: StreamedExport, config: Config) -> tuple[PreflightResult, TrainingSet]:
    """The preflight and the training set built chunk by chunk, for `train`."""
    from propensity.features._builder import FeatureBuilder
    from propensity.reports._terminal import progress_steps
    from propensity.training._preflight import preflight
    from propensity.training._sampling import choose_rate

    export = sx.export
    plan = default_plan(export, config)
    checked = preflight(export, config, plan)  # refuses (exit 2) before any feature is built
    builder = FeatureBuilder(config.features).fit(export, plan.cutoffs[-1])  # the vocabulary, from the events' summary
    positives = int(checked.per_cutoff["positives"].sum())
    negatives = int(checked.per_cutoff["open_leads"].sum()) - positives
    rate = choose_rate(positives, negatives, config.sampling)
    parts: list[pl.DataFrame] = []
    with progress_steps(f"training set in {sx.n_chunks} chunks", sx.n_chunks) as advance:
        for chunk in range(sx.n_chunks):
            parts.append(part_training_rows(sx.part(chunk), config, plan, builder.spec_, rate))
            advance()
    frame = pl.concat(parts, rechunk=False) if parts else pl.DataFrame()
    del parts
    return checked, training_set_of_parts(frame, builder, plan, rate, checked.per_cutoff)
