"""The `propensity` command: a thin layer over the library.

Errors a user can cause are caught once, here, printed as one line, and exit with code 2.
Heavy libraries (MLflow, LightGBM) are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from propensity._errors import PropensityError, UsageError
from propensity._version import __version__
from propensity.io._read_line import read_line
from propensity.lifecycle._tracking import open_store

if TYPE_CHECKING:
    from propensity.lifecycle._tracking import LoadedModel

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILED"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NOT_IN_SERVICE = 3  # `train`: registered, but the gate kept it out of service (as `retrain`'s "kept")

log = logging.getLogger("propensity")


def _as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--as-of: not an ISO date or timestamp: {text!r}") from None
    if t.tzinfo is not None:
        t = t.astimezone(timezone.utc).replace(tzinfo=None)
    return t


def _config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from propensity._config import load_config

    overrides = {"model_name": args.model_name} if getattr(args, "model_name", None) else None
    return load_config(getattr(args, "features", None), getattr(args, "config", None), overrides=overrides)


# ----------------------------------------------------------------- commands
def cmd_generate(args: argparse.Namespace) -> int:
    from propensity.synthetic._generate import generate_crm

    s = generate_crm(args.dir, n_contacts=args.contacts, seed=args.seed, fmt=args.format, overwrite=args.force)
    print(
        f"wrote {s.out_dir}: {s.n_accounts:,} accounts, {s.n_contacts:,} contacts, {s.n_events:,} events, "
        f"{s.n_outcomes:,} outcomes ({s.start:%Y-%m-%d} to {s.end:%Y-%m-%d}); oracle in {Path(s.out_dir) / 'oracle.parquet'}"
    )
    return EXIT_OK




def cmd_import(args: argparse.Namespace) -> int:
    """propensity import salesforce|hubspot DIR --out CRM_DIR: a vendor's export read into the contract."""
    from propensity.io._import_common import write_import

    config = _config(args)
    if args.vendor == "salesforce":
        from propensity.io._import_salesforce import import_salesforce

        result = import_salesforce(args.dir, config.salesforce)
    else:
        from propensity.io._import_hubspot import import_hubspot

        result = import_hubspot(args.dir, config.hubspot)
    out = write_import(result, args.out, fmt=args.format)
    print(f"{result.line()} -> {out} (what was mapped and dropped: {out / 'import_summary.txt'})")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """propensity check DATA_DIR: is the export enough to train on, and what to change when it is not."""
    from propensity.io._outcome_names import resolve_outcome_names
    from propensity.io._spelling import reading_aliases
    from propensity.training._check import check_export, render_check

    config = _config(args)
    export = _read_history(args, require_outcomes=True, **reading_aliases(config))
    config = replace(config, label=resolve_outcome_names(export.outcomes, config.label))
    print(read_line(export))
    report = check_export(export, config)
    print(render_check(report))
    return report.exit_code


def cmd_train(args: argparse.Namespace) -> int:
    from propensity.io._outcome_names import (
        refuse_mistyped_outcomes,
        resolve_outcome_names,
    )
    from propensity.io._spelling import reading_aliases
    from propensity.lifecycle._tracking import (
        check_server,
        resolve_tracking_uri,
        tracking_errors,
    )
    from propensity.reports._text import print_training_summary
    from propensity.training._check import check_export, render_summary
    from propensity.training._train import train

    config = _config(args)
    on_spark = getattr(args, "engine", "local") == "spark"
    if args.chunk_size < 1:
        raise UsageError(f"--chunk-size must be at least 1, got {args.chunk_size}")
    with ExitStack() as reading:
        streamed = None
        if on_spark:  # the export read, validated, labelled and built on Spark: the events never reach this process
            from propensity.engines._spark import read_on_spark

            if getattr(args, "source", None) or args.data_dir is None:
                raise UsageError("--engine spark reads a folder of Parquet (or Delta) tables: give DATA_DIR")
            on = read_on_spark(args.data_dir, require_outcomes=True, **reading_aliases(config))
            export = on.export
        elif args.data_dir is not None and not getattr(args, "source", None):  # a folder: its events in chunks, bounded memory
            from propensity.training._streamed import read_streamed

            streamed = reading.enter_context(read_streamed(args.data_dir, chunk_size=args.chunk_size, **reading_aliases(config)))
            export = streamed.export
        else:
            export = _read_history(args, require_outcomes=True, **reading_aliases(config))
        config = replace(config, label=resolve_outcome_names(export.outcomes, config.label))  # "Closed Won" means closed_won
        refuse_mistyped_outcomes(export.outcomes, config.label)  # a typo is named up front, not trained into "0 positives"
        print(read_line(export))
        print(render_summary(check_export(export, config, count_leads=False)))
        uri = resolve_tracking_uri(args.tracking_uri)
        check_server(uri)  # a refusing or absent server fails now, not after training
        with tracking_errors(uri):
            checked = ts = None
            if on_spark:
                from propensity.engines._spark_train import spark_training

                checked, ts = spark_training(on, config)  # preflight counts and training matrix from Spark
            elif streamed is not None:
                from propensity.training._streamed import streamed_training

                checked, ts = streamed_training(streamed, config)  # the training set chunk by chunk
            result = train(export, config, tracking_uri=uri, model_name=config.model_name, set_champion=not args.no_champion,
                           training_set=ts, checked=checked)
    print_training_summary(result, config)
    if not args.no_champion and not result.champion:
        print(result.decision.table())
        print(
            f"propensity: not in service: {result.model_name} version {result.model_version} is registered but is not the "
            f"champion: {result.decision.rule}",
            file=sys.stderr,
        )
        return EXIT_NOT_IN_SERVICE
    return EXIT_OK


def cmd_score(args: argparse.Namespace) -> int:
    from propensity.io._atomic import check_table_path, write_table
    from propensity.lifecycle._tracking import (
        load_model,
    )
    from propensity.scoring._batch import rejects_path, score_leads

    _check_score_mode(args)
    out = check_table_path(args.out)
    rejects_out = rejects_path(out)
    as_of = _as_of(args.as_of)
    if args.chunk_size < 1:
        raise UsageError(f"--chunk-size must be at least 1, got {args.chunk_size}")
    if getattr(args, "engine", "local") == "spark":
        return cmd_score_spark(args)
    account_level = getattr(args, "level", "contact") == "account"
    if getattr(args, "points", False):
        return _score_points(args, out, as_of)
    if not getattr(args, "source", None) and args.data_dir is not None and not account_level and _format(args) == "scores":
        return _score_streamed(args, out, as_of)  # a folder: in chunks, bounded memory
    export = _read_scoring_export(args, as_of)
    open_store(args.tracking_uri)
    loaded = _history_model(load_model(args.model))
    from propensity.scoring._batch import default_as_of

    when = as_of or default_as_of(export)
    previous, trend = _previous(args, loaded, when)
    run = score_leads(export, loaded.model, model_version=loaded.version, as_of=when, chunk_size=args.chunk_size,
                      previous=previous, trend=trend)
    if account_level:
        return _write_accounts(args, export, loaded, run, out, rejects_out)
    write_table(run.rejects, rejects_out)  # always written, so a stale rejects file never outlives its scores
    _write_scores(args, run.scores, out, run.as_of)
    grades = run.scores["grade"].value_counts().sort("grade")
    mix = ", ".join(f"{g}={n:,}" for g, n in grades.iter_rows())
    print(
        f"scored {run.scored:,} of {run.open_leads:,} open leads ({run.rejected:,} rejected -> {rejects_out}) "
        f"among {run.read:,} contacts as of {run.as_of:%Y-%m-%d %H:%M} "
        f"with model {loaded.uri} (version {loaded.version}): {mix} -> {out}"
    )
    _monitor(args, export, loaded, run, out)
    return EXIT_OK


def _only_scoring_sections(path: str) -> bool:
    """Whether a config file sets nothing but [trend] and [writeback] (what a model's scoring may take)."""
    import tomllib

    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
    return set(data) <= {"trend", "writeback"}


def _format(args: argparse.Namespace) -> str:
    return getattr(args, "format", None) or "scores"


def _write_scores(args: argparse.Namespace, scores, out: Path, as_of: datetime) -> None:  # type: ignore[no-untyped-def]
    """The scores file, or with --format TOOL the CRM's write-back file (`propensity.scoring._writeback`)."""
    from propensity.io._atomic import write_table

    tool = _format(args)
    if tool == "scores":
        write_table(scores, out)
        return
    from propensity._config import load_config
    from propensity.scoring._writeback import writeback_frame

    config = load_config(getattr(args, "config", None))
    write_table(writeback_frame(scores, tool, config.writeback, as_of=as_of), out)


def _previous(args: argparse.Namespace, loaded, as_of: datetime):  # type: ignore[no-untyped-def]
    """(each lead's previous scoring in the history, the [trend] thresholds of --config) for trend and moved_by."""
    from propensity._config import load_config
    from propensity.lifecycle._score_history import model_name_of, previous_scores

    previous = previous_scores(_history_path(args), model_name_of(loaded.uri), as_of)
    return previous, load_config(getattr(args, "config", None)).trend


def _check_score_mode(args: argparse.Namespace) -> None:
    """--model or --points (not both); --points and --level account need the local engine and a CRM export."""
    points, model = getattr(args, "points", False), getattr(args, "model", None)
    level = getattr(args, "level", "contact")
    tool = _format(args)
    if tool != "scores":
        if Path(args.out).suffix.lower() != ".csv":
            raise UsageError(f"--format {tool} writes a CSV file to import: --out must end in .csv, got {args.out}")
        for option, used in (("--level account", level == "account"), ("--engine spark", getattr(args, "engine", "local") == "spark"),
                             ("--table", bool(getattr(args, "table", None)))):
            if used:
                raise UsageError(f"--format {tool} writes one row per lead from a CRM export: drop {option}")
    if points and model:
        raise UsageError("give --model URI or --points, not both")
    if not points and not model:
        raise UsageError("give --model URI (a registered model), or --points to rank the leads by the hand-tuned points table")
    if getattr(args, "config", None) and not points and not _only_scoring_sections(args.config):
        raise UsageError("--config only applies with --points (a model carries its own label definition)")
    for option, used in (("--points", points), ("--level account", level == "account")):
        if not used:
            continue
        if getattr(args, "table", None):
            raise UsageError(f"{option} scores a CRM export (DATA_DIR or --source), not a flat lead table (--table)")
        if getattr(args, "engine", "local") == "spark":
            raise UsageError(f"{option} runs on the local engine: drop --engine spark")
    if points and level == "account":
        raise UsageError("--level account adds up the model's probabilities: it needs --model (points are not probabilities)")


def _read_scoring_export(args: argparse.Namespace, as_of: datetime | None):  # type: ignore[no-untyped-def]
    """The export to score in memory (created_at may be blank), checked against --as-of, summarised."""
    export = _read_history(args, created_at_required=False)
    first = export.contacts["created_at"].min()
    if as_of is not None and isinstance(first, datetime) and as_of < first:
        raise UsageError(
            f"--as-of {as_of:%Y-%m-%d %H:%M} is before the first contact was created ({first:%Y-%m-%d %H:%M}): no lead to score"
        )
    print(read_line(export))
    return export


def _write_accounts(args: argparse.Namespace, export, loaded, run, out: Path, rejects_out: Path) -> int:  # type: ignore[no-untyped-def]
    """--level account: one row per account (a lead without an account is a row of its own), best first."""
    from propensity.io._atomic import write_table
    from propensity.scoring._account_view import account_scores, committee_days_of

    accounts = account_scores(
        run.scores, export, as_of=run.as_of, metadata=loaded.model.metadata, model_version=loaded.version,
        committee_days=committee_days_of(loaded.model.spec),
    )
    write_table(run.rejects, rejects_out)  # contact-level: the open leads that could not be scored
    write_table(accounts, out)
    lone = int(accounts["account_id"].null_count())
    mix = ", ".join(f"{g}={n:,}" for g, n in accounts["grade"].value_counts().sort("grade").iter_rows())
    print(
        f"ranked {accounts.height - lone:,} accounts and {lone:,} leads without an account from {run.scored:,} scored of "
        f"{run.open_leads:,} open leads ({run.rejected:,} rejected -> {rejects_out}) among {run.read:,} contacts as of "
        f"{run.as_of:%Y-%m-%d %H:%M} with model {loaded.uri} (version {loaded.version}): {mix} -> {out}"
    )
    _monitor(args, export, loaded, run, out)  # the leads' scores go to the history, as at the contact level
    return EXIT_OK


def _score_points(args: argparse.Namespace, out: Path, as_of: datetime | None) -> int:
    """--points: rank every open lead by the hand-tuned points table (no model; `score` left empty)."""
    from propensity.io._atomic import write_table
    from propensity.scoring._batch import rejects_path
    from propensity.scoring._points import score_by_points

    config = _config(args)
    export = _read_scoring_export(args, as_of)
    run = score_by_points(export, config.points, config.label, as_of=as_of, grades=config.grades)
    write_table(run.rejects, rejects_path(out))
    _write_scores(args, run.scores, out, run.as_of)
    mix = ", ".join(f"{g}={n:,}" for g, n in run.scores["grade"].value_counts().sort("grade").iter_rows())
    print(
        f"ranked {run.scored:,} of {run.open_leads:,} open leads by the hand-tuned points table, no model "
        f"(model_version 'points', score empty; grades relative to these leads) ({run.rejected:,} rejected -> "
        f"{rejects_path(out)}) among {run.read:,} contacts as of {run.as_of:%Y-%m-%d %H:%M}: {mix} -> {out}"
    )
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from propensity.lifecycle._tracking import (
        load_model,
    )
    from propensity.reports._text import print_drivers

    if args.contact is not None and args.data_dir is None:
        raise UsageError("--contact needs DATA_DIR, the export the lead is in: propensity explain DATA_DIR --model URI --contact ID")
    if args.data_dir is not None and args.contact is None:
        raise UsageError(f"DATA_DIR {args.data_dir} is read only to explain one lead: add --contact ID, or drop DATA_DIR for the model's drivers")
    if args.contact is None:
        open_store(args.tracking_uri)
        print_drivers(load_model(args.model), args.png)
        return EXIT_OK
    from propensity.io._sources import read_export
    from propensity.scoring._explain import explain_contact, print_contact

    as_of = _as_of(args.as_of)
    export = read_export(args.data_dir, created_at_required=False)
    open_store(args.tracking_uri)
    loaded = load_model(args.model)
    print_contact(explain_contact(export, loaded.model, args.contact, as_of=as_of, model_version=loaded.version))
    _print_score_history(args, loaded, str(args.contact).strip())
    if args.png:
        print_drivers(loaded, args.png)
    return EXIT_OK


def _print_score_history(args: argparse.Namespace, loaded, contact_id: str) -> None:  # type: ignore[no-untyped-def]
    """The lead's scores over the score history (when there is one), oldest first, with the trend at each."""
    from propensity.lifecycle._score_history import contact_scores, model_name_of
    from propensity.reports._terminal import print_table

    history = _history_path(args)
    if not history.is_file():
        print(f"score history: none yet at {history}")
        return
    rows = contact_scores(history, contact_id, model_name_of(loaded.uri))
    if rows.is_empty():
        print(f"score history: contact {contact_id} was never scored in {history}")
        return
    table, last = [], None
    for r in rows.iter_rows(named=True):
        change = "" if last is None else f"{100 * (r['score'] - last):+.1f}"
        table.append([f"{r['as_of']:%Y-%m-%d %H:%M}", r["model_version"], f"{100 * r['score']:.1f}%", r["grade"], change])
        last = r["score"]
    print_table(["as of", "version", "score", "grade", "change (points)"], table, title=f"score history ({history})", numeric=(2, 4))


def cmd_demo(args: argparse.Namespace) -> int:
    from propensity.synthetic._demo import run_demo

    run_demo(Path(args.workdir), n_contacts=args.contacts, seed=args.seed)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from propensity.reports._collect import collect_report
    from propensity.reports._html import check_report_path, write_report

    out = check_report_path(args.out)
    open_store(args.tracking_uri)
    report = collect_report(args.model, scores=args.scores)
    write_report(report, out)
    drift = f"; score drift PSI {report.drift.psi:.3f} ({report.drift.status})" if report.drift else ""
    print(f"report on {args.model} (version {report.model_version}, run {report.run_id}){drift} -> {out}")
    return EXIT_OK


def _history_path(args: argparse.Namespace) -> Path:
    import os

    from propensity.lifecycle._score_history import default_history_path

    if getattr(args, "history", None):
        return Path(args.history)
    return default_history_path(getattr(args, "tracking_uri", None) or os.environ.get("MLFLOW_TRACKING_URI"))


def _monitor(args: argparse.Namespace, export, loaded, run, out: Path, drift=None, recorded=None) -> None:  # type: ignore[no-untyped-def]
    """The score history and drift after a run (`propensity.lifecycle._monitor`), printed as one line."""
    from propensity.lifecycle._monitor import monitor_scoring
    from propensity.lifecycle._tracking import resolve_tracking_uri

    history = recorded[1] if recorded is not None else _history_path(args)
    print(monitor_scoring(export, loaded, run, out, history=history, tracking_uri=resolve_tracking_uri(args.tracking_uri),
                          drift=drift, recorded=recorded))


def _on_store(args: argparse.Namespace, run):  # type: ignore[no-untyped-def]
    """`run(uri)` against the store the options name, a refusing or absent server failing first, in one line."""
    from propensity.lifecycle._tracking import (
        check_server,
        resolve_tracking_uri,
        tracking_errors,
    )

    uri = resolve_tracking_uri(args.tracking_uri)
    check_server(uri)
    with tracking_errors(uri):
        return run(uri)


def cmd_retrain(args: argparse.Namespace) -> int:
    from propensity.lifecycle._retrain import retrain

    config = _config(args)
    if args.chunk_size < 1:
        raise UsageError(f"--chunk-size must be at least 1, got {args.chunk_size}")
    outcome = _on_store(args, lambda uri: retrain(args.data_dir, config, tracking_uri=uri, chunk_size=args.chunk_size))
    print(outcome.report())
    return outcome.exit_code


def cmd_rollback(args: argparse.Namespace) -> int:
    from propensity.lifecycle._retrain import rollback

    config = _config(args)
    outcome = _on_store(args, lambda uri: rollback(tracking_uri=uri, model_name=config.model_name, experiment=config.experiment))
    print(outcome.report())
    return EXIT_OK


def cmd_surges(args: argparse.Namespace) -> int:
    from propensity.io._atomic import check_table_path, write_table
    from propensity.lifecycle._score_history import surges
    from propensity.reports._text import format_table

    out = check_table_path(args.out) if args.out else None
    history = _history_path(args)
    found = surges(history, model_name=args.model_name, as_of=_as_of(args.as_of), min_grades=args.min_grades,
                   min_percentile=args.min_percentile, grade_at_least=args.grade)
    if found.is_empty():
        print(f"no surges in {history}: no lead now graded {args.grade} or better rose by {args.min_grades}+ grade or "
              f"{args.min_percentile}+ percentile points since its previous scoring")
    else:
        first = found.row(0, named=True)
        print(f"{found.height:,} leads surged between their previous scoring and {first['as_of']:%Y-%m-%d %H:%M}:")
        rows = [
            [r["contact_id"], r["account_id"] or "", f"{r['grade_before']} -> {r['grade']}",
             f"{r['score_before']:.3f} -> {r['score']:.3f}", r["new_reasons"] or "(same reasons, stronger)"]
            for r in found.head(args.top).iter_rows(named=True)
        ]
        print(format_table(["contact", "account", "grade", "score", "new reasons"], rows))
    if out is not None:
        write_table(found, out)
        print(f"-> {out}")
    return EXIT_OK


def cmd_conversion(args: argparse.Namespace) -> int:
    from propensity.io._atomic import check_table_path, write_table
    from propensity.io._sources import read_export
    from propensity.lifecycle._score_history import realised_conversion
    from propensity.reports._text import format_table

    out = check_table_path(args.out) if args.out else None
    history = _history_path(args)
    export = read_export(args.data_dir, require_outcomes=True)
    report = realised_conversion(history, export, model_name=args.model_name)
    print(f"realised conversion by grade of leads scored at as-ofs whose horizon has passed by {report.data_end:%Y-%m-%d} "
          f"({report.judged.height} scoring runs):")
    rows = [
        [r["model_version"], r["grade"], r["runs"], r["leads"], r["converted"], f"{100 * r['conversion_rate']:.2f}%",
         f"{100 * r['mean_score']:.2f}%"]
        for r in report.table.iter_rows(named=True)
    ]
    print(format_table(["version", "grade", "runs", "leads", "converted", "converted %", "predicted %"], rows))
    for r in report.pending.iter_rows(named=True):
        print(f"not judged yet: as-of {r['as_of']:%Y-%m-%d} (version {r['model_version']}), horizon passes {r['matures_on']:%Y-%m-%d}")
    if out is not None:
        write_table(report.table, out)
        print(f"-> {out}")
    return EXIT_OK


def _read_history(args: argparse.Namespace, **kwargs):  # type: ignore[no-untyped-def]
    """The CRM export in DATA_DIR, or in the database at --source (tables mapped by --tables)."""
    if getattr(args, "source", None):
        if args.data_dir is not None:
            raise UsageError(f"give DATA_DIR or --source, not both (got {args.data_dir} and --source)")
        from propensity.io._db import read_database

        return read_database(args.source, tables=args.tables, **kwargs)
    if args.data_dir is None:
        raise UsageError("give DATA_DIR (a folder of CRM tables), --source URL (a database) or --table FILE (one row per lead)")
    from propensity.io._sources import read_export

    return read_export(args.data_dir, **kwargs)


def _flat_only(args: argparse.Namespace, command: str) -> None:
    """--table excludes DATA_DIR and --source; the flat-only options need --table."""
    if args.table is None:
        used = [f"--{n.replace('_', '-')}" for n in ("target", "id", "date_column", "dictionary") if getattr(args, n, None)]
        used += [f"--{n}" for n in ("compare", "keep", "exclude", "missing") if getattr(args, n, None)]
        if used:
            raise UsageError(f"{', '.join(used)} only apply to a flat lead table: add --table FILE")
        return
    if args.data_dir is not None or args.source:
        raise UsageError(f"{command} --table FILE reads one table: drop DATA_DIR and --source")


def _read_table(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from propensity.flat._table import DEFAULT_PLACEHOLDERS, read_flat

    return read_flat(args.table, placeholders=DEFAULT_PLACEHOLDERS + tuple(args.missing or ()))


def cmd_train_table(args: argparse.Namespace) -> int:
    """propensity train --table FILE --target COLUMN --id COLUMN: a one-row-per-lead model."""
    _flat_only(args, "train")
    if args.table is None:
        return cmd_train(args)
    if not args.target or not args.id:
        raise UsageError("train --table needs --target COLUMN (the converted flag) and --id COLUMN (the lead id)")
    from propensity.flat._train import FLAT_MODEL_NAME, format_flat_summary, train_flat
    from propensity.leakage._dictionary import (
        find_dictionary,
        match_columns,
        read_dictionary,
    )
    from propensity.lifecycle._tracking import (
        check_server,
        resolve_tracking_uri,
        tracking_errors,
    )

    if not 0.5 < args.suspicious_auc <= 1.0:
        raise UsageError(f"--suspicious-auc must be above 0.5 and at most 1, got {args.suspicious_auc}")
    config = _config(args)
    table = _read_table(args)
    dictionary_file = args.dictionary or find_dictionary(args.table)
    descriptions = match_columns(read_dictionary(dictionary_file), table.frame.columns) if dictionary_file else {}
    print(f"read {table.describe()}")
    if table.placeholder_counts:
        print("read as missing: " + ", ".join(f"{n:,} placeholder values in {c}" for c, n in table.placeholder_counts.items()))
    if dictionary_file:
        print(f"data dictionary: {Path(dictionary_file).name} ({len(descriptions)} of {table.frame.width} columns described)")
    uri = resolve_tracking_uri(args.tracking_uri)
    check_server(uri)
    with tracking_errors(uri):
        result = train_flat(
            table,
            target=args.target,
            id_column=args.id,
            config=config,
            compare=args.compare or (),
            keep=args.keep or (),
            exclude=args.exclude or (),
            date_column=args.date_column,
            dictionary=descriptions,
            folds=args.folds,
            tracking_uri=uri,
            model_name=args.model_name or FLAT_MODEL_NAME,
            set_champion=not args.no_champion,
            suspicious_auc=args.suspicious_auc,
        )
    print(format_flat_summary(result))
    return EXIT_OK


def cmd_score_table(args: argparse.Namespace) -> int:
    """propensity score --table FILE --model URI --out FILE: score every open lead of a flat table."""
    _flat_only(args, "score")
    _check_score_mode(args)
    if args.table is None:
        return cmd_score(args)
    from propensity.flat._score import is_flat_model, score_table
    from propensity.io._atomic import check_table_path, write_table
    from propensity.lifecycle._tracking import (
        load_model,
    )

    out = check_table_path(args.out)
    table = _read_table(args)
    open_store(args.tracking_uri)
    loaded = load_model(args.model)
    if not is_flat_model(loaded.model):
        raise UsageError(f"model {args.model} was trained on a CRM export (contacts and events): score it with DATA_DIR or --source, not --table")
    run = score_table(table, loaded.model, model_version=loaded.version, chunk_size=args.chunk_size)
    write_table(run.scores, out)
    mix = ", ".join(f"{g}={n:,}" for g, n in run.scores["grade"].value_counts().sort("grade").iter_rows())
    skipped = f" ({run.converted:,} already converted left out)" if run.converted else ""
    print(f"scored {run.scores.height:,} open leads of {run.read:,} rows in {table.name}{skipped} with model {loaded.uri} (version {loaded.version}): {mix} -> {out}")
    return EXIT_OK


def _history_model(loaded: LoadedModel) -> LoadedModel:
    """The loaded model, or a usage error when it was trained on a flat lead table (before any data is read)."""
    from propensity.flat._model import FlatModel

    if isinstance(loaded.model, FlatModel):
        raise UsageError("this model was trained on a flat lead table: score it with --table FILE")
    return loaded


def _score_streamed(args: argparse.Namespace, out: Path, as_of: datetime | None) -> int:
    """Score a folder in chunks of contacts: bounded memory, output written as it goes."""
    from propensity.lifecycle._score_history import history_run, model_name_of
    from propensity.lifecycle._tracking import (
        load_model,
    )
    from propensity.scoring._batch import rejects_path
    from propensity.scoring._stream import DriftSample, prepare_folder

    with prepare_folder(args.data_dir, chunk_size=args.chunk_size, as_of=as_of) as prepared:
        print(read_line(prepared.export))
        open_store(args.tracking_uri)
        loaded = _history_model(load_model(args.model))
        previous, trend = _previous(args, loaded, prepared.resolved_as_of())
        drift = DriftSample(loaded.model)
        label = loaded.model.metadata["label"]
        history = _history_path(args)
        # each chunk's scores go to the history as they come (one transaction, committed only when
        # every chunk was scored and the output written): memory stays bounded by the chunk size
        with history_run(history, as_of=prepared.resolved_as_of(), model_name=model_name_of(loaded.uri),
                         model_version=loaded.version, model_uri=loaded.uri, positive_outcomes=label["positive_outcomes"],
                         horizon_days=label["horizon_days"]) as recorded:

            def on_chunk(scores, export, when):  # type: ignore[no-untyped-def]
                drift.add(scores, export, when)
                recorded.add(scores)

            run = prepared.score(loaded.model, out, model_version=loaded.version, on_chunk=on_chunk, previous=previous, trend=trend)
    mix = ", ".join(f"{g}={n:,}" for g, n in (run.grade_counts or {}).items())
    print(
        f"scored {run.scored:,} of {run.open_leads:,} open leads ({run.rejected:,} rejected -> {rejects_path(out)}) "
        f"among {run.read:,} contacts as of {run.as_of:%Y-%m-%d %H:%M} "
        f"with model {loaded.uri} (version {loaded.version}): {mix} -> {out}"
    )
    _monitor(args, None, loaded, run, out, drift=drift, recorded=(recorded.rows, history))
    return EXIT_OK


def cmd_score_spark(args: argparse.Namespace) -> int:
    """propensity score DATA_DIR --engine spark: features and scores on Apache Spark, Parquet out; the
    trend against the score history, and the run appended to it (one transaction), as the local path."""
    from propensity.engines._spark import (
        check_spark_output,
        score_with_spark,
        spark_as_of,
        spark_session,
    )
    from propensity.engines._spark_read import spark_table_paths
    from propensity.lifecycle._score_history import history_run, model_name_of
    from propensity.lifecycle._tracking import (
        load_model,
    )

    if getattr(args, "source", None) or args.data_dir is None:
        raise UsageError("--engine spark reads a folder of Parquet (or Delta) tables: give DATA_DIR")
    check_spark_output(args.out)
    spark_table_paths(args.data_dir)  # refuse a CSV export before starting Spark
    open_store(args.tracking_uri)
    loaded = _history_model(load_model(args.model))
    spark = spark_session()
    when = spark_as_of(spark, args.data_dir, _as_of(args.as_of))
    previous, trend = _previous(args, loaded, when)
    label, history = loaded.model.metadata["label"], _history_path(args)
    with history_run(history, as_of=when, model_name=model_name_of(loaded.uri), model_version=loaded.version, model_uri=loaded.uri,
                     positive_outcomes=label["positive_outcomes"], horizon_days=label["horizon_days"]) as recorded:
        summary = score_with_spark(args.data_dir, loaded.model, args.out, model_version=loaded.version, as_of=when, spark=spark,
                                   previous=previous, trend=trend, on_scores=recorded.add)
    print(f"{summary} with model {loaded.uri} (version {loaded.version}) on Spark -> {args.out}")
    print(f"history: {recorded.rows:,} scores -> {history}; drift not checked on Spark")
    return EXIT_OK


# ------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="propensity",
        description="Learned, calibrated and explained lead buy-propensity from your CRM history.",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")
    p.add_argument("--version", action="version", version=f"propensity {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    g = sub.add_parser("generate", help="write a realistic synthetic CRM export (and its oracle)")
    g.add_argument("dir", help="folder to write the export into")
    g.add_argument("--contacts", type=int, default=20_000, help="number of contacts (default 20000)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="table format (default parquet)")
    g.add_argument("--force", action="store_true", help="overwrite an existing export in DIR")
    g.set_defaults(func=cmd_generate)

    def tracking(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--tracking-uri",
            help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///./models/mlflow.db)",
        )

    t = sub.add_parser("train", help="train, track and register a propensity model")
    t.add_argument("data_dir", nargs="?", help="folder with the CRM export (contacts, accounts, events, outcomes); or use --source / --table")
    t.add_argument("--config", help="training config TOML (see training/default.toml)")
    t.add_argument("--features", help="feature-set TOML (see features/default.toml)")
    t.add_argument("--model-name", help="registered model name (default lead-propensity)")
    t.add_argument("--no-champion", action="store_true", help="register without moving the 'champion' alias")
    t.add_argument("--engine", choices=("local", "spark"), default="local", help="local (default), or spark: read, validate, label and build the training set on Spark from Parquet "
                   "(or Delta) tables; only the (downsampled) training matrix comes to this process to fit (pip install propensity[spark])")
    t.add_argument("--chunk-size", type=int, default=100_000, help="contacts per chunk when the training set is built from a folder (bounds memory; default 100000)")
    tracking(t)
    t.set_defaults(func=cmd_train)

    s = sub.add_parser(
        "score",
        help="score every open lead with a registered model (or, with --points, the hand-tuned points table)",
        epilog="--points (no model yet, e.g. training was refused for too little data): the same columns, "
        "model_version 'points', score left empty (points are not a probability), score_100 = the points "
        "clipped to 1-100, grade and percentile relative to the run's own open leads, reasons = the rules "
        "that gave the most points. --level account: one row per account, score = P(at least one of its "
        "open leads converts) = 1 - prod(1 - p), with open_leads, engaged_contacts, engaged_seniority, "
        "engaged_departments and top_contact_id; a lead without an account is a row of its own with "
        "account_id empty; read in memory, not streamed.",
    )
    s.add_argument("data_dir", nargs="?", help="folder with the CRM export; or use --source / --table")
    s.add_argument("--model", help="model URI, e.g. models:/lead-propensity@champion (or --points)")
    s.add_argument(
        "--points", action="store_true",
        help="no model: rank the open leads by the hand-tuned points table ([points] of the training config), labelled model_version 'points'",
    )
    s.add_argument("--config", help="with --points: training config TOML whose [label] and [points] are used; with --format: its [writeback] (see training/default.toml)")
    s.add_argument(
        "--level", choices=("contact", "account"), default="contact",
        help="contact: one row per open lead (default); account: one row per account, ranked by the chance that at least one of its leads converts",
    )
    s.add_argument("--out", required=True, help="output file, .csv or .parquet")
    s.add_argument("--as-of", help="score as of this date or timestamp (default: the latest event)")
    s.add_argument("--chunk-size", type=int, default=100_000, help="contacts per scoring chunk (bounds memory; default 100000)")
    s.add_argument("--engine", choices=("local", "spark"), default="local", help="local (default), or spark: read Parquet (or Delta) tables and score on Spark into a Parquet dataset "
                   "(--out must end in .parquet; pip install propensity[spark])")
    s.add_argument("--history", help="score history file (default: score_history.db beside the MLflow SQLite store)")
    s.add_argument(
        "--format", choices=("scores", "salesforce", "hubspot", "dynamics"), default="scores",
        help="scores: the scores file (default); salesforce, hubspot, dynamics: --out is a CSV that tool imports (external id, "
        "score, grade, trend, top reasons within its limits, and for salesforce and hubspot the fit and engagement views; "
        "column names from [writeback] of --config); read in memory",
    )
    tracking(s)
    s.set_defaults(func=cmd_score)

    e = sub.add_parser("explain", help="what drives a model's score, by business field; or one lead's score with --contact")
    e.add_argument("data_dir", nargs="?", help="folder with the CRM export (only with --contact)")
    e.add_argument("--model", required=True, help="model URI, e.g. models:/lead-propensity@champion")
    e.add_argument("--contact", help="explain this contact_id: score, grade, contributions by business field, recent history")
    e.add_argument("--as-of", help="with --contact: explain as of this date or timestamp (default: the latest event)")
    e.add_argument("--png", help="also write the drivers chart to this PNG file")
    e.add_argument("--history", help="with --contact: score history file whose scores of the lead are shown (default: score_history.db beside the MLflow SQLite store)")
    tracking(e)
    e.set_defaults(func=cmd_explain)

    r = sub.add_parser("report", help="write the sales-ops HTML report of a model (self-contained, opens offline)")
    r.add_argument("--model", required=True, help="model URI, e.g. models:/lead-propensity@champion")
    r.add_argument("--scores", help="a `propensity score` output (.csv or .parquet): adds its grade mix and drift")
    r.add_argument("--out", default="reports/report.html", help="HTML file to write (default reports/report.html)")
    tracking(r)
    r.set_defaults(func=cmd_report)

    c = sub.add_parser(
        "check",
        help="is the export enough to train on, and what to change when it is not (exit 0 would train, 2 refused; nothing written)",
        epilog="prints the history span, the label against the outcome names the export holds, open leads and positives "
        "per matured monthly cutoff, the backtest folds, the event types and a verdict: 'check: ok', 'check: ok with "
        "warnings' or 'check: not enough: <what to change>'",
    )
    c.add_argument("data_dir", nargs="?", help="folder with the CRM export (contacts, accounts, events, outcomes); or use --source")
    c.add_argument("--config", help="training config TOML (see training/default.toml)")
    c.add_argument("--features", help="feature-set TOML (see features/default.toml)")
    c.add_argument("--source", metavar="URL", help="read the CRM tables from a database (as train --source)")
    c.add_argument("--tables", metavar="MAP", help="database table names, e.g. contacts=crm_contacts,events=crm_events")
    c.set_defaults(func=cmd_check)

    im = sub.add_parser(
        "import",
        help="read a Salesforce or HubSpot export (the vendor's own CSVs) into the CRM export contract",
        epilog="salesforce: Lead, Contact, Account, Task, Opportunity and OpportunityContactRole .csv (Event, Campaign and "
        "CampaignMember optional); hubspot: contacts, companies and deals .csv (email_events and web_events optional). Stages and "
        "activity types are mapped by the [salesforce] / [hubspot] sections of --config; CONTRACT.md lists every field. "
        "Writes contacts, accounts, events and outcomes plus import_summary.txt; names, emails and phones are never read.",
    )
    im.add_argument("vendor", choices=("salesforce", "hubspot"), help="whose export DIR holds")
    im.add_argument("dir", help="folder holding the vendor's CSV files")
    im.add_argument("--out", required=True, help="folder to write the contract's tables into")
    im.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="table format (default parquet)")
    im.add_argument("--config", help="config TOML with [salesforce] or [hubspot] mappings (see training/default.toml)")
    im.set_defaults(func=cmd_import)

    rt = sub.add_parser(
        "retrain",
        help="train a challenger and promote it only if it passes the gate (exit 0 promoted, 3 kept, 2 refused, 4 locked, 1 failed)",
        epilog="exit codes: 0 promoted (a new champion), 3 kept (the champion stays), 2 refused (bad or too little data, "
        "bad config; nothing changed), 4 locked (another retrain or rollback of this model is running), 1 failed",
    )
    rt.add_argument("data_dir", help="folder with the CRM export (contacts, accounts, events, outcomes)")
    rt.add_argument("--config", help="training config TOML with an optional [gate] section (see training/default.toml)")
    rt.add_argument("--features", help="feature-set TOML (see features/default.toml)")
    rt.add_argument("--model-name", help="registered model name (default lead-propensity)")
    rt.add_argument("--chunk-size", type=int, default=100_000, help="contacts per chunk: the events are read in batches, one chunk's in memory (default 100000)")
    tracking(rt)
    rt.set_defaults(func=cmd_retrain)

    rb = sub.add_parser("rollback", help="point 'champion' back to the version the current champion replaced")
    rb.add_argument("--model-name", help="registered model name (default lead-propensity)")
    rb.add_argument("--config", help="training config TOML (for model_name and experiment)")
    tracking(rb)
    rb.set_defaults(func=cmd_rollback)

    def history(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--history", help="score history file (default: score_history.db beside the MLflow SQLite store)")
        sp.add_argument("--model-name", help="model whose scores to read (needed when the history holds several)")
        sp.add_argument("--out", help="also write the full table to this .csv or .parquet file")
        tracking(sp)

    su = sub.add_parser("surges", help="leads whose grade or percentile jumped since their previous scoring, and why")
    su.add_argument("--as-of", help="the scoring to look at (default: the latest in the history)")
    su.add_argument("--grade", choices=("A", "B", "C", "D"), default="B", help="only leads now graded this or better (default B)")
    su.add_argument("--min-grades", type=int, default=1, help="grade rise that counts as a surge (default 1, e.g. C -> B)")
    su.add_argument("--min-percentile", type=int, default=20, help="percentile rise that counts as a surge (default 20)")
    su.add_argument("--top", type=int, default=20, help="rows to print (default 20)")
    history(su)
    su.set_defaults(func=cmd_surges)

    cv = sub.add_parser("conversion", help="realised conversion by grade and model version, once the horizon has passed")
    cv.add_argument("data_dir", help="folder with the CRM export holding the outcomes since the scorings")
    history(cv)
    cv.set_defaults(func=cmd_conversion)

    def source_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--source", metavar="URL", help="read the CRM tables from a database: duckdb:///crm.duckdb or any SQLAlchemy URL (postgresql://user@host/db)")
        sp.add_argument("--tables", metavar="MAP", help="database table names, e.g. contacts=crm_contacts,events=crm_events (default: contacts, accounts, events, outcomes)")
        sp.add_argument("--table", metavar="FILE", help="a flat lead table instead: one row per lead (CSV, any separator/encoding, or Parquet)")
        sp.add_argument("--missing", action="append", metavar="VALUE", help="another placeholder value read as missing in --table (repeatable; 'Select', 'N/A', ... always are)")

    source_options(t)
    t.add_argument("--target", metavar="COLUMN", help="with --table: the 0/1 (yes/no) converted column")
    t.add_argument("--id", metavar="COLUMN", help="with --table: the lead id column")
    t.add_argument("--compare", action="append", metavar="COLUMN", help="with --table: judge this column (a hand-tuned score, a rep's rating) beside the model on the same folds (repeatable)")
    t.add_argument("--keep", action="append", metavar="COLUMN", help="with --table: keep a column the leakage guard would exclude (repeatable)")
    t.add_argument("--exclude", action="append", metavar="COLUMN", help="with --table: leave a column out of the model (repeatable)")
    t.add_argument("--date-column", metavar="COLUMN", help="with --table: judge on the latest leads by this date instead of k-fold")
    t.add_argument("--dictionary", metavar="FILE", help="with --table: data dictionary (.xlsx, .csv, .md or .txt, numbered attribute lists too; default: a *dictionary*, *names*, *codebook* ... file beside the table)")
    t.add_argument("--suspicious-auc", type=float, default=0.95, metavar="AUC", help="with --table: a cross-validated ROC AUC at or above this is reported as too good to be true (default 0.95)")
    t.add_argument("--folds", type=int, default=5, help="with --table: cross-validation folds (default 5)")
    t.set_defaults(func=cmd_train_table)
    source_options(s)
    s.set_defaults(func=cmd_score_table)

    d = sub.add_parser("demo", help="generate, train, register, score and explain in one go")
    d.add_argument("--workdir", default=".", help="where data/, models/, scores/ and reports/ go (default .)")
    d.add_argument("--contacts", type=int, default=20_000, help="number of generated contacts")
    d.add_argument("--seed", type=int, default=0, help="random seed")
    d.set_defaults(func=cmd_demo)
    return p


def _setup_logging(quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("propensity: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    log.propagate = False
    for noisy in ("mlflow", "alembic", "urllib3", "py.warnings"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    import os

    # MLflow's own chatter (progress bars, INFO lines) is not for this CLI's users
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.quiet)
    import warnings

    warnings.filterwarnings("ignore", module="mlflow")
    try:
        return int(args.func(args))
    except PropensityError as exc:
        print(f"propensity: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("propensity: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
