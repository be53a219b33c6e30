"""Scoring a whole CRM folder in bounded memory: contacts in chunks, output written as it goes.

Memory holds the contacts, accounts and outcomes tables (one row per person or company) and one
chunk of events at a time, never all events:

1. Contacts are cut into chunks of about `chunk_size` people, whole accounts at a time (account
   features see the whole buying committee, so a chunk's features equal the whole export's).
2. One pass over the events table, in record batches, validates them as `read_export` does and
   spills each batch's rows into the chunk they belong to (Arrow IPC files in a temporary folder).
3. Each chunk is scored by `score_leads` (the same features, model, grades and reasons) and its
   rows, sorted best first, go to a temporary run file.
4. The runs are merged, score range by score range, into the output file (CSV appended or Parquet
   row groups) beside the target, renamed into place only at the end: the file appears whole or
   not at all, and it holds the same rows in the same order as scoring the export in one piece.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from propensity._errors import UsageError
from propensity.io._export import CrmExport, ReadReport, validate_export
from propensity.io._spill import (
    EVENT_COLUMNS,
    Spilled,
    chunk_plan,
    export_folder,
    spill_events,
)

__all__ = ["score_folder", "prepare_folder", "PreparedFolder", "chunk_plan", "ChunkHook", "DriftSample"]

log = logging.getLogger("propensity")

_MERGE_ROWS = 200_000  # output rows merged per step
_SCORE_BATCH = 100_000  # leads per model call inside a chunk

ChunkHook = Callable[[pl.DataFrame, CrmExport, datetime], None]
"""Called with each chunk's scores (SCORE_COLUMNS and `contributions`, best first), its export and the as-of date."""
_DRIFT_ROWS = 200_000


class DriftSample:
    """A uniform sample (by a hash of contact_id) of the scored leads' model inputs, for drift.

    Keeps every lead until `max_rows` are kept, then halves the sampling rate as often as needed:
    PSI from the sample estimates PSI over all leads, in bounded memory.
    """

    def __init__(self, model: object, max_rows: int = _DRIFT_ROWS) -> None:
        self.model = model
        self.max_rows = max_rows
        self.rate = 1024  # keep hash % 1024 < rate
        self.frames: list[object] = []
        self.scores: list[np.ndarray] = []
        self.keys: list[np.ndarray] = []

    def add(self, scores: pl.DataFrame, export: CrmExport, as_of: datetime) -> None:
        from propensity._model import to_model_frame
        from propensity.features._builder import FeatureBuilder

        keyed = scores.select("contact_id", "score", (pl.col("contact_id").hash(seed=7) % 1024).cast(pl.Int64).alias("_key"))
        keyed = keyed.filter(pl.col("_key") < self.rate)
        if keyed.height == 0:
            return
        spec = self.model.spec  # type: ignore[attr-defined]
        pairs = keyed.select("contact_id", pl.lit(as_of, dtype=pl.Datetime("us")).alias("cutoff"))
        feats = FeatureBuilder.from_spec(spec).transform(export, pairs)
        self.frames.append(to_model_frame(spec, feats))
        self.scores.append(keyed["score"].to_numpy())
        self.keys.append(keyed["_key"].to_numpy())
        while sum(len(k) for k in self.keys) > self.max_rows and self.rate > 1:
            self.rate //= 2
            for i, key in enumerate(self.keys):
                keep = key < self.rate
                self.frames[i] = self.frames[i][keep]  # type: ignore[index]
                self.scores[i], self.keys[i] = self.scores[i][keep], key[keep]

    def report(self, as_of: datetime) -> object:
        """The `DriftReport` of the sample, or None when the model has no training reference."""
        import pandas as pd

        from propensity.lifecycle._drift import DriftReport, drift_table, field_weights

        reference = self.model.metadata.get("reference")  # type: ignore[attr-defined]
        if not reference:
            return None
        spec = self.model.spec  # type: ignore[attr-defined]
        frame = pd.concat(self.frames, ignore_index=True) if self.frames else pd.DataFrame(columns=spec.names)
        scores = np.concatenate(self.scores) if self.scores else np.zeros(0)
        return DriftReport(drift_table(reference, spec, frame, scores), as_of, len(scores), field_weights(self.model))


@contextmanager
def _quiet_chunks() -> Iterator[None]:
    """Per-chunk INFO lines of `score_leads` are noise here: one summary is logged for the run."""
    level = log.level
    if log.getEffectiveLevel() < logging.WARNING:
        log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(level)


@dataclass
class PreparedFolder:
    """An export read for streamed scoring: small tables in memory, events spilled by chunk.

    `export` holds the contacts, accounts and outcomes (its `events` are empty, its `report`
    counts them all), for the one-line read summary.
    """

    export: CrmExport
    plan: pl.DataFrame
    n_chunks: int
    spill: Path
    counts: Spilled
    as_of: datetime | None

    def resolved_as_of(self) -> datetime:
        """The as-of date scoring uses: the one given, else the latest event, else the end of the data."""
        if self.as_of is not None:
            return self.as_of
        return self.counts.latest if self.counts.latest is not None else self.export.data_end

    def score(
        self,
        model: object,
        out: str | Path,
        *,
        model_version: str,
        keep_scores: bool = False,
        on_chunk: ChunkHook | None = None,
        previous: pl.DataFrame | None = None,
        trend: object = None,
    ) -> object:
        """Score every open lead into `out` (rejects beside it); see `score_folder`. `previous` and
        `trend` give `previous_score`, `trend` and `moved_by` as in `score_leads`."""
        from propensity.io._atomic import atomic_path, check_table_path, write_table
        from propensity.scoring._batch import (
            ScoreRun,
            account_for,
            rejects_path,
            score_columns,
            score_leads,
        )

        target = check_table_path(out)
        columns = score_columns(model)  # type: ignore[arg-type]
        base, counts, spill = self.export, self.counts, self.spill
        contacts = base.contacts
        spec = model.spec  # type: ignore[attr-defined]
        known_types = list(spec.event_types)
        as_of = self.resolved_as_of()
        after = counts.after if counts.after is not None else 0
        outcomes = base.outcomes
        if outcomes is not None:
            after += int((outcomes["occurred_at"] > as_of).sum())
        unknown = {t: n for t, n in (counts.types or {}).items() if t not in set(known_types)}
        unknown = dict(sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0])))
        _warn_unknown(unknown)
        if outcomes is None and spec.outcome_types:
            log.warning(
                "no outcomes table: the outcome-history features (earlier mqls, a colleague's opportunity) "
                "are scored as if nothing had happened yet"
            )
        no_outcomes = pl.DataFrame(schema={"contact_id": pl.String, "occurred_at": pl.Datetime("us"), "outcome": pl.String})
        people = contacts.join(self.plan, on="contact_id", how="left")
        out_by_chunk = (outcomes if outcomes is not None else no_outcomes).join(self.plan, on="contact_id", how="inner")

        runs: list[Path] = []
        run_scores: list[np.ndarray] = []
        rejects: list[pl.DataFrame] = []
        kept: list[pl.DataFrame] = []
        open_total = 0
        grade_counts: dict[str, int] = {}
        empty_events = pl.DataFrame(schema={"contact_id": pl.String, "occurred_at": pl.Datetime("us"), "event_type": pl.String})
        for chunk in range(self.n_chunks):
            part = people.filter(pl.col("chunk") == chunk).drop("chunk")
            spilled = spill / f"events-{chunk}.arrow"
            events = pl.read_ipc(spilled).unique(maintain_order=True) if spilled.exists() else empty_events  # an exact repeat counts once, as on read
            export = CrmExport(
                contacts=part,
                accounts=base.accounts,
                events=events.filter((pl.col("occurred_at") <= as_of) & pl.col("event_type").is_in(known_types)),
                outcomes=out_by_chunk.filter(pl.col("chunk") == chunk).drop("chunk"),
                source=base.source,
                fingerprint="",
                report=base.report,
                matching=None if base.matching is None else base.matching.join(part.select("contact_id"), on="contact_id", how="semi"),
            )
            with _quiet_chunks():
                run = score_leads(export, model, model_version=model_version, as_of=as_of, chunk_size=_SCORE_BATCH,  # type: ignore[arg-type]
                                  previous=previous, trend=trend)  # type: ignore[arg-type]
            spilled.unlink(missing_ok=True)
            open_total += run.open_leads
            rejects.append(run.rejects)
            for g, n in run.scores["grade"].value_counts().iter_rows():
                grade_counts[str(g)] = grade_counts.get(str(g), 0) + int(n)
            if on_chunk is not None:
                on_chunk(run.for_history(), export, as_of)
            if keep_scores:
                kept.append(run.scores)
            del export, events
            if run.scores.height:
                file = spill / f"run-{chunk}.arrow"
                run.scores.write_ipc(file)
                runs.append(file)
                run_scores.append(run.scores["score"].to_numpy())

        all_rejects = pl.concat(rejects).sort("contact_id") if rejects else pl.DataFrame(schema={"contact_id": pl.String, "reason": pl.String})
        write_table(all_rejects, rejects_path(target))  # first, so a stale rejects file never outlives its scores
        with atomic_path(target) as tmp_out:
            scored = _merge_runs(runs, run_scores, tmp_out, columns, parquet=target.suffix.lower() == ".parquet")
        n_scored = sum(len(s) for s in run_scores)
        if scored != n_scored:  # the merge wrote every scored row
            raise RuntimeError(f"scored {n_scored} + rejected {all_rejects.height} != {open_total} open leads")
        account_for(read=contacts.height, open_leads=open_total, scored=n_scored, rejected=all_rejects.height, as_of=as_of, after=after)
        scores = (
            pl.concat(kept).sort(["score", "contact_id"], descending=[True, False])
            if keep_scores and kept
            else pl.DataFrame(schema=_score_schema()).select(columns)
        )
        return ScoreRun(
            scores,
            as_of,
            contacts.height,
            open_total,
            all_rejects,
            unknown,
            after,
            n_scored=n_scored,
            grade_counts=dict(sorted(grade_counts.items())),
            out=target,
        )


@contextmanager
def prepare_folder(
    path: str | Path, *, chunk_size: int = 100_000, as_of: datetime | None = None, spill_dir: str | Path | None = None
) -> Iterator[PreparedFolder]:
    """Read and validate the export in folder `path` for streamed scoring (errors as `read_export`):
    contacts, accounts and outcomes in memory, events spilled by chunk into a temporary folder
    (inside `spill_dir`, default the system's), removed on exit."""
    from propensity.io._sources import read_table

    if chunk_size < 1:
        raise UsageError(f"--chunk-size must be at least 1, got {chunk_size}")
    folder = export_folder(path)
    files = folder.files
    names = {table: file.name for table, file in files.items()}
    tables: dict[str, pl.DataFrame | None] = {t: read_table(f) for t, f in files.items() if t != "events"}
    tables["events"] = pl.DataFrame(schema={c: pl.String for c in EVENT_COLUMNS})
    base = validate_export(tables, names=names, source=folder.source, fingerprint="", created_at_required=False)
    del tables
    contacts = base.contacts
    first = contacts["created_at"].min()
    if as_of is not None and isinstance(first, datetime) and as_of < first:
        raise UsageError(
            f"--as-of {as_of:%Y-%m-%d %H:%M} is before the first contact was created ({first:%Y-%m-%d %H:%M}): no lead to score"
        )
    plan = chunk_plan(contacts, chunk_size)
    n_chunks = int(plan["chunk"].max() or 0) + 1
    with tempfile.TemporaryDirectory(prefix="propensity-score-", dir=spill_dir) as tmp:
        spill = Path(tmp)
        counts = spill_events(files["events"], contacts["contact_id"], plan, spill, as_of)
        report = ReadReport(
            contacts=contacts.height,
            accounts=base.accounts.height,
            events=counts.rows,
            outcomes=base.report.outcomes,
            events_unknown_contact=counts.unknown_contact,
            outcomes_unknown_contact=base.report.outcomes_unknown_contact,
            dropped_pii_columns=base.report.dropped_pii_columns,
            account_matches=base.report.account_matches,
        )
        export = CrmExport(base.contacts, base.accounts, base.events, base.outcomes, base.source, base.fingerprint, report, base.matching)
        yield PreparedFolder(export, plan, n_chunks, spill, counts, as_of)


def score_folder(
    path: str | Path,
    model: object,
    out: str | Path,
    *,
    model_version: str,
    as_of: datetime | None = None,
    chunk_size: int = 100_000,
    keep_scores: bool = False,
    on_chunk: ChunkHook | None = None,
) -> object:
    """Score every open lead of the export in folder `path` into `out` (.csv or .parquet), in
    chunks of about `chunk_size` contacts; the rejects go to ``rejects_path(out)``.

    Returns the `ScoreRun`; its `scores` hold every row only with `keep_scores` (else none: the
    count, grade mix and file are in ``n_scored``, ``grade_counts`` and ``out``).
    """
    from propensity.io._atomic import check_table_path

    check_table_path(out)
    with prepare_folder(path, chunk_size=chunk_size, as_of=as_of) as prepared:
        return prepared.score(model, out, model_version=model_version, keep_scores=keep_scores, on_chunk=on_chunk)


def _score_schema() -> dict[str, pl.DataType]:
    from propensity.scoring._views import VIEW_SCHEMA

    return {
        "contact_id": pl.String(),
        "account_id": pl.String(),
        "score": pl.Float64(),
        "score_100": pl.Int16(),
        "grade": pl.String(),
        "percentile": pl.Int16(),
        "reasons": pl.String(),
        "model_version": pl.String(),
        "previous_score": pl.Float64(),
        "trend": pl.String(),
        "moved_by": pl.String(),
        "account_match": pl.String(),
        **{k: v() for k, v in VIEW_SCHEMA.items()},  # only with a model that has the views (score_columns)
    }


def _warn_unknown(unknown: dict[str, int]) -> None:
    if not unknown:
        return
    listed = ", ".join(f"{t} ({n:,})" for t, n in list(unknown.items())[:5])
    more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
    log.warning(
        "events: ignored %s rows of %s event types the model was not trained on: %s%s",
        f"{sum(unknown.values()):,}", len(unknown), listed, more,
    )


def _merge_runs(runs: list[Path], run_scores: list[np.ndarray], out: Path, columns: tuple[str, ...], *, parquet: bool) -> int:
    """Merge runs (each sorted by score desc, contact_id) into `out`, a score range at a time.

    Range bounds are score values, so equal scores always fall in the same range and the
    contact_id tie-break is exact; a range holds about `_MERGE_ROWS` rows.
    """
    import pyarrow.parquet as pq

    total = sum(len(s) for s in run_scores)
    everything = np.sort(np.concatenate(run_scores))[::-1] if run_scores else np.zeros(0)
    # upper bounds (inclusive) of each range, best first
    bounds = [float(everything[i]) for i in range(0, total, _MERGE_ROWS)] if total else []
    bounds = sorted(set(bounds), reverse=True)
    written = 0
    schema_frame = pl.DataFrame(schema=_score_schema()).select(columns)
    writer: pq.ParquetWriter | None = None
    handle = None
    if parquet:
        writer = pq.ParquetWriter(str(out), schema_frame.to_arrow().schema)
    else:
        handle = open(out, "wb")  # noqa: SIM115 - closed below
        schema_frame.write_csv(handle)
    try:
        starts = [0] * len(runs)
        for i, hi in enumerate(bounds):
            lo = bounds[i + 1] if i + 1 < len(bounds) else -np.inf
            pieces = []
            for r, scores in enumerate(run_scores):
                # runs are sorted descending: rows with lo < score <= hi are a contiguous slice
                end = len(scores) - int(np.searchsorted(scores[::-1], lo, side="right"))
                if end > starts[r]:
                    pieces.append(pl.scan_ipc(runs[r]).slice(starts[r], end - starts[r]).collect())
                    starts[r] = end
            if not pieces:
                continue
            block = pl.concat(pieces).sort(["score", "contact_id"], descending=[True, False]).select(columns)
            written += block.height
            if writer is not None:
                writer.write_table(block.to_arrow())
            else:
                block.write_csv(handle, include_header=False)  # type: ignore[arg-type]
    finally:
        if writer is not None:
            writer.close()
        if handle is not None:
            handle.close()
    return written
