"""Generated flat lead tables with planted leaks, documented by three writers in four formats.

The leakage guard was not tuned on these tables: its concept groups (`propensity/leakage/_concepts.py`) and
statistical tests were written first. Each table has four planted leaks and seven clean columns:

- leaks: a status written back by sales, a post-outcome call duration (0 when the lead was never
  reached, so never converted), a rep's 1-5 rating (a noisy judgement, weak alone), and the day the
  record was last updated (bumped when the deal closes);
- clean: web sessions in the first two weeks and a demo request on the form (both predictive, known
  when the lead arrives: the guard must not read "strong" as "leak"), company size, region,
  industry, email opens and the last page visited (a "last ..." that is what the lead did).

Three writers name and describe the columns in their own habits: A (terse, snake_case), B (a CRM
admin, Title Case, full sentences), C (a public-dataset style, types in parentheses, abbreviations).
Each writes the dictionary as .xlsx, .csv, .md (A a pipe table, B a bullet list, C a definition
list) and .txt (a numbered "attribute information" list, descriptions wrapped over several lines).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

__all__ = ["FORMATS", "LEAK_KINDS", "WRITERS", "Writer", "suite_table", "write_dictionary"]

LEAK_KINDS = ("status", "post-outcome duration", "rep rating", "timestamp after conversion")
CLEAN_KINDS = ("sessions", "demo", "company size", "region", "industry", "email opens", "last page")
FORMATS = ("xlsx", "csv", "md", "txt")


@dataclass(frozen=True)
class Writer:
    name: str
    id: str
    target: str
    columns: dict[str, tuple[str, str, str]]  # kind -> (column name, type word, description)
    heads: tuple[str, str]  # the dictionary's header words (names, descriptions)


WRITERS: dict[str, Writer] = {
    "A": Writer("A", "lead_id", "converted", {
        "status": ("crm_status", "text", "current CRM status of the lead (open/won/lost/nurture)"),
        "post-outcome duration": ("call_minutes", "int", "minutes on the phone with the rep, summed over all calls up to close"),
        "rep rating": ("rep_rating", "int", "1-5, rep's rating of the lead"),
        "timestamp after conversion": ("last_modified_day", "int", "day (since 1970) the record was last modified; CRM bumps it when the deal closes"),
        "sessions": ("web_sessions_14d", "int", "number of website sessions in the first 14 days after the lead was created"),
        "demo": ("requested_demo", "yes/no", "yes if the lead asked for a demo on the web form"),
        "company size": ("employees", "int", "employee headcount of the company (self-reported)"),
        "region": ("region", "text", "sales region from billing address"),
        "industry": ("industry", "text", "industry picked by lead on form"),
        "email opens": ("email_opens", "int", "marketing emails opened before first contact"),
        "last page": ("last_page", "text", "last page the lead viewed before leaving the site"),
    }, ("column", "notes")),
    "B": Writer("B", "Lead ID", "Converted", {
        "status": ("Pipeline Position", "Picklist", "Where the opportunity sits in our sales process today. Maintained by the sales team."),
        "post-outcome duration": ("Talk Time", "Number", "Total talk time logged for this lead. Sales reps log it after each call, so it keeps growing until the deal is decided."),
        "rep rating": ("Sales Assessment", "Number", "How promising the account executive thinks this lead is (1 = poor, 5 = excellent)."),
        "timestamp after conversion": ("Record Updated", "Number", "Date stamp (days since epoch) of the most recent change to the record, e.g. when sales marked it won or lost."),
        "sessions": ("Website Sessions", "Number", "How many times the lead came back to the website in their first two weeks."),
        "demo": ("Demo Requested", "Checkbox", "Whether the prospect clicked 'Book a demo' when they first filled in the contact form."),
        "company size": ("Company Size", "Number", "Number of employees at the lead's organisation, as entered on the signup form."),
        "region": ("Region", "Picklist", "Geographic region of the prospect."),
        "industry": ("Industry", "Picklist", "Industry the company operates in."),
        "email opens": ("Emails Opened", "Number", "Number of nurture emails the lead opened."),
        "last page": ("Last Page Visited", "Text", "The most recent page of the website the lead looked at."),
    }, ("Field Name", "Description")),
    "C": Writer("C", "id", "y", {
        "status": ("disposition", "categorical", "disposition code - how the account ended up; set by the closer when the file is closed"),
        "post-outcome duration": ("duration", "numeric", "last contact duration, in minutes. Not available before the call happens; leaks the answer, so leave it out of any model meant for new leads."),
        "rep rating": ("am_view", "numeric", "account manager's opinion of fit, scored 1 to 5"),
        "timestamp after conversion": ("upd", "numeric", "update time of the row in the warehouse, in days since 1970-01-01"),
        "sessions": ("sessions", "numeric", "count of web sessions during the 14 days following lead creation"),
        "demo": ("demo", "binary", "demo request at sign-up (yes, no)"),
        "company size": ("emp", "numeric", "employees entered by the lead"),
        "region": ("reg", "categorical", "region code"),
        "industry": ("ind", "categorical", "industry sector"),
        "email opens": ("opens", "numeric", "count of email opens"),
        "last page": ("lastpg", "categorical", "last page viewed"),
    }, ("attribute", "definition")),
}


def suite_table(writer: Writer, n: int = 3000, seed: int = 0) -> pl.DataFrame:
    """One writer's table: the same kinds of column, the writer's names, data drawn with `seed`."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.0, n)  # how ready the lead is to buy, unseen
    industry = rng.choice(["Software", "Retail", "Finance", "Health", "Education"], n)
    demo = rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 1.2 * z)))
    logit = -1.6 + 1.4 * z + np.where(industry == "Finance", 0.5, 0.0) + 0.8 * demo
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    # leaks
    status = np.where(
        y == 1,
        np.where(rng.random(n) < 0.9, rng.choice(["won", "onboarding"], n), "negotiation"),
        np.where(rng.random(n) < 0.85, rng.choice(["lost", "nurture", "no response"], n), "negotiation"),
    )
    reached = (y == 1) | (rng.random(n) < 0.6)
    minutes = np.where(reached, np.where(y == 1, rng.gamma(3.0, 8.0, n), rng.gamma(2.0, 6.0, n)), 0.0).round(1)
    rating = np.clip(np.round(2.5 + 1.0 * y + 0.5 * z + rng.normal(0.0, 1.0, n)), 1, 5)
    rating = np.where(rng.random(n) < 0.15, np.nan, rating)
    created = 19_000 + rng.integers(0, 90, n)
    updated = created + np.where(y == 1, rng.integers(60, 200, n), rng.integers(0, 10, n))
    # clean
    sessions = rng.poisson(np.exp(0.8 + 0.5 * z))
    size = np.round(np.exp(rng.normal(4.0, 1.2, n))).astype(int) + 1
    region = rng.choice(["North", "South", "East", "West"], n)
    opens = rng.poisson(np.exp(0.5 + 0.15 * z))
    page = rng.choice(["/pricing", "/blog", "/docs", "/careers", "/home"], n)
    values = {
        "status": status, "post-outcome duration": minutes, "rep rating": rating, "timestamp after conversion": updated,
        "sessions": sessions, "demo": np.where(demo, "yes", "no"), "company size": size, "region": region,
        "industry": industry, "email opens": opens, "last page": page,
    }
    columns = {writer.id: [f"{writer.name}{i:05d}" for i in range(n)]}
    columns |= {writer.columns[k][0]: v for k, v in values.items()}
    columns[writer.target] = y
    return pl.DataFrame(columns).fill_nan(None)


def _entries(writer: Writer) -> list[tuple[str, str, str]]:
    rows = [(writer.id, "id", "unique lead identifier"), *writer.columns.values()]
    return [*rows, (writer.target, "binary", "did the lead buy (target)")]


def write_dictionary(writer: Writer, fmt: str, folder: Path) -> Path:
    """The writer's dictionary in `fmt` (xlsx, csv, md, txt), in `folder`."""
    rows = _entries(writer)
    names, texts = writer.heads
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["Data dictionary"])
        sheet.append([])
        sheet.append([names, "type", texts])
        for name, kind, text in rows:
            sheet.append([name, kind, text])
        path = folder / "data dictionary.xlsx"
        book.save(path)
        return path
    if fmt == "csv":
        import csv

        path = folder / "dictionary.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow([names, "type", texts])
            w.writerows(rows)
        return path
    if fmt == "md":
        if writer.name == "A":
            body = f"| {names} | type | {texts} |\n|---|---|---|\n" + "".join(f"| {n} | {k} | {t} |\n" for n, k, t in rows)
        elif writer.name == "B":
            body = "## Fields\n\n" + "".join(f"- **{n}** ({k}): {t}\n" for n, k, t in rows)
        else:
            body = "# Attributes\n\n" + "".join(f"{n}\n: ({k}) {t}\n\n" for n, k, t in rows)
        path = folder / "columns.md"
        path.write_text(body, encoding="utf-8")
        return path
    if fmt == "txt":
        lines = ["Lead data", "", "Attribute information:", ""]
        for i, (n, k, t) in enumerate(rows, start=1):
            wrapped = textwrap.wrap(f"{i:>2} - {n} ({k}): {t}", 70, subsequent_indent=" " * 8)
            lines += wrapped
        lines += ["", "Missing values: blank cells."]
        path = folder / "leads-names.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
    raise ValueError(fmt)
