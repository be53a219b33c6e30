"""A synthetic B2B CRM export with a known answer: the oracle buy-propensity of every open lead.

`generate_crm` writes the four tables of the CRM export contract (``contacts``, ``accounts``,
``events``, ``outcomes``) plus ``oracle.parquet`` and ``generator.json`` into a folder. The data
come from a hidden process, simulated day by day in UTC over ``months`` calendar months from
``start`` (the history ``[start, end)``; day ``k`` is ``[start + k days, start + k + 1 days)``):

* Accounts (companies) each have a hidden *fit* (industry, size and noise, mean 1 over companies)
  and a daily Markov chain over the states OUT, RESEARCH, EVAL and CUSTOMER (absorbing). Transition
  probabilities per day: OUT->RESEARCH ``fit / 250``, RESEARCH->EVAL ``1/60``, RESEARCH->OUT
  ``1/120``, EVAL->CUSTOMER ``1/40``, EVAL->OUT ``1/80`` (a research phase of about 40 days and an
  evaluation of about 27: slow enough that most opportunities of a 90-day horizon come from accounts
  already in market at the cutoff). The state on day 0 is drawn from the stationary law of the same
  chain with CUSTOMER sent back to OUT, so no account starts as a customer. For ``k >= 1`` the state
  of day ``k`` is one transition away from the state of day ``k - 1``.
* Each company account has a fixed buying committee of 2-6 contacts (fewer when it has fewer),
  drawn once, without replacement, only from its contacts created before ``start`` (so contacts
  created inside the history only ever get noise opportunities); senior people in marketing, sales,
  IT and data are more likely. Member ``i`` has a seniority weight ``w_i`` (1 for an individual
  contributor up to 5 for the C-level). Universities and competitors have no committee.
* While its account is in RESEARCH the committee engages together (web visits, downloads, webinars,
  opens, clicks); in EVAL pricing-page views, form fills and demo requests rise strongly.
* The day ``T`` an account moves EVAL->CUSTOMER, one committee member is drawn, with probability
  proportional to ``w_i``, among the members open at the start of day ``T`` (no opportunity on a day
  before ``T``); that member gets an ``opportunity`` on day ``T``. That draw comes first on day ``T``.
* Noise: every non-heavy-engager contact that is still open has, each day after the day it was
  created, an independent probability ``h0 = 1/100000`` of an ``opportunity`` (the account's buying
  process plays no part). A contact gets at most one opportunity.
* Heavy engagers never get an opportunity: about 4 % students (no account, or a university account)
  and about 2 % employees of competitors (in accounts of their own). They visit, download, attend
  webinars and even view the pricing page far more than ordinary leads.
* Competitors are visible in who they are, as in a real CRM: about 80 % of their accounts show the
  vendor's own industry, "Marketing Technology" (no buyer's account does; the others "Software"),
  70 % of their employees have a product, product-marketing or analyst title ("Product Manager",
  "Competitive Intelligence Analyst", ...; the others a title of their hidden level and department,
  as buyers do), and their lead source is organic: "organic_search" or "web" where the drawn source
  was inbound (a form at creation), "direct" or "organic_social" otherwise.
* Every account has an email domain of its own: the brand (``bluestone.com``), or, when an earlier
  account holds that, the brand with the name's next words (``bluestonelabs.com``), then a number.
* Other outcomes: ``mql`` at a contact's first form fill or demo request (anyone), ``sql`` after a
  committee member's first demo request on a day its account is in EVAL, ``closed_won`` 30 to 120
  days after about 30 % of opportunities. Outcomes dated at or after ``end`` are not written.

The oracle. For every month start ``t`` (00:00 UTC on the 1st) strictly inside ``(start, end)``, with
``k_t`` the day index of ``t``, and for every contact open at ``t`` (``created_at <= t`` and no
opportunity at or before ``t``), ``p_oracle`` is the exact probability under this process that the
contact has an ``opportunity`` in ``(t, t + horizon_days]``, conditional on what is hidden or known at
``t``: the account's state on day ``k_t - 1`` (the last day before ``t``), its fit, its committee and
weights, and which committee members are open at ``t``. With ``H = horizon_days``, ``f_d`` the
probability that the chain, started in that state, first enters CUSTOMER after exactly ``d`` daily
transitions (so ``sum_d f_d = (P^H)[state, CUSTOMER]`` for a state other than CUSTOMER, and 0 for an
account that is already a customer), ``O`` the committee members open at ``t`` and
``q_d = (1 - h0)^(d - 1)`` the probability that another open member is still open when the draw of
the ``d``-th window day happens (the ``B_j`` are independent):

    p_acct_i = sum_{d=1..H} f_d * E[ w_i / (w_i + sum_{j in O, j != i} w_j B_j) ],  B_j ~ Bernoulli(q_d)
    p_oracle = 1 - (1 - h0)^H * (1 - p_acct_i)

For non-members ``p_acct_i = 0``; heavy engagers have ``p_oracle = 0``. When no other member gets a
noise opportunity first (``q_d = 1``), ``p_acct_i`` is ``(P^H)[state, CUSTOMER] * w_i / sum_{j in O} w_j``.
The observed label of a cutoff whose horizon passes ``end`` is censored: the oracle is not.

Two optional arguments leave the default output unchanged:

* ``oracle_at``: extra oracle instants (midnight UTC dates strictly inside ``(start, end)``, e.g.
  ``["2025-03-27"]``), each computed exactly like a month start ``t`` above (the account state on
  the day before, the committee members open at that instant). A benchmark that cuts an export at a
  date other than a month start thus has the oracle at its cut. A date that is already a month-start
  cutoff adds nothing (one row per contact and cutoff).
* ``share_created_before_start`` (default 0.7): the share of contacts created before ``start``, the
  only ones a buying committee draws from. Lower it and more contacts are created inside the history
  (uniformly over its days): leads with only noise opportunities pile up, so the share of open leads
  that convert drifts down over the history.
Everything is drawn from one ``numpy.random.default_rng(seed)``, except the competitors' shown
industry, title and lead source, drawn from ``numpy.random.default_rng([seed, 1])`` after it (so
adding them changed no other value: buyers, students, events, outcomes and the oracle are what
generator version 1 gave; the unique domains changed only emails at once-shared domains). The same
arguments give the same files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from propensity._errors import UsageError
from propensity.io._atomic import atomic_path
from propensity.synthetic._vocabulary import (
    CSV_DATETIME_FORMAT,
    FORMATS,
    GENERATOR_VERSION,
    H0,
    P_CLOSED_WON,
    P_EVAL_CUSTOMER,
    P_EVAL_OUT,
    P_OUT_RESEARCH_PER_FIT,
    P_RESEARCH_EVAL,
    P_RESEARCH_OUT,
    SHARE_COMPETITORS,
    SHARE_CREATED_BEFORE_START,
    SHARE_STUDENTS,
    STATE_NAMES,
    TABLES,
)
from propensity.synthetic._world import Calendar, World, make_calendar, simulate

__all__ = ["GeneratedSummary", "generate_crm"]

@dataclass(frozen=True)
class GeneratedSummary:
    """What `generate_crm` wrote: counts, the history `[start, end)` in naive UTC, and the files."""

    out_dir: Path
    n_accounts: int
    n_contacts: int
    n_events: int
    n_outcomes: int
    start: datetime
    end: datetime
    files: list[Path]


def generate_crm(
    out_dir: str | Path,
    n_contacts: int = 20_000,
    seed: int = 0,
    *,
    fmt: str = "parquet",
    start: str = "2025-01-01",
    months: int = 18,
    horizon_days: int = 90,
    overwrite: bool = False,
    oracle_at: Sequence[str | date | datetime] = (),
    share_created_before_start: float = SHARE_CREATED_BEFORE_START,
) -> GeneratedSummary:
    """Simulate a B2B CRM export and write it, with its oracle, into `out_dir`.

    Writes `contacts`, `accounts`, `events` and `outcomes` as `<table>.parquet` (naive UTC
    `Datetime("us")`) or `<table>.csv` (timestamps like `2025-03-04T10:15:00Z`), `oracle.parquet`
    (contact_id, cutoff, p_oracle; see the module docstring) and `generator.json` (this summary and
    the parameters). Refuses a folder that already holds `contacts.*` unless `overwrite=True`, which
    also removes the other format's table files so the folder holds one export. `oracle_at` (extra
    oracle instants) and `share_created_before_start` are described in the module docstring.
    """
    folder = Path(out_dir)
    _check_int("n_contacts", n_contacts, 10, 5_000_000)
    _check_int("seed", seed, 0, None)
    _check_int("months", months, 1, 240)
    _check_int("horizon_days", horizon_days, 1, 3_650)
    if fmt not in FORMATS:
        raise UsageError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    start_date = _parse_start(start)
    n_contacts, seed, months, horizon_days = int(n_contacts), int(seed), int(months), int(horizon_days)
    extra_days = _oracle_days(oracle_at, make_calendar(start_date, months))
    _check_share(share_created_before_start)
    if not isinstance(overwrite, bool):
        raise UsageError(f"overwrite must be True or False, got {overwrite!r}")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"out_dir is not a folder: {str(folder)!r}")
    existing = sorted(folder.glob("contacts.*")) if folder.is_dir() else []
    if existing and not overwrite:
        raise UsageError(
            f"out_dir already holds an export ({existing[0].name!r} in {str(folder)!r}); "
            "pass overwrite=True to replace it"
        )

    world = simulate(
        n_contacts, seed, start_date, months, horizon_days,
        oracle_days=extra_days, share_created_before_start=float(share_created_before_start),
    )

    folder.mkdir(parents=True, exist_ok=True)
    if overwrite:
        for table in TABLES:
            for other in FORMATS:
                stale = folder / f"{table}.{other}"
                if other != fmt and stale.exists():
                    stale.unlink()
    frames = {
        "contacts": world.contacts,
        "accounts": world.accounts,
        "events": world.events,
        "outcomes": world.outcomes,
    }
    files = [folder / f"{table}.{fmt}" for table in TABLES]
    oracle_path = folder / "oracle.parquet"
    json_path = folder / "generator.json"
    # contacts.* last among the tables: a folder holding it holds a whole export.
    for table, path in sorted(zip(TABLES, files, strict=True), key=lambda pair: pair[0] == "contacts"):
        _write_frame(frames[table], path, fmt)
    _write_frame(world.oracle, oracle_path, "parquet")
    files += [oracle_path, json_path]
    summary = GeneratedSummary(
        out_dir=folder,
        n_accounts=world.accounts.height,
        n_contacts=world.contacts.height,
        n_events=world.events.height,
        n_outcomes=world.outcomes.height,
        start=world.calendar.start,
        end=world.calendar.end,
        files=files,
    )
    record = _generator_record(summary, world, seed=seed, fmt=fmt, months=months, horizon_days=horizon_days)
    if extra_days.size:  # recorded only when given: the default record is unchanged
        record["oracle"]["extra_cutoffs"] = _day_stamps(world.calendar, extra_days)  # type: ignore[index]
    if share_created_before_start != SHARE_CREATED_BEFORE_START:
        record["parameters"]["share_created_before_start"] = float(share_created_before_start)  # type: ignore[index]
    _write_atomic_text(json_path, json.dumps(record, indent=2) + "\n")
    return summary


# --------------------------------------------------------------------------------------------
# Arguments and files


def _check_int(name: str, value: object, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise UsageError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise UsageError(f"{name} must be {bound}, got {value!r}")


def _parse_start(start: object) -> date:
    if isinstance(start, datetime) or not isinstance(start, (str, date)):
        raise UsageError(f"start must be an ISO date string like '2025-01-01', got {start!r}")
    if isinstance(start, date):
        return start
    text = start.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"start must be an ISO date like '2025-01-01', got {start!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if moment.time() != datetime.min.time():
        raise UsageError(f"start must be a date (midnight UTC), got {start!r}")
    return moment.date()


def _oracle_days(oracle_at: Sequence[str | date | datetime], calendar: Calendar) -> np.ndarray:
    """Day indices of the extra oracle instants: midnight UTC dates strictly inside (start, end)."""
    if isinstance(oracle_at, (str, date)):
        raise UsageError(f"oracle_at must be a list of dates, got {oracle_at!r}")
    days = []
    for value in oracle_at:
        midnight = isinstance(value, datetime) and value.tzinfo is None and value.time() == datetime.min.time()
        try:
            day = _parse_start(value.date() if midnight else value)  # type: ignore[union-attr]
        except UsageError:
            raise UsageError(f"oracle_at must hold ISO dates (midnight UTC) like '2025-03-27', got {value!r}") from None
        k = (datetime(day.year, day.month, day.day) - calendar.start).days
        if not 0 < k < calendar.n_days:
            raise UsageError(
                f"oracle_at {day.isoformat()} is not strictly inside the history "
                f"({calendar.start:%Y-%m-%d} to {calendar.end:%Y-%m-%d})"
            )
        days.append(k)
    return np.array(sorted(set(days)), dtype=np.int64)


def _check_share(share: object) -> None:
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 <= share <= 1.0:
        raise UsageError(f"share_created_before_start must be a number from 0 to 1, got {share!r}")


def _day_stamps(calendar: Calendar, days: np.ndarray) -> list[str]:
    return [(calendar.start + timedelta(days=int(k))).isoformat() + "Z" for k in days]


def _write_frame(frame: pl.DataFrame, path: Path, fmt: str) -> None:
    """Whole or not at all (`atomic_path`): a killed run never leaves half a table."""
    with atomic_path(path) as temp:
        if fmt == "parquet":
            frame.write_parquet(temp)
        else:
            frame.write_csv(temp, datetime_format=CSV_DATETIME_FORMAT)


def _write_atomic_text(path: Path, text: str) -> None:
    with atomic_path(path) as temp:
        temp.write_text(text, encoding="utf-8")


def _generator_record(
    summary: GeneratedSummary, world: World, *, seed: int, fmt: str, months: int, horizon_days: int
) -> dict[str, object]:
    cutoffs = _day_stamps(world.calendar, world.calendar.cutoff_days)
    return {
        "generator": "propensity.synthetic._generate",
        "generator_version": GENERATOR_VERSION,
        "parameters": {
            "n_contacts": summary.n_contacts,
            "seed": seed,
            "fmt": fmt,
            "start": summary.start.date().isoformat(),
            "months": months,
            "horizon_days": horizon_days,
        },
        "summary": {
            "out_dir": str(summary.out_dir),
            "n_accounts": summary.n_accounts,
            "n_contacts": summary.n_contacts,
            "n_events": summary.n_events,
            "n_outcomes": summary.n_outcomes,
            "start": summary.start.isoformat() + "Z",
            "end": summary.end.isoformat() + "Z",
            "files": [path.name for path in summary.files],
        },
        "process": {
            "states": list(STATE_NAMES),
            "daily_transitions": {
                "OUT->RESEARCH": f"fit * {P_OUT_RESEARCH_PER_FIT}",
                "RESEARCH->EVAL": P_RESEARCH_EVAL,
                "RESEARCH->OUT": P_RESEARCH_OUT,
                "EVAL->CUSTOMER": P_EVAL_CUSTOMER,
                "EVAL->OUT": P_EVAL_OUT,
            },
            "noise_opportunity_daily_probability": H0,
            "seniority_weights": {"IC": 1.0, "manager": 2.0, "director": 3.0, "VP": 4.0, "C-level": 5.0},
            "share_students": SHARE_STUDENTS,
            "share_competitors": SHARE_COMPETITORS,
            "closed_won_share": P_CLOSED_WON,
        },
        "oracle": {
            "file": "oracle.parquet",
            "outcome": "opportunity",
            "horizon_days": horizon_days,
            "cutoffs": cutoffs,
            "rows": world.oracle.height,
        },
    }

