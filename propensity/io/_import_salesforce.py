"""`propensity import salesforce DIR`: a Salesforce data export (one CSV per object, the standard field
names) read into the export contract.

- People: every Contact, and every Lead not converted to one of them. A converted Lead
  (``IsConverted``, ``ConvertedContactId``) is the same person as its Contact: its activity and
  opportunities join the Contact's, and the person entered the CRM at the earlier ``CreatedDate``.
- Accounts: every Account (``Name`` is not read).
- Events: Tasks and Events of a Lead or Contact (``WhoId``), typed by ``Subject`` patterns then ``Type``;
  CampaignMember responses (``HasResponded``), typed by their Campaign's ``Type``.
- Outcomes: Opportunities reached through OpportunityContactRole or a converted Lead's
  ``ConvertedOpportunityId``: ``opportunity`` at ``CreatedDate`` and, in a won stage, ``closed_won`` at
  ``CloseDate``; plus the Lead and Contact date fields named in ``[salesforce] outcome_dates``.

CONTRACT.md lists the mapping field by field. Names, emails and phones are never read.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from propensity._config import SalesforceConfig
from propensity._errors import UsageError
from propensity.io._import_common import (
    ImportResult,
    ObjectFile,
    as_flag,
    deal_outcomes,
    first_match,
    map_values,
    read_object,
    stage_groups,
    timestamps,
)

__all__ = ["import_salesforce"]

_ACCOUNT = ObjectFile(
    "Account.csv",
    {"id": ("Id",), "industry": ("Industry",), "employees": ("NumberOfEmployees",), "revenue": ("AnnualRevenue",), "country": ("BillingCountry",)},
    ("id",),
)
_TASK = ObjectFile(
    "Task.csv",
    {"who": ("WhoId",), "subject": ("Subject",), "type": ("Type",), "created": ("CreatedDate",), "completed": ("CompletedDateTime",)},
    ("who", "subject", "created"),
)
_EVENT = ObjectFile(
    "Event.csv",
    {"who": ("WhoId",), "subject": ("Subject",), "type": ("Type",), "created": ("CreatedDate",), "start": ("ActivityDateTime", "StartDateTime")},
    ("who", "subject", "created"),
)
_CAMPAIGN = ObjectFile("Campaign.csv", {"id": ("Id",), "type": ("Type",)}, ("id", "type"))
_MEMBER = ObjectFile(
    "CampaignMember.csv",
    {
        "campaign": ("CampaignId",), "lead": ("LeadId",), "contact": ("ContactId",), "responded": ("HasResponded",),
        "responded_on": ("FirstRespondedDate",), "created": ("CreatedDate",),
    },
    ("campaign", "lead", "contact", "responded", "created"),
)
_OPPORTUNITY = ObjectFile(
    "Opportunity.csv",
    {"id": ("Id",), "stage": ("StageName",), "created": ("CreatedDate",), "closed": ("CloseDate",)},
    ("id", "stage", "created", "closed"),
)
_ROLE = ObjectFile("OpportunityContactRole.csv", {"contact": ("ContactId",), "opportunity": ("OpportunityId",)}, ("contact", "opportunity"))


def _people_files(config: SalesforceConfig) -> tuple[ObjectFile, ObjectFile]:
    dates = {f"outcome:{name}": (name,) for name in config.outcome_dates}
    contact = ObjectFile(
        "Contact.csv",
        {"id": ("Id",), "account": ("AccountId",), "created": ("CreatedDate",), "title": ("Title",), "source": ("LeadSource",), **dates},
        ("id", "account", "created"),
    )
    lead = ObjectFile(
        "Lead.csv",
        {
            "id": ("Id",), "created": ("CreatedDate",), "converted": ("IsConverted",), "contact": ("ConvertedContactId",),
            "opportunity": ("ConvertedOpportunityId",), "title": ("Title",), "source": ("LeadSource",), **dates,
        },
        ("id", "created", "converted", "contact"),
    )
    return contact, lead


def import_salesforce(folder: str | Path, config: SalesforceConfig | None = None) -> ImportResult:
    """Read the Salesforce export in ``folder`` into the contract's four tables (nothing is written)."""
    config = config or SalesforceConfig()
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise UsageError(f"no such folder: {root} (give the folder holding Lead.csv, Contact.csv, Task.csv, ...)")
    contact_file, lead_file = _people_files(config)
    objects = {
        "Account": read_object(root, _ACCOUNT),
        "Contact": read_object(root, contact_file),
        "Lead": read_object(root, lead_file),
        "Task": read_object(root, _TASK),
        "Event": read_object(root, _EVENT, required=False),
        "Campaign": read_object(root, _CAMPAIGN, required=False),
        "CampaignMember": read_object(root, _MEMBER, required=False),
        "Opportunity": read_object(root, _OPPORTUNITY),
        "OpportunityContactRole": read_object(root, _ROLE),
    }
    if objects["CampaignMember"] is not None and objects["Campaign"] is None:
        read_object(root, _CAMPAIGN)  # campaign members are typed by their campaign: one line naming Campaign.csv
    result = ImportResult("salesforce", root, {}, read={k: v.height for k, v in objects.items() if v is not None})
    contacts, who = _people(objects["Contact"], objects["Lead"], result)  # type: ignore[arg-type]
    known = contacts["contact_id"]
    events = pl.concat(
        [
            _activities(objects["Task"], "Task.csv", ("completed", "created"), who, config, result),  # type: ignore[arg-type]
            _activities(objects["Event"], "Event.csv", ("start", "created"), who, config, result),
            _responses(objects["CampaignMember"], objects["Campaign"], who, config, result),
        ]
    )
    events = events.filter(pl.col("contact_id").is_in(known.implode()))
    outcomes = pl.concat(
        [
            _opportunities(objects["Opportunity"], objects["OpportunityContactRole"], objects["Lead"], who, config, result),  # type: ignore[arg-type]
            _dated_outcomes(objects["Contact"], "Contact.csv", who, config),  # type: ignore[arg-type]
            _dated_outcomes(objects["Lead"], "Lead.csv", who, config),  # type: ignore[arg-type]
        ]
    ).unique(maintain_order=True)
    result.tables = {"contacts": contacts, "accounts": _accounts(objects["Account"]), "events": events, "outcomes": outcomes}  # type: ignore[arg-type]
    return result


_EVENT_SCHEMA = {"contact_id": pl.String, "occurred_at": pl.Datetime("us"), "event_type": pl.String}
_OUTCOME_SCHEMA = {"contact_id": pl.String, "occurred_at": pl.Datetime("us"), "outcome": pl.String}


def _people(contact: pl.DataFrame, lead: pl.DataFrame, result: ImportResult) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The contacts table, and ``who``: (Id of a Lead or Contact, the person's contact_id)."""
    lead = lead.with_columns(
        timestamps(lead["created"], "Lead.csv", "CreatedDate", required=True),
        converted=as_flag(lead["converted"]) & pl.col("contact").is_in(contact["id"].implode()).fill_null(False),
    )
    contact = contact.with_columns(timestamps(contact["created"], "Contact.csv", "CreatedDate", required=True))
    merged = lead.filter("converted").group_by("contact").agg(
        pl.col("created").min().alias("lead_created"), pl.col("title").first().alias("lead_title"), pl.col("source").first().alias("lead_source")
    )
    people = contact.join(merged, left_on="id", right_on="contact", how="left")
    own = lead.filter(~pl.col("converted"))
    from_contacts = people.select(
        pl.col("id").alias("contact_id"),
        pl.col("account").alias("account_id"),
        pl.min_horizontal("created", "lead_created").alias("created_at"),
        pl.coalesce("title", "lead_title").alias("job_title"),
        pl.coalesce("source", "lead_source").alias("lead_source"),
    )
    from_leads = own.select(
        pl.col("id").alias("contact_id"),
        pl.lit(None, dtype=pl.String).alias("account_id"),
        pl.col("created").alias("created_at"),
        pl.col("title").alias("job_title"),
        pl.col("source").alias("lead_source"),
    )
    contacts = pl.concat([from_contacts, from_leads])
    who = pl.concat(
        [
            contact.select(pl.col("id"), pl.col("id").alias("person")),
            lead.select(pl.col("id"), pl.when("converted").then(pl.col("contact")).otherwise(pl.col("id")).alias("person")),
        ]
    )
    converted = int(lead["converted"].sum())
    result.notes.append(f"{converted:,} converted leads joined to their contacts (one person each)")
    return contacts, who


def _accounts(account: pl.DataFrame) -> pl.DataFrame:
    return account.select(
        pl.col("id").alias("account_id"),
        pl.col("industry"),
        pl.col("employees").alias("employee_count"),
        pl.col("revenue").alias("annual_revenue"),
        pl.col("country"),
    )


def _activities(
    frame: pl.DataFrame | None, file: str, time_fields: tuple[str, str], who: pl.DataFrame, config: SalesforceConfig, result: ImportResult
) -> pl.DataFrame:
    """Tasks or Events as events: Subject patterns first, then the Type field; the rest counted."""
    if frame is None or frame.height == 0:
        return pl.DataFrame(schema=_EVENT_SCHEMA)
    kind = file.removesuffix(".csv")
    exact = time_fields[0]
    when = timestamps(frame["created"], file, "CreatedDate", required=True)
    when = pl.select(pl.coalesce(timestamps(frame[exact], file, _TIME_FIELD[exact], required=False), when)).to_series()
    types = frame["type"]
    by_subject = first_match(frame["subject"], config.subject_patterns, file, "[salesforce] subject_patterns")
    by_type = map_values(types, config.activity_types)
    event_type = pl.select(pl.coalesce(by_subject, by_type)).to_series()
    unmapped = types.filter(event_type.is_null()).fill_null("(no Type)")
    for value, n in unmapped.value_counts().iter_rows():
        result.unmapped[f"{kind} Type {value}"] = result.unmapped.get(f"{kind} Type {value}", 0) + int(n)
    events = pl.DataFrame({"who": frame["who"], "occurred_at": when, "event_type": event_type}).filter(pl.col("event_type").is_not_null())
    joined = events.join(who, left_on="who", right_on="id", how="inner")
    if joined.height < events.height:
        result.notes.append(f"{events.height - joined.height:,} {kind.lower()}s of no known lead or contact (WhoId blank or another object)")
    return joined.select(pl.col("person").alias("contact_id"), "occurred_at", "event_type")


_TIME_FIELD = {"completed": "CompletedDateTime", "start": "ActivityDateTime"}


def _responses(
    member: pl.DataFrame | None, campaign: pl.DataFrame | None, who: pl.DataFrame, config: SalesforceConfig, result: ImportResult
) -> pl.DataFrame:
    """Campaign members who responded, as events typed by the campaign's Type."""
    if member is None or campaign is None or member.height == 0:
        return pl.DataFrame(schema=_EVENT_SCHEMA)
    responded = member.filter(as_flag(member["responded"]))
    result.notes.append(f"{member.height - responded.height:,} campaign members who did not respond")
    when = timestamps(responded["created"], "CampaignMember.csv", "CreatedDate", required=True)
    first = timestamps(responded["responded_on"], "CampaignMember.csv", "FirstRespondedDate", required=False, date_only_end_of_day=True)
    when = pl.select(pl.coalesce(first, when)).to_series()
    typed = responded.with_columns(when.alias("occurred_at"), pl.coalesce(pl.col("contact"), pl.col("lead")).alias("who")).join(
        campaign.select(pl.col("id").alias("campaign"), pl.col("type").alias("campaign_type")), on="campaign", how="left"
    )
    typed = typed.with_columns(map_values(typed["campaign_type"], config.campaign_types).alias("event_type"))
    for value, n in typed.filter(pl.col("event_type").is_null())["campaign_type"].fill_null("(no Type)").value_counts().iter_rows():
        result.unmapped[f"Campaign Type {value}"] = result.unmapped.get(f"Campaign Type {value}", 0) + int(n)
    joined = typed.filter(pl.col("event_type").is_not_null()).join(who, left_on="who", right_on="id", how="inner")
    return joined.select(pl.col("person").alias("contact_id"), "occurred_at", "event_type")


def _opportunities(
    opportunity: pl.DataFrame, role: pl.DataFrame, lead: pl.DataFrame, who: pl.DataFrame, config: SalesforceConfig, result: ImportResult
) -> pl.DataFrame:
    """``opportunity`` at CreatedDate and, in a won stage, ``closed_won`` at CloseDate, for each person
    linked by a contact role or as the converted lead."""
    groups = {"opportunity": config.opportunity_stages, "ignored": config.ignored_stages, "closed_won": config.closed_won_stages}
    stage = stage_groups(opportunity["stage"], "Opportunity.csv", "StageName", groups, "[salesforce] opportunity_stages, closed_won_stages or ignored_stages")
    opps = opportunity.with_columns(
        stage.alias("group"),
        timestamps(opportunity["created"], "Opportunity.csv", "CreatedDate", required=True),
        timestamps(opportunity["closed"], "Opportunity.csv", "CloseDate", required=False, date_only_end_of_day=True),
    )
    ignored = int((opps["group"] == "ignored").sum())
    if ignored:
        result.notes.append(f"{ignored:,} opportunities in ignored stages")
    links = pl.concat(
        [
            role.select(pl.col("contact").alias("who"), "opportunity"),
            lead.filter(pl.col("opportunity").is_not_null() & (pl.col("opportunity") != "")).select(pl.col("id").alias("who"), "opportunity"),
        ]
    ).join(who, left_on="who", right_on="id", how="inner").select(pl.col("person").alias("contact_id"), "opportunity").unique()
    linked = links.join(opps.filter(pl.col("group") != "ignored"), left_on="opportunity", right_on="id", how="inner")
    unlinked = opps.filter(pl.col("group") != "ignored").height - linked["opportunity"].n_unique()
    if unlinked:
        result.notes.append(f"{unlinked:,} opportunities with no contact role and no converted lead")
    return deal_outcomes(linked)


def _dated_outcomes(frame: pl.DataFrame, file: str, who: pl.DataFrame, config: SalesforceConfig) -> pl.DataFrame:
    """The date fields named in ``[salesforce] outcome_dates`` (e.g. MQL_Date__c) as outcomes."""
    parts = [pl.DataFrame(schema=_OUTCOME_SCHEMA)]
    for name, outcome in config.outcome_dates.items():
        column = f"outcome:{name}"
        dated = frame.select("id", timestamps(frame[column], file, name, required=False).alias("occurred_at")).filter(
            pl.col("occurred_at").is_not_null()
        )
        joined = dated.join(who, on="id", how="inner")
        parts.append(joined.select(pl.col("person").alias("contact_id"), "occurred_at", pl.lit(outcome).alias("outcome")))
    return pl.concat(parts)
