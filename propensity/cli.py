"""The `propensity` command: a thin layer over the library.

Errors a user can cause are caught once, here, printed as one line, and exit with code 2.
Heavy libraries (MLflow, LightGBM) are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from propensity._errors import PropensityError, UsageError

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_USER_ERROR", "EXIT_FAILED"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USER_ERROR = 2

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
    from propensity._generate import generate_crm

    s = generate_crm(args.dir, n_contacts=args.contacts, seed=args.seed, fmt=args.format, overwrite=args.force)
    print(
        f"wrote {s.out_dir}: {s.n_accounts:,} accounts, {s.n_contacts:,} contacts, {s.n_events:,} events, "
        f"{s.n_outcomes:,} outcomes ({s.start:%Y-%m-%d} to {s.end:%Y-%m-%d}); oracle in {Path(s.out_dir) / 'oracle.parquet'}"
    )
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from propensity._report_text import print_training_summary
    from propensity._sources import read_export
    from propensity._tracking import resolve_tracking_uri
    from propensity._train import train

    config = _config(args)
    export = read_export(args.data_dir, require_outcomes=True)
    uri = resolve_tracking_uri(args.tracking_uri)
    result = train(export, config, tracking_uri=uri, model_name=config.model_name, set_champion=not args.no_champion)
    print_training_summary(result, config)
    return EXIT_OK


def cmd_score(args: argparse.Namespace) -> int:
    from propensity._atomic import check_table_path, write_table
    from propensity._scoring import score_leads
    from propensity._sources import read_export
    from propensity._tracking import load_model, point_at, resolve_tracking_uri

    out = check_table_path(args.out)
    as_of = _as_of(args.as_of)
    export = read_export(args.data_dir)
    point_at(resolve_tracking_uri(args.tracking_uri))
    loaded = load_model(args.model)
    run = score_leads(export, loaded.model, model_version=loaded.version, as_of=as_of, chunk_size=args.chunk_size)
    write_table(run.scores, out)
    grades = run.scores["grade"].value_counts().sort("grade")
    mix = ", ".join(f"{g}={n:,}" for g, n in grades.iter_rows())
    print(
        f"scored {run.scores.height:,} open leads of {run.read:,} contacts as of {run.as_of:%Y-%m-%d %H:%M} "
        f"with model {loaded.uri} (version {loaded.version}): {mix} -> {out}"
    )
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from propensity._report_text import print_drivers
    from propensity._tracking import load_model, point_at, resolve_tracking_uri

    point_at(resolve_tracking_uri(args.tracking_uri))
    loaded = load_model(args.model)
    print_drivers(loaded, args.png)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from propensity._demo import run_demo

    run_demo(Path(args.workdir), n_contacts=args.contacts, seed=args.seed)
    return EXIT_OK


# ------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="propensity",
        description="Learned, calibrated and explained lead buy-propensity from your CRM history.",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")
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
    t.add_argument("data_dir", help="folder with the CRM export (contacts, accounts, events, outcomes)")
    t.add_argument("--config", help="training config TOML (see training/default.toml)")
    t.add_argument("--features", help="feature-set TOML (see features/default.toml)")
    t.add_argument("--model-name", help="registered model name (default lead-propensity)")
    t.add_argument("--no-champion", action="store_true", help="register without moving the 'champion' alias")
    tracking(t)
    t.set_defaults(func=cmd_train)

    s = sub.add_parser("score", help="score every open lead with a registered model")
    s.add_argument("data_dir", help="folder with the CRM export")
    s.add_argument("--model", required=True, help="model URI, e.g. models:/lead-propensity@champion")
    s.add_argument("--out", required=True, help="output file, .csv or .parquet")
    s.add_argument("--as-of", help="score as of this date or timestamp (default: the latest event)")
    s.add_argument("--chunk-size", type=int, default=100_000, help="leads per scoring chunk")
    tracking(s)
    s.set_defaults(func=cmd_score)

    e = sub.add_parser("explain", help="what drives a model's score, by business field")
    e.add_argument("--model", required=True, help="model URI, e.g. models:/lead-propensity@champion")
    e.add_argument("--png", help="also write the drivers chart to this PNG file")
    tracking(e)
    e.set_defaults(func=cmd_explain)

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
