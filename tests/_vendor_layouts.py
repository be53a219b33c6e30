"""Test helper: a contract export rewritten as the CRM vendors' own exports (documented field names).

`to_salesforce` writes Lead, Contact, Account, Task, Event, Campaign, CampaignMember, Opportunity and
OpportunityContactRole CSVs; `to_hubspot` writes contacts, companies, deals, email_events and
web_events CSVs. Both carry the same people, activity and outcomes as the contract export, plus the
vendors' noise the importers must drop (unmapped activity, members who did not respond, sent emails).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl

SALESFORCE_CONFIG = '[salesforce]\noutcome_dates = { MQL_Date__c = "mql", SQL_Date__c = "sql" }\n'

_SUBJECTS = {
    "email_open": ("Opened email: Spring newsletter", "Email"),
    "email_click": ("Clicked link in email: Spring newsletter", "Email"),
    "email_unsubscribe": ("Unsubscribed from emails", "Email"),
    "web_visit": ("Visited page /blog/roi-guide", "Other"),
    "pricing_page_view": ("Visited page /pricing", "Other"),
    "form_fill": ("Filled out form: Contact us", "Other"),
    "content_download": ("Downloaded: Buyer's guide", "Other"),
}
_ISO = "%Y-%m-%dT%H:%M:%S.000+0000"


def _read(folder: Path) -> dict[str, pl.DataFrame]:
    return {t: pl.read_parquet(folder / f"{t}.parquet") for t in ("contacts", "accounts", "events", "outcomes")}


def _iso(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime(_ISO)


def to_salesforce(export: Path, out: Path) -> Path:
    """People without an account or opportunity are unconverted Leads; every third other person a Lead
    converted to its Contact 10 days after it was created (earlier activity on the Lead); the rest Contacts."""
    t = _read(export)
    out.mkdir(parents=True)
    outcomes = t["outcomes"]
    firsts = outcomes.pivot(on="outcome", index="contact_id", values="occurred_at", aggregate_function="min")
    people = t["contacts"].join(firsts, on="contact_id", how="left").with_row_index("n")
    lead_only = people["account_id"].is_null() & people["opportunity"].is_null()
    converted = ~lead_only & (people["n"] % 3 == 0)
    people = people.with_columns(lead_only=lead_only, converted=converted)
    people = people.with_columns(
        pl.when("converted").then(pl.col("created_at") + timedelta(days=10)).otherwise(pl.col("created_at")).alias("contact_created"),
        pl.when("lead_only").then(pl.col("contact_id")).otherwise(pl.lit("L") + pl.col("contact_id")).alias("lead_id"),
    )
    personal = [pl.col("first_name").alias("FirstName"), pl.col("last_name").alias("LastName"), pl.col("email").alias("Email"), pl.col("phone").alias("Phone")]
    opp = outcomes.filter(pl.col("outcome") == "opportunity").with_row_index("k").join(
        outcomes.filter(pl.col("outcome") == "closed_won").select("contact_id", pl.col("occurred_at").alias("won")), on="contact_id", how="left"
    ).with_columns((pl.lit("006") + pl.col("k").cast(pl.String).str.zfill(6)).alias("Id"))
    via_lead = opp.join(people.filter("converted").select("contact_id", "lead_id"), on="contact_id", how="inner").filter(pl.col("k") % 2 == 0)
    leads = people.filter(pl.col("lead_only") | pl.col("converted")).join(
        via_lead.select("contact_id", pl.col("Id").alias("ConvertedOpportunityId")), on="contact_id", how="left"
    )
    leads.select(
        pl.col("lead_id").alias("Id"), *personal, pl.col("job_title").alias("Title"), pl.col("lead_source").alias("LeadSource"),
        pl.lit("Acme").alias("Company"), pl.when("converted").then(pl.lit("Qualified")).otherwise(pl.lit("Open")).alias("Status"),
        pl.when("converted").then(pl.lit("true")).otherwise(pl.lit("false")).alias("IsConverted"),
        pl.when("converted").then(pl.col("contact_id")).alias("ConvertedContactId"),
        pl.when("converted").then(pl.col("account_id")).alias("ConvertedAccountId"),
        "ConvertedOpportunityId",
        pl.when("converted").then(pl.col("contact_created").dt.strftime("%Y-%m-%d")).alias("ConvertedDate"),
        _iso("created_at").alias("CreatedDate"), _iso("mql").alias("MQL_Date__c"),
        pl.when("lead_only").then(_iso("sql")).alias("SQL_Date__c"),
    ).write_csv(out / "Lead.csv")
    people.filter(~pl.col("lead_only")).select(
        pl.col("contact_id").alias("Id"), pl.col("account_id").alias("AccountId"), *personal, pl.col("job_title").alias("Title"),
        pl.when("converted").then(pl.lit(None)).otherwise(pl.col("lead_source")).alias("LeadSource"),  # the lead's source carries over
        _iso("contact_created").alias("CreatedDate"), pl.when("converted").then(pl.lit(None)).otherwise(_iso("mql")).alias("MQL_Date__c"),
        _iso("sql").alias("SQL_Date__c"),
    ).write_csv(out / "Contact.csv")
    t["accounts"].select(
        pl.col("account_id").alias("Id"), pl.col("name").alias("Name"), pl.col("industry").alias("Industry"),
        pl.col("employee_count").alias("NumberOfEmployees"), pl.col("annual_revenue").alias("AnnualRevenue"),
        pl.col("country").alias("BillingCountry"), pl.lit("2022-01-01T00:00:00.000+0000").alias("CreatedDate"),
    ).write_csv(out / "Account.csv")

    events = t["events"].join(people.select("contact_id", "lead_id", "converted", "lead_only", "contact_created"), on="contact_id").with_columns(
        pl.when(pl.col("lead_only") | (pl.col("converted") & (pl.col("occurred_at") < pl.col("contact_created"))))
        .then(pl.col("lead_id")).otherwise(pl.col("contact_id")).alias("WhoId")
    )
    subjects = pl.DataFrame({"event_type": list(_SUBJECTS), "Subject": [s for s, _ in _SUBJECTS.values()], "Type": [k for _, k in _SUBJECTS.values()]})
    tasks = events.join(subjects, on="event_type", how="inner").select(
        "WhoId", pl.lit("001000000000001").alias("WhatId"), "Subject", "Type", pl.col("occurred_at").dt.strftime("%Y-%m-%d").alias("ActivityDate"),
        _iso("occurred_at").alias("CreatedDate"), _iso("occurred_at").alias("CompletedDateTime"), pl.lit("Completed").alias("Status"),
    )
    noise = events.head(50).select(  # rep follow-ups of a Type nobody mapped: dropped, listed in the summary
        "WhoId", pl.lit(None, dtype=pl.String).alias("WhatId"), pl.lit("Follow up").alias("Subject"), pl.lit("Other").alias("Type"),
        pl.col("occurred_at").dt.strftime("%Y-%m-%d").alias("ActivityDate"), _iso("occurred_at").alias("CreatedDate"),
        pl.lit(None, dtype=pl.String).alias("CompletedDateTime"), pl.lit("Completed").alias("Status"),
    )
    pl.concat([tasks, noise]).with_row_index("Id").with_columns(pl.col("Id").cast(pl.String)).write_csv(out / "Task.csv")
    events.filter(pl.col("event_type") == "demo_request").select(
        "WhoId", pl.lit("Demo request").alias("Subject"), pl.lit("Meeting").alias("Type"), _iso("occurred_at").alias("ActivityDateTime"),
        pl.col("occurred_at").dt.strftime("%Y-%m-%d").alias("ActivityDate"), _iso("occurred_at").alias("CreatedDate"),
    ).write_csv(out / "Event.csv")
    webinars = events.filter(pl.col("event_type") == "webinar_attended").with_columns(
        (pl.lit("701") + pl.col("occurred_at").dt.strftime("%Y%m%d")).alias("CampaignId")
    )
    campaigns = webinars.select("CampaignId").unique().sort("CampaignId")
    pl.concat(
        [campaigns.select(pl.col("CampaignId").alias("Id"), pl.lit("Webinar").alias("Type")), pl.DataFrame({"Id": ["701NEWS"], "Type": ["Email"]})]
    ).with_columns(pl.lit("Campaign").alias("Name")).write_csv(out / "Campaign.csv")
    lead_side = pl.col("WhoId").str.starts_with("L") | pl.col("lead_only")
    members = webinars.select(
        "CampaignId", pl.when(lead_side).then(pl.col("WhoId")).alias("LeadId"), pl.when(~lead_side).then(pl.col("WhoId")).alias("ContactId"),
        pl.lit("Attended").alias("Status"), pl.lit("true").alias("HasResponded"),
        pl.col("occurred_at").dt.strftime("%Y-%m-%d").alias("FirstRespondedDate"), _iso("occurred_at").alias("CreatedDate"),
    )
    invited = events.head(30).select(  # sent a newsletter, never responded: dropped
        pl.lit("701NEWS").alias("CampaignId"), pl.lit(None, dtype=pl.String).alias("LeadId"), pl.col("contact_id").alias("ContactId"),
        pl.lit("Sent").alias("Status"), pl.lit("false").alias("HasResponded"), pl.lit(None, dtype=pl.String).alias("FirstRespondedDate"),
        _iso("occurred_at").alias("CreatedDate"),
    )
    pl.concat([members, invited]).write_csv(out / "CampaignMember.csv")
    opp.select(
        "Id", pl.lit("Deal").alias("Name"),
        pl.when(pl.col("won").is_not_null()).then(pl.lit("Closed Won")).when(pl.col("k") % 2 == 0).then(pl.lit("Closed Lost")).otherwise(pl.lit("Prospecting")).alias("StageName"),
        pl.col("won").is_not_null().cast(pl.String).str.to_lowercase().alias("IsWon"),
        pl.col("won").is_not_null().cast(pl.String).str.to_lowercase().alias("IsClosed"),
        pl.coalesce("won", pl.col("occurred_at") + timedelta(days=60)).dt.strftime("%Y-%m-%d").alias("CloseDate"),
        _iso("occurred_at").alias("CreatedDate"),
    ).write_csv(out / "Opportunity.csv")
    opp.join(via_lead.select("Id"), on="Id", how="anti").select(
        pl.col("contact_id").alias("ContactId"), pl.col("Id").alias("OpportunityId"), pl.lit("Decision Maker").alias("Role"), pl.lit("true").alias("IsPrimary")
    ).write_csv(out / "OpportunityContactRole.csv")
    return out


_WEB = {
    "web_visit": ("e_visited_page", "https://example.com/blog/roi-guide"),
    "pricing_page_view": ("e_visited_page", "https://example.com/pricing"),
    "form_fill": ("e_submitted_form", "https://example.com/contact-us"),
    "demo_request": ("e_submitted_form", "https://example.com/demo"),
    "content_download": ("e_downloaded_content", "https://example.com/guides/buyers-guide"),
    "webinar_attended": ("e_attended_webinar", None),
}
_EMAIL = {"email_open": "OPEN", "email_click": "CLICK", "email_unsubscribe": "STATUSCHANGE"}


def to_hubspot(export: Path, out: Path) -> Path:
    """Contacts with the export's labels as headers ("Record ID", "Create Date") and lifecycle-stage dates,
    companies, deals with "Associated Contact IDs", email events (epoch-millisecond `created`, plus SENT
    rows to ignore) and web events (`eventType`, `occurredAt`, `hs_url`)."""
    t = _read(export)
    out.mkdir(parents=True)
    outcomes = t["outcomes"]
    firsts = outcomes.pivot(on="outcome", index="contact_id", values="occurred_at", aggregate_function="min")
    people = t["contacts"].join(firsts, on="contact_id", how="left")
    people.select(
        pl.col("contact_id").alias("Record ID"), pl.col("first_name").alias("First Name"), pl.col("last_name").alias("Last Name"),
        pl.col("email").alias("Email"), pl.col("phone").alias("Phone Number"), pl.col("job_title").alias("Job Title"),
        pl.col("lead_source").alias("Original Source"), pl.col("account_id").alias("Associated Company ID"),
        pl.col("created_at").dt.strftime("%Y-%m-%d %H:%M:%S").alias("Create Date"),
        pl.when(pl.col("closed_won").is_not_null()).then(pl.lit("customer")).when(pl.col("opportunity").is_not_null()).then(pl.lit("opportunity"))
        .otherwise(pl.lit("lead")).alias("Lifecycle Stage"),
        _iso("mql").alias("hs_lifecyclestage_marketingqualifiedlead_date"), _iso("sql").alias("hs_lifecyclestage_salesqualifiedlead_date"),
        _iso("opportunity").alias("hs_lifecyclestage_opportunity_date"), _iso("closed_won").alias("hs_lifecyclestage_customer_date"),
    ).write_csv(out / "contacts.csv")
    t["accounts"].select(
        pl.col("account_id").alias("Record ID"), pl.col("name").alias("Company name"), pl.col("industry").alias("Industry"),
        pl.col("employee_count").alias("Number of Employees"), pl.col("annual_revenue").alias("Annual Revenue"), pl.col("country").alias("Country/Region"),
    ).write_csv(out / "companies.csv")
    deals = people.filter(pl.col("opportunity").is_not_null()).with_row_index("k")
    deals.select(
        (pl.lit("9") + pl.col("k").cast(pl.String)).alias("hs_object_id"), pl.lit("Deal").alias("dealname"),
        pl.when(pl.col("closed_won").is_not_null()).then(pl.lit("closedwon")).when(pl.col("k") % 2 == 0).then(pl.lit("Closed Lost"))
        .otherwise(pl.lit("appointmentscheduled")).alias("dealstage"),
        _iso("opportunity").alias("createdate"), pl.coalesce("closed_won", pl.col("opportunity") + timedelta(days=60)).dt.strftime(_ISO).alias("closedate"),
        pl.col("contact_id").alias("Associated Contact IDs"),
    ).write_csv(out / "deals.csv")
    events = t["events"]
    email = events.filter(pl.col("event_type").is_in(list(_EMAIL))).select(
        pl.col("contact_id").alias("objectId"), pl.col("event_type").replace_strict(_EMAIL).alias("type"),
        pl.col("occurred_at").dt.epoch("ms").cast(pl.String).alias("created"),
    )
    sent = email.head(40).with_columns(pl.lit("SENT").alias("type"))
    pl.concat([email, sent]).write_csv(out / "email_events.csv")
    web_types = pl.DataFrame({"event_type": list(_WEB), "eventType": [e for e, _ in _WEB.values()], "hs_url": [u for _, u in _WEB.values()]})
    web = events.join(web_types, on="event_type", how="inner").select(
        pl.col("contact_id").alias("objectId"), pl.lit("CONTACT").alias("objectType"), "eventType", _iso("occurred_at").alias("occurredAt"), "hs_url"
    )
    chat = events.head(25).select(  # an event type nobody mapped: listed in the summary
        pl.col("contact_id").alias("objectId"), pl.lit("CONTACT").alias("objectType"), pl.lit("e_started_chat").alias("eventType"),
        _iso("occurred_at").alias("occurredAt"), pl.lit(None, dtype=pl.String).alias("hs_url"),
    )
    pl.concat([web, chat]).write_csv(out / "web_events.csv")
    return out
