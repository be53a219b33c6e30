"""`propensity import hubspot DIR`: HubSpot exports (contacts, companies, deals with their contact
associations, email and web events) read into the export contract.

- People: every contact (``hs_object_id`` / "Record ID"), with its primary company
  (``associatedcompanyid``), ``jobtitle`` and original source (``hs_analytics_source``).
- Accounts: every company.
- Events: email events (``type``: OPEN, CLICK, STATUSCHANGE, ...) and web events (``eventType``, the page
  URL), typed by ``[hubspot] url_patterns`` then ``event_types``.
- Outcomes: lifecycle-stage dates (``hs_lifecyclestage_<stage>_date``) named in
  ``[hubspot] lifecycle_outcomes``, and deals of the contacts they are associated with: ``opportunity`` at
  ``createdate`` and, in a won stage, ``closed_won`` at ``closedate``. The same outcome at the same time
  from both is kept once.

Headers match the API name or the export's label ("Record ID", "Create Date"), ignoring case and
spaces. CONTRACT.md lists the mapping field by field. Names, emails and phones are never read.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from propensity._config import HubspotConfig
from propensity._errors import UsageError
from propensity.io._import_common import (
    ImportResult,
    ObjectFile,
    deal_outcomes,
    first_match,
    map_values,
    read_object,
    stage_groups,
    timestamps,
)
from propensity.io._spelling import spelling_key

__all__ = ["import_hubspot"]

_ID = ("hs_object_id", "Record ID")
_COMPANIES = ObjectFile(
    "companies.csv",
    {
        "id": _ID, "industry": ("industry", "Industry"), "employees": ("numberofemployees", "Number of Employees"),
        "revenue": ("annualrevenue", "Annual Revenue"), "country": ("country", "Country/Region"),
    },
    ("id",),
)
_DEALS = ObjectFile(
    "deals.csv",
    {
        "id": _ID, "stage": ("dealstage", "Deal Stage"), "created": ("createdate", "Create Date"), "closed": ("closedate", "Close Date"),
        "contacts": ("associated_contact_ids", "Associated Contact IDs", "Associated Contact"),
    },
    ("id", "stage", "created", "contacts"),
)
_EMAIL_EVENTS = ObjectFile(
    "email_events.csv",
    {"contact": ("objectId", "hs_object_id", "Record ID", "Contact ID"), "type": ("type", "eventType"), "when": ("created", "occurredAt")},
    ("contact", "type", "when"),
)
_WEB_EVENTS = ObjectFile(
    "web_events.csv",
    {
        "contact": ("objectId", "hs_object_id", "Record ID", "Contact ID"), "type": ("eventType", "Event type"), "when": ("occurredAt", "Timestamp"),
        "url": ("hs_url", "properties.hs_url", "Page URL"),
    },
    ("contact", "type", "when"),
)
_EVENT_SCHEMA = {"contact_id": pl.String, "occurred_at": pl.Datetime("us"), "event_type": pl.String}


def _contacts_file(config: HubspotConfig) -> ObjectFile:
    dates = {f"stage:{stage}": (f"hs_lifecyclestage_{stage}_date",) for stage in config.lifecycle_outcomes}
    return ObjectFile(
        "contacts.csv",
        {
            "id": _ID, "created": ("createdate", "Create Date"), "company": ("associatedcompanyid", "Associated Company ID", "Primary Associated Company ID"),
            "title": ("jobtitle", "Job Title"), "source": ("hs_analytics_source", "Original Source"), **dates,
        },
        ("id", "created"),
    )


def import_hubspot(folder: str | Path, config: HubspotConfig | None = None) -> ImportResult:
    """Read the HubSpot exports in ``folder`` into the contract's four tables (nothing is written)."""
    config = config or HubspotConfig()
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise UsageError(f"no such folder: {root} (give the folder holding contacts.csv, companies.csv, deals.csv, ...)")
    objects = {
        "contacts": read_object(root, _contacts_file(config)),
        "companies": read_object(root, _COMPANIES),
        "deals": read_object(root, _DEALS),
        "email_events": read_object(root, _EMAIL_EVENTS, required=False),
        "web_events": read_object(root, _WEB_EVENTS, required=False),
    }
    result = ImportResult("hubspot", root, {}, read={k: v.height for k, v in objects.items() if v is not None})
    people: pl.DataFrame = objects["contacts"]  # type: ignore[assignment]
    contacts = people.select(
        pl.col("id").alias("contact_id"),
        pl.col("company").alias("account_id"),
        timestamps(people["created"], "contacts.csv", "createdate", required=True).alias("created_at"),
        pl.col("title").alias("job_title"),
        pl.col("source").alias("lead_source"),
    )
    known = contacts["contact_id"].implode()
    events = pl.concat(
        [
            _events(objects["email_events"], "email_events.csv", "created", config, result),
            _events(objects["web_events"], "web_events.csv", "occurredAt", config, result),
        ]
    )
    orphans = events.height - int(events["contact_id"].is_in(known).sum())
    if orphans:
        result.notes.append(f"{orphans:,} events of contacts not in contacts.csv")
    events = events.filter(pl.col("contact_id").is_in(known))
    outcomes = pl.concat([_lifecycle(people, config), _deals(objects["deals"], config, result)])  # type: ignore[arg-type]
    outcomes = outcomes.filter(pl.col("contact_id").is_in(known)).unique(maintain_order=True)
    companies: pl.DataFrame = objects["companies"]  # type: ignore[assignment]
    accounts = companies.select(
        pl.col("id").alias("account_id"), "industry", pl.col("employees").alias("employee_count"), pl.col("revenue").alias("annual_revenue"), "country"
    )
    result.tables = {"contacts": contacts, "accounts": accounts, "events": events, "outcomes": outcomes}
    return result


def _events(frame: pl.DataFrame | None, file: str, when_field: str, config: HubspotConfig, result: ImportResult) -> pl.DataFrame:
    """Email or web events typed by URL pattern, then by event type; ignored types and the rest counted."""
    if frame is None or frame.height == 0:
        return pl.DataFrame(schema=_EVENT_SCHEMA)
    when = timestamps(frame["when"], file, when_field, required=True)
    by_url = first_match(frame["url"], config.url_patterns, file, "[hubspot] url_patterns") if "url" in frame.columns else None
    by_type = map_values(frame["type"], config.event_types)
    event_type = pl.select(pl.coalesce(by_url, by_type)).to_series() if by_url is not None else by_type
    ignored_keys = {spelling_key(t) for t in config.ignored_event_types}
    keys = frame["type"].fill_null("").map_elements(spelling_key, return_dtype=pl.String)
    ignored = event_type.is_null() & keys.is_in(list(ignored_keys))
    if ignored.any():
        result.notes.append(f"{int(ignored.sum()):,} {file} rows of ignored types ([hubspot] ignored_event_types)")
    for value, n in frame["type"].filter(event_type.is_null() & ~ignored).fill_null("(no type)").value_counts().iter_rows():
        result.unmapped[f"{file} {value}"] = result.unmapped.get(f"{file} {value}", 0) + int(n)
    typed = pl.DataFrame({"contact_id": frame["contact"], "occurred_at": when, "event_type": event_type})
    return typed.filter(pl.col("event_type").is_not_null())


def _lifecycle(people: pl.DataFrame, config: HubspotConfig) -> pl.DataFrame:
    """The lifecycle-stage dates named in ``[hubspot] lifecycle_outcomes`` as outcomes."""
    parts = [pl.DataFrame(schema={"contact_id": pl.String, "occurred_at": pl.Datetime("us"), "outcome": pl.String})]
    for stage, outcome in config.lifecycle_outcomes.items():
        when = timestamps(people[f"stage:{stage}"], "contacts.csv", f"hs_lifecyclestage_{stage}_date", required=False)
        dated = pl.DataFrame({"contact_id": people["id"], "occurred_at": when}).filter(pl.col("occurred_at").is_not_null())
        parts.append(dated.with_columns(pl.lit(outcome).alias("outcome")))
    return pl.concat(parts)


def _deals(deals: pl.DataFrame, config: HubspotConfig, result: ImportResult) -> pl.DataFrame:
    """``opportunity`` at createdate and, in a won stage, ``closed_won`` at closedate, per associated contact."""
    groups = {"opportunity": config.deal_stages, "ignored": config.ignored_deal_stages, "closed_won": config.closed_won_stages}
    stage = stage_groups(deals["stage"], "deals.csv", "dealstage", groups, "[hubspot] deal_stages, closed_won_stages or ignored_deal_stages")
    typed = deals.with_columns(
        stage.alias("group"),
        timestamps(deals["created"], "deals.csv", "createdate", required=True),
        timestamps(deals["closed"], "deals.csv", "closedate", required=False),
    ).filter(pl.col("group") != "ignored")
    linked = typed.with_columns(pl.col("contacts").str.split(";")).explode("contacts").with_columns(
        pl.col("contacts").str.strip_chars().alias("contact_id")
    ).filter(pl.col("contact_id").is_not_null() & (pl.col("contact_id") != ""))
    unlinked = typed.height - linked["id"].n_unique()
    if unlinked:
        result.notes.append(f"{unlinked:,} deals associated with no contact")
    return deal_outcomes(linked)
