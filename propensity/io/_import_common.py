"""What the CRM importers share: reading a vendor's object file by its documented field names, mapping
stages and activity types, and writing the contract's tables with a one-page summary.

An importer reads only the fields it maps: names, emails and phones are never loaded, so they cannot
reach the output. Everything is read and checked before anything is written; then each table is
written atomically (`propensity.io._atomic.write_table`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from propensity._errors import DataError, UsageError
from propensity.io._atomic import atomic_path, write_table
from propensity.io._export import TABLES, validate_export
from propensity.io._spelling import spelling_key
from propensity.io._timestamps import parse_utc

__all__ = [
    "deal_outcomes",
    "ImportResult",
    "ObjectFile",
    "as_flag",
    "first_match",
    "map_values",
    "read_object",
    "stage_groups",
    "timestamps",
    "write_import",
]

_LISTED = 8  # values named in a summary line before "and N more"


@dataclass(frozen=True)
class ObjectFile:
    """One vendor object: its file name and the documented fields read from it.

    ``fields`` maps the name used in code to the accepted header names (the API name first, then the
    label a UI export uses); headers match ignoring case and spaces. ``required`` fields must be there.
    """

    file: str
    fields: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]


def read_object(folder: Path, spec: ObjectFile, *, required: bool = True) -> pl.DataFrame | None:
    """The object's mapped fields (all text, renamed to their code names; an absent optional field is
    all blank), or None when the file is absent and not ``required``. Other columns, personal data
    among them, are never loaded."""
    path = _find(folder, spec.file)
    if path is None:
        if required:
            raise DataError(spec.file, None, f"missing: the export in {folder} has no {spec.file}")
        return None
    try:
        header = pl.read_csv(path, n_rows=0, infer_schema=False).columns
    except pl.exceptions.NoDataError:
        raise DataError(spec.file, None, "the file is empty (no header row)") from None
    except (pl.exceptions.PolarsError, OSError) as error:
        raise DataError(spec.file, None, "could not be read as CSV", example=str(error).splitlines()[0]) from None
    by_name = {_norm(h): h for h in header}
    chosen: dict[str, str] = {}
    for name, accepted in spec.fields.items():
        found = next((by_name[_norm(a)] for a in accepted if _norm(a) in by_name), None)
        if found is not None:
            chosen[found] = name
        elif name in spec.required:
            listed = ", ".join(header[:12]) + (", ..." if len(header) > 12 else "")
            raise DataError(spec.file, accepted[0], f"required field not found (fields found: {listed or 'none'})")
    try:
        frame = pl.read_csv(path, columns=list(chosen), infer_schema=False)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise DataError(spec.file, None, "could not be read as CSV", example=str(error).splitlines()[0]) from None
    frame = frame.rename(chosen).with_columns(pl.col(pl.String).str.strip_chars())
    absent = [name for name in spec.fields if name not in frame.columns]  # optional fields: all blank
    return frame.with_columns(pl.lit(None, dtype=pl.String).alias(name) for name in absent).select(list(spec.fields))


def _find(folder: Path, name: str) -> Path | None:
    wanted = name.lower()
    for entry in sorted(folder.iterdir()):
        if entry.name.lower() == wanted and entry.is_file():
            return entry
    return None


def _norm(header: str) -> str:
    return re.sub(r"\s+", "", header.strip().lstrip("\ufeff").lower())


def timestamps(values: pl.Series, file: str, field_name: str, *, required: bool, date_only_end_of_day: bool = False) -> pl.Series:
    """ISO 8601 text (or epoch milliseconds, as HubSpot's API gives them) as naive UTC; blank is null.

    ``date_only_end_of_day``: a bare date (Salesforce's CloseDate, FirstRespondedDate) says only "some time
    that day": it is read as the day's last second, so no feature at a cutoff sees it before it happened."""
    text = values.cast(pl.String).str.strip_chars()
    text = pl.select(pl.when(text == "").then(None).otherwise(text)).to_series().rename(values.name)
    millis = text.str.contains(r"^\d{11,13}$").fill_null(False)
    if millis.any():
        as_ms = pl.from_epoch(text.filter(millis).cast(pl.Int64), time_unit="ms").dt.strftime("%Y-%m-%dT%H:%M:%S%.3f")
        text = text.scatter(millis.arg_true(), as_ms)
    if date_only_end_of_day:
        text = pl.select(pl.when(text.str.contains(r"^\d{4}-\d{2}-\d{2}$")).then(text + "T23:59:59").otherwise(text)).to_series().rename(values.name)
    return parse_utc(text, file=file, column=field_name, required=required)


def as_flag(values: pl.Series) -> pl.Series:
    """Salesforce and HubSpot booleans ("true"/"false", "1"/"0", any case) as Boolean; blank is False."""
    return values.str.to_lowercase().is_in(["true", "1", "yes"]).fill_null(False)


def stage_groups(
    values: pl.Series, file: str, field_name: str, groups: Mapping[str, Sequence[str]], setting: str
) -> pl.Series:
    """Each stage's group name (``groups`` maps a group to its stages, matched by `spelling_key`);
    a stage in no group is an error naming the file, the field, the value and the setting to extend."""
    owner = {spelling_key(stage): group for group, stages in groups.items() for stage in stages}
    keys = values.fill_null("").map_elements(spelling_key, return_dtype=pl.String)
    unknown = ~keys.is_in(list(owner))
    if unknown.any():
        example = values.filter(unknown)[0]
        raise DataError(file, field_name, f"unknown stage (name it in {setting})", example=example)
    return keys.replace_strict(list(owner), list(owner.values()), return_dtype=pl.String)


def deal_outcomes(linked: pl.DataFrame) -> pl.DataFrame:
    """Outcomes of deals linked to contacts (contact_id, created, closed, group): an `opportunity` when
    the deal was created, and `closed_won` when a won deal closed."""
    opened = linked.select("contact_id", pl.col("created").alias("occurred_at"), pl.lit("opportunity").alias("outcome"))
    won = linked.filter((pl.col("group") == "closed_won") & pl.col("closed").is_not_null()).select(
        "contact_id", pl.col("closed").alias("occurred_at"), pl.lit("closed_won").alias("outcome")
    )
    return pl.concat([opened, won])


def map_values(values: pl.Series, mapping: Mapping[str, str]) -> pl.Series:
    """``mapping[value]`` (keys matched by `spelling_key`), null where the value is not mapped."""
    by_key = {spelling_key(k): v for k, v in mapping.items()}
    keys = values.fill_null("").map_elements(spelling_key, return_dtype=pl.String)
    return keys.replace_strict(list(by_key), list(by_key.values()), default=None, return_dtype=pl.String)


def first_match(text: pl.Series, patterns: Mapping[str, str], file: str, setting: str) -> pl.Series:
    """The name of the first pattern (a regular expression, case ignored) found in ``text``, else null."""
    out = pl.Series(text.name, [None] * len(text), dtype=pl.String)
    for name, pattern in reversed(list(patterns.items())):  # the first pattern is applied last and wins
        try:
            hit = text.str.contains(f"(?i){pattern}").fill_null(False)
        except pl.exceptions.ComputeError:
            raise UsageError(f"{setting}: {name!r} = {pattern!r} is not a regular expression") from None
        out = pl.select(pl.when(hit).then(pl.lit(name)).otherwise(out)).to_series().rename(text.name)
    return out


@dataclass
class ImportResult:
    """The contract's tables built from a vendor export, and what was mapped and dropped on the way."""

    vendor: str
    source: Path
    tables: dict[str, pl.DataFrame]
    read: dict[str, int] = field(default_factory=dict)  # rows per vendor object read
    notes: list[str] = field(default_factory=list)  # what was dropped, and why
    unmapped: dict[str, int] = field(default_factory=dict)  # activity type -> rows not mapped to an event

    def summary(self) -> str:
        """The one-page summary written beside the tables (counts only: no names, emails or ids)."""
        t = self.tables
        lines = [f"propensity import {self.vendor} {self.source}", "", "read:"]
        lines += [f"  {name}: {n:,} rows" for name, n in self.read.items()]
        lines += ["", "wrote:"]
        lines += [f"  {name}: {t[name].height:,} rows" for name in TABLES if name in t]
        events, outcomes = t["events"], t["outcomes"]
        if events.height:
            per_type = events.group_by("event_type").len().sort(["len", "event_type"], descending=[True, False])
            lines += ["", "events by type:"] + [f"  {e}: {n:,}" for e, n in per_type.iter_rows()]
        if outcomes.height:
            per_outcome = outcomes.group_by("outcome").len().sort(["len", "outcome"], descending=[True, False])
            lines += ["", "outcomes:"] + [f"  {o}: {n:,}" for o, n in per_outcome.iter_rows()]
        quiet = t["contacts"].height - events["contact_id"].n_unique() if events.height else t["contacts"].height
        lines += ["", "dropped:"] + [f"  {note}" for note in self.notes]
        if self.unmapped:
            shown = sorted(self.unmapped.items(), key=lambda kv: (-kv[1], kv[0]))
            listed = ", ".join(f"{k!r} ({n:,})" for k, n in shown[:_LISTED])
            more = f" and {len(shown) - _LISTED} more" if len(shown) > _LISTED else ""
            lines.append(f"  unmapped activity types (not events; map them in the config): {listed}{more}")
        lines += ["", f"people without any activity: {quiet:,} of {t['contacts'].height:,}"]
        lines.append("personal data (names, emails, phones) was not read")
        return "\n".join(lines) + "\n"

    def line(self) -> str:
        t = self.tables
        return (
            f"imported {self.vendor} {self.source}: {t['contacts'].height:,} contacts, {t['accounts'].height:,} accounts, "
            f"{t['events'].height:,} events, {t['outcomes'].height:,} outcomes"
        )


def write_import(result: ImportResult, out: str | Path, *, fmt: str = "parquet") -> Path:
    """Check the tables against the contract, then write them and ``import_summary.txt`` into ``out``.

    Nothing is written when a check fails, or when ``out`` already holds a table in the other format
    (the folder would then hold two of it)."""
    folder = Path(out).expanduser()
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder}: not a folder")
    other = ".csv" if fmt == "parquet" else ".parquet"
    if folder.is_dir():
        clash = [p.name for p in sorted(folder.iterdir()) if p.stem.lower() in TABLES and p.suffix.lower() == other]
        if clash:
            raise UsageError(f"--out {folder} already holds {clash[0]}: choose an empty folder or --format {other[1:]}")
    names = {name: f"{name} (imported from {result.vendor})" for name in TABLES}
    validate_export(result.tables, names=names, source=str(folder), fingerprint="", require_outcomes=True)
    for name in TABLES:
        write_table(result.tables[name], folder / f"{name}.{fmt}")
    summary = folder / "import_summary.txt"
    with atomic_path(summary) as tmp:
        tmp.write_text(result.summary(), encoding="utf-8")
    return folder
