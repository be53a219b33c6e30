"""The simulated world behind a generated CRM: accounts and their fit, the people and their roles,
each account's buying state day by day, the events and outcomes they leave, and the oracle (the true
buy-propensity of every open lead). `generate_crm` writes what this module simulates.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from propensity.synthetic._vocabulary import (
    C_LEVEL_TITLES,
    COMPETITOR_INBOUND_SOURCES,
    COMPETITOR_INDUSTRIES,
    COMPETITOR_INDUSTRY_SHARE,
    COMPETITOR_NAMES,
    COMPETITOR_OTHER_SOURCES,
    COMPETITOR_TITLES,
    COUNTRIES,
    COUNTRY_CALLING_CODE,
    COUNTRY_COMPANY_SUFFIX,
    COUNTRY_LANGUAGE,
    COUNTRY_SHARE,
    COUNTRY_TLD,
    COUNTRY_UTC_OFFSET,
    CUSTOMER,
    DAY,
    DEPARTMENT_ABBREVIATION,
    DEPARTMENT_NAMES,
    DEPARTMENT_RELEVANCE,
    DEPARTMENT_SHARE,
    DEPARTMENTS,
    EPOCH,
    EV,
    EVAL,
    EVENT_TYPES,
    FIRST_NAMES,
    FIT_NOISE_SIGMA,
    FOREIGN_TITLES,
    H0,
    IC_TITLES,
    INBOUND_SOURCES,
    INDUSTRIES,
    INDUSTRY_FIT,
    INDUSTRY_SHARE,
    INDUSTRY_WORDS,
    LAST_NAMES,
    LEAD_SOURCE_SHARE,
    LEAD_SOURCES,
    LEVEL_SHARE,
    LEVEL_TEMPLATES,
    MAX_COMMITTEE,
    MAX_CONTACTS_PER_ACCOUNT,
    MAX_FIT,
    NAME_CORES,
    NAME_PREFIXES,
    OC,
    OUT,
    OUTCOMES,
    P_CLOSED_WON,
    P_COMPETITOR_FIRST_SOURCE,
    P_COMPETITOR_PROFILE_TITLE,
    P_EVAL_CUSTOMER,
    P_EVAL_OUT,
    P_OUT_RESEARCH_PER_FIT,
    P_RESEARCH_EVAL,
    P_RESEARCH_OUT,
    PERSONAL_DOMAINS,
    RATES_BASELINE,
    RATES_COLLEAGUE,
    RATES_COMPETITOR,
    RATES_EVAL,
    RATES_RESEARCH,
    RATES_STUDENT,
    REGION_TAGS,
    RESEARCH,
    REVENUE_PER_EMPLOYEE,
    ROLE_BUYER,
    ROLE_COMPETITOR,
    ROLE_NAMES,
    ROLE_STUDENT,
    SENIORITY_WEIGHT,
    SHARE_COMPETITORS,
    SHARE_CREATED_BEFORE_START,
    SHARE_STUDENTS,
    SITE_EVENTS,
    STUDENT_LEAD_SOURCE_SHARE,
    STUDENT_TITLES,
    UNIVERSITY_FORMS,
    UNIVERSITY_PLACES,
    WEEKEND_KEEP,
)

__all__ = ['PROFILE_STREAM', 'Calendar', 'World', 'make_calendar', 'simulate']

PROFILE_STREAM = 1
"""The competitors' profile comes from ``default_rng([seed, PROFILE_STREAM])``, not the main stream."""


@dataclass(frozen=True)
class Calendar:
    """The simulated history: `n_days` UTC days from `start` (naive UTC, midnight) to `end`."""

    start: datetime
    end: datetime
    n_days: int
    start_s: int  # seconds since the Unix epoch
    end_s: int
    cutoff_days: np.ndarray  # day index of each month-start cutoff strictly inside the history


@dataclass(frozen=True)
class _Accounts:
    kind: np.ndarray  # 0 company, 1 university, 2 competitor
    industry: np.ndarray  # index into INDUSTRIES
    country: np.ndarray  # index into COUNTRIES
    employees: np.ndarray
    revenue: np.ndarray
    fit: np.ndarray  # 0 for universities and competitors: they never buy
    names: list[str]
    domains: list[str]


@dataclass(frozen=True)
class _Contacts:
    account: np.ndarray  # account index or -1
    role: np.ndarray
    level: np.ndarray  # 0 student, 1 IC ... 5 C-level
    department: np.ndarray  # index into DEPARTMENTS, -1 for students
    country: np.ndarray
    created_s: np.ndarray  # seconds since the Unix epoch
    engagement: np.ndarray
    lead_source: np.ndarray  # index into LEAD_SOURCES


@dataclass(frozen=True)
class _Profile:
    """What the CRM shows of competitors' employees beyond their hidden level and department, drawn
    from a generator of its own (`PROFILE_STREAM`) so that every other draw stays as it was."""

    industry: np.ndarray  # per account: the industry shown (object), None where it is the account's own
    title: np.ndarray  # per contact: the title's text before CRM noise, None where level and department make it
    lead_source: np.ndarray  # per contact: the lead source shown, None where it is the drawn one


@dataclass(frozen=True)
class _Committees:
    members: np.ndarray  # (n_accounts, MAX_COMMITTEE) contact index, -1 where empty
    weights: np.ndarray  # (n_accounts, MAX_COMMITTEE) seniority weight, 0 where empty
    is_member: np.ndarray  # (n_contacts,) bool


@dataclass(frozen=True)
class World:
    """Everything `simulate` made: the five tables and the hidden truth the tables do not show."""

    accounts: pl.DataFrame
    contacts: pl.DataFrame
    events: pl.DataFrame
    outcomes: pl.DataFrame
    oracle: pl.DataFrame
    truth: pl.DataFrame  # per contact: role, level, department, committee, weight, opportunity kind
    account_truth: pl.DataFrame  # per account: kind, fit, customer day
    states: np.ndarray  # (n_accounts, n_days) int8 account state per day
    calendar: Calendar


# --------------------------------------------------------------------------------------------
# The simulation


def simulate(
    n_contacts: int,
    seed: int,
    start: date,
    months: int,
    horizon_days: int,
    *,
    oracle_days: np.ndarray | None = None,
    share_created_before_start: float = SHARE_CREATED_BEFORE_START,
) -> World:
    """Simulate the whole world in memory (no files). Same arguments, same world.

    The oracle is computed at the month-start cutoffs and at `oracle_days` (extra day indices).
    """
    rng = np.random.default_rng(seed)
    calendar = make_calendar(start, months)
    accounts, contacts = _make_population(rng, n_contacts, calendar, share_created_before_start)
    committees = _pick_committees(rng, accounts, contacts, calendar)
    transitions = _transition_matrices(accounts.fit)
    states = _simulate_states(rng, transitions, calendar.n_days)
    opp_day, opp_kind = _simulate_opportunities(rng, states, contacts, committees, calendar)
    ev_contact, ev_time, ev_type = _simulate_events(rng, contacts, committees, states, calendar)
    outcomes = _make_outcomes(rng, contacts, committees, states, calendar, opp_day, ev_contact, ev_time, ev_type)
    days = calendar.cutoff_days
    if oracle_days is not None and oracle_days.size:
        days = np.union1d(days, oracle_days).astype(np.int64)
    oracle = _oracle(transitions, states, contacts, committees, days, calendar, opp_day, horizon_days)

    contact_ids = [f"C{i:07d}" for i in range(1, contacts.role.size + 1)]
    account_ids = [f"A{i:06d}" for i in range(1, accounts.kind.size + 1)]
    contact_id_series = pl.Series("contact_id", contact_ids, dtype=pl.String)
    profile = _competitor_profile(np.random.default_rng([seed, PROFILE_STREAM]), accounts, contacts)
    accounts_frame = _accounts_frame(rng, accounts, account_ids, profile)
    contacts_frame = _contacts_frame(rng, accounts, contacts, contact_ids, account_ids, profile)
    events_frame = _events_frame(contact_id_series, ev_contact, ev_time, ev_type)
    outcomes_frame = _outcomes_frame(contact_id_series, *outcomes)
    oracle_frame = _oracle_frame(contact_id_series, calendar, *oracle)

    weight = np.zeros(contacts.role.size)
    valid = committees.members >= 0
    weight[committees.members[valid]] = committees.weights[valid]
    kind_names = np.array([None, "account", "noise"], dtype=object)
    truth = pl.DataFrame(
        {
            "contact_id": contact_id_series,
            "role": np.array(ROLE_NAMES)[contacts.role],
            "level": contacts.level.astype(np.int64),
            "department": np.array((*DEPARTMENTS, ""))[contacts.department],
            "committee": committees.is_member,
            "weight": weight,
            "opportunity_kind": pl.Series(kind_names[opp_kind].tolist(), dtype=pl.String),
        }
    )
    customer_day = np.where((states == CUSTOMER).any(axis=1), (states == CUSTOMER).argmax(axis=1), -1)
    account_truth = pl.DataFrame(
        {
            "account_id": account_ids,
            "kind": np.array(["company", "university", "competitor"])[accounts.kind],
            "fit": accounts.fit,
            "customer_day": customer_day.astype(np.int64),
        }
    )
    return World(
        accounts=accounts_frame,
        contacts=contacts_frame,
        events=events_frame,
        outcomes=outcomes_frame,
        oracle=oracle_frame,
        truth=truth,
        account_truth=account_truth,
        states=states,
        calendar=calendar,
    )


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def make_calendar(start: date, months: int) -> Calendar:
    end = _add_months(start, months)
    start_dt = datetime(start.year, start.month, start.day)
    end_dt = datetime(end.year, end.month, end.day)
    cutoffs: list[int] = []
    first = date(start.year, start.month, 1)
    for step in range(1, months + 1):
        moment = _add_months(first, step)
        if start < moment < end:
            cutoffs.append((moment - start).days)
    start_s = int((start_dt - EPOCH).total_seconds())
    n_days = (end - start).days
    return Calendar(
        start=start_dt,
        end=end_dt,
        n_days=n_days,
        start_s=start_s,
        end_s=start_s + n_days * DAY,
        cutoff_days=np.array(cutoffs, dtype=np.int64),
    )


def _make_population(
    rng: np.random.Generator,
    n_contacts: int,
    calendar: Calendar,
    share_created_before_start: float = SHARE_CREATED_BEFORE_START,
) -> tuple[_Accounts, _Contacts]:
    """Accounts (companies, universities, competitors) and the contacts that work there."""
    n_students = round(SHARE_STUDENTS * n_contacts)
    n_competitors = max(1, round(SHARE_COMPETITORS * n_contacts))
    n_buyers = n_contacts - n_students - n_competitors
    n_target = max(1, round(n_contacts / 8))
    n_university = max(1, round(n_students / 30)) if n_students >= 2 else 0
    n_competitor_accounts = max(1, round(n_competitors / 12))
    n_company = int(min(n_buyers, max(1, n_target - n_university - n_competitor_accounts)))
    n_accounts = n_company + n_university + n_competitor_accounts

    kind = np.concatenate(
        [np.zeros(n_company, np.int64), np.ones(n_university, np.int64), np.full(n_competitor_accounts, 2, np.int64)]
    )
    industry = rng.choice(len(INDUSTRIES), size=n_accounts, p=_normalized(INDUSTRY_SHARE))
    industry[kind == 1] = INDUSTRIES.index("Education")
    industry[kind == 2] = INDUSTRIES.index("Software")
    country = rng.choice(len(COUNTRIES), size=n_accounts, p=_normalized(COUNTRY_SHARE))
    employees = np.clip(np.round(np.exp(rng.normal(np.log(150.0), 1.5, n_accounts))), 2, 250_000)
    employees[kind == 1] = np.round(np.exp(rng.normal(np.log(3000.0), 0.6, int((kind == 1).sum()))))
    employees[kind == 2] = np.round(np.exp(rng.normal(np.log(250.0), 0.7, int((kind == 2).sum()))))
    per_employee = np.asarray(REVENUE_PER_EMPLOYEE)[industry] * np.exp(rng.normal(0.0, 0.35, n_accounts))
    revenue = np.round(employees * per_employee, -3)

    size_effect = np.clip(np.exp(0.25 * (np.log(employees) - np.log(150.0))), 0.4, 2.5)
    raw_fit = np.asarray(INDUSTRY_FIT)[industry] * size_effect * np.exp(rng.normal(0.0, FIT_NOISE_SIGMA, n_accounts))
    company = kind == 0
    fit = np.zeros(n_accounts)
    fit[company] = np.minimum(raw_fit[company] / raw_fit[company].mean(), MAX_FIT)

    names, domains = _account_names(rng, kind, industry, country)
    accounts = _Accounts(
        kind=kind,
        industry=industry,
        country=country,
        employees=employees.astype(np.int64),
        revenue=revenue,
        fit=fit,
        names=names,
        domains=domains,
    )

    # Buyers: 1..25 per company, more in bigger companies.
    size_weight = np.sqrt(employees[:n_company]) * np.exp(rng.normal(0.0, 0.5, n_company))
    per_company = _allocate(rng, n_buyers, size_weight, MAX_CONTACTS_PER_ACCOUNT)
    buyer_account = np.repeat(np.arange(n_company), per_company)
    # Competitors: spread over the competitor accounts; students: half without an account.
    competitor_sizes = _allocate(rng, n_competitors, np.ones(n_competitor_accounts), MAX_CONTACTS_PER_ACCOUNT)
    competitor_account = n_company + n_university + np.repeat(np.arange(n_competitor_accounts), competitor_sizes)
    student_account = np.full(n_students, -1, np.int64)
    if n_university:
        at_university = rng.random(n_students) < 0.5
        n_at_university = int(at_university.sum())
        university_sizes = _allocate(rng, n_at_university, np.ones(n_university), MAX_CONTACTS_PER_ACCOUNT)
        in_university = n_company + np.repeat(np.arange(n_university), university_sizes)
        student_account[at_university] = rng.permutation(in_university)[:n_at_university]
    account = np.concatenate([buyer_account, competitor_account, student_account]).astype(np.int64)
    role = np.concatenate(
        [np.full(n_buyers, ROLE_BUYER), np.full(n_competitors, ROLE_COMPETITOR), np.full(n_students, ROLE_STUDENT)]
    ).astype(np.int64)

    n = account.size
    department = rng.choice(len(DEPARTMENTS), size=n, p=_normalized(DEPARTMENT_SHARE))
    level = 1 + rng.choice(5, size=n, p=_normalized(LEVEL_SHARE))
    executive = department == DEPARTMENTS.index("executive")
    level[executive & (level >= 4)] = 5
    level[executive & (level <= 2)] = 1
    level[executive & (level == 3)] = 5
    students = role == ROLE_STUDENT
    level[students] = 0
    department[students] = -1
    contact_country = np.where(
        account >= 0, country[np.maximum(account, 0)], rng.choice(len(COUNTRIES), size=n, p=_normalized(COUNTRY_SHARE))
    )

    before = rng.random(n) < share_created_before_start
    created_day = np.where(
        before,
        -1 - rng.integers(0, 730, n),
        rng.integers(0, calendar.n_days, n),
    )
    created_s = (
        calendar.start_s + created_day * DAY + _time_of_day(rng, np.asarray(COUNTRY_UTC_OFFSET)[contact_country])
    )

    engagement = np.exp(rng.normal(0.0, 0.6, n)) * np.array([1.0, 1.0, 1.15, 1.0, 0.85, 0.6])[level]
    source_share = np.where(students[:, None], _normalized(STUDENT_LEAD_SOURCE_SHARE), _normalized(LEAD_SOURCE_SHARE))
    lead_source = (rng.random(n)[:, None] > np.cumsum(source_share, axis=1)).sum(axis=1)
    lead_source = np.minimum(lead_source, len(LEAD_SOURCES) - 1)
    # Sales teams prospect good-fit accounts: outbound leads lean to high fit.
    fit_of_contact = np.where(account >= 0, fit[np.maximum(account, 0)], 0.0)
    outbound = (role == ROLE_BUYER) & (rng.random(n) < 0.08 * np.minimum(fit_of_contact, 3.0))
    lead_source[outbound] = LEAD_SOURCES.index("outbound")

    # Contact ids follow creation time, as in a real CRM.
    order = np.argsort(created_s, kind="stable")
    contacts = _Contacts(
        account=account[order],
        role=role[order],
        level=level[order],
        department=department[order],
        country=contact_country[order],
        created_s=created_s[order],
        engagement=engagement[order],
        lead_source=lead_source[order],
    )
    return accounts, contacts


def _competitor_profile(rng: np.random.Generator, accounts: _Accounts, contacts: _Contacts) -> _Profile:
    """Competitors as a CRM shows them: their accounts mostly in the vendor's own industry, their
    titles leaning to product and analyst roles, their lead source organic. Only `rng` (a stream of
    its own) is drawn from, so buyers, students and everything the simulation drew stay the same."""
    rivals = np.flatnonzero(accounts.kind == 2)
    industry = np.full(accounts.kind.size, None, dtype=object)
    pick = rng.choice(len(COMPETITOR_INDUSTRIES), size=rivals.size, p=_normalized(COMPETITOR_INDUSTRY_SHARE))
    industry[rivals] = np.array(COMPETITOR_INDUSTRIES, dtype=object)[pick]

    staff = np.flatnonzero(contacts.role == ROLE_COMPETITOR)
    title = np.full(contacts.role.size, None, dtype=object)
    titled = staff[rng.random(staff.size) < P_COMPETITOR_PROFILE_TITLE]
    title[titled] = np.array(COMPETITOR_TITLES, dtype=object)[rng.integers(0, len(COMPETITOR_TITLES), titled.size)]

    # The drawn source still decides the form at creation (events): an inbound one stays inbound-looking.
    inbound = np.isin(contacts.lead_source[staff], [LEAD_SOURCES.index(s) for s in INBOUND_SOURCES])
    first = rng.random(staff.size) < P_COMPETITOR_FIRST_SOURCE
    lead_source = np.full(contacts.role.size, None, dtype=object)
    lead_source[staff] = np.where(
        inbound,
        np.where(first, COMPETITOR_INBOUND_SOURCES[0], COMPETITOR_INBOUND_SOURCES[1]),
        np.where(first, COMPETITOR_OTHER_SOURCES[0], COMPETITOR_OTHER_SOURCES[1]),
    )
    return _Profile(industry=industry, title=title, lead_source=lead_source)


def _normalized(values: tuple[float, ...]) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    normalized: np.ndarray = array / array.sum()
    return normalized


def _allocate(rng: np.random.Generator, total: int, weight: np.ndarray, cap: int) -> np.ndarray:
    """Spread `total` items over bins: at least one each, at most `cap`, in proportion to `weight`."""
    bins = weight.size
    counts = np.ones(bins, np.int64)
    remaining = total - bins
    while remaining > 0:
        room = counts < cap
        if not room.any():
            break
        share = np.where(room, weight, 0.0)
        add = rng.multinomial(remaining, share / share.sum())
        counts += add
        over = np.maximum(counts - cap, 0)
        counts -= over
        remaining = int(over.sum())
    return counts


def _time_of_day(rng: np.random.Generator, utc_offset_hours: np.ndarray) -> np.ndarray:
    """Seconds after UTC midnight in [1, 86399]: mostly office hours in the contact's country."""
    n = utc_offset_hours.size
    local = np.where(
        rng.random(n) < 0.85,
        np.clip(rng.normal(13.0, 2.6, n), 6.0, 22.5),
        rng.random(n) * 24.0,
    )
    seconds = np.floor(np.mod(local - utc_offset_hours, 24.0) * 3600.0).astype(np.int64)
    clipped: np.ndarray = np.clip(seconds, 1, DAY - 1)
    return clipped


def _account_names(
    rng: np.random.Generator, kind: np.ndarray, industry: np.ndarray, country: np.ndarray
) -> tuple[list[str], list[str]]:
    names: list[str] = []
    domains: list[str] = []
    seen: set[str] = set()
    taken: set[str] = set()
    prefix = rng.integers(0, len(NAME_PREFIXES), kind.size)
    core = rng.integers(0, len(NAME_CORES), kind.size)
    word = rng.integers(0, 4, kind.size)
    suffix = rng.integers(0, 4, kind.size)
    tag = rng.integers(0, len(REGION_TAGS), kind.size)
    place = rng.integers(0, len(UNIVERSITY_PLACES), kind.size)
    form = rng.integers(0, len(UNIVERSITY_FORMS), kind.size)
    competitor = rng.integers(0, len(COMPETITOR_NAMES), kind.size)
    for i in range(kind.size):
        if kind[i] == 1:
            base = UNIVERSITY_FORMS[form[i]].format(UNIVERSITY_PLACES[place[i]])
            stem = UNIVERSITY_PLACES[place[i]].lower()
            tld = "edu" if COUNTRIES[country[i]] == "US" else COUNTRY_TLD[country[i]]
        elif kind[i] == 2:
            base = f"{COMPETITOR_NAMES[competitor[i]]} {COUNTRY_COMPANY_SUFFIX[country[i]][0]}"
            stem = COMPETITOR_NAMES[competitor[i]].lower()
            tld = "com"
        else:
            brand = NAME_PREFIXES[prefix[i]] + NAME_CORES[core[i]]
            base = f"{brand} {INDUSTRY_WORDS[industry[i]][word[i]]} {COUNTRY_COMPANY_SUFFIX[country[i]][suffix[i]]}"
            stem = brand.lower()
            tld = COUNTRY_TLD[country[i]]
        name = base
        round_ = 0
        while name in seen:
            round_ += 1
            name = f"{base} {REGION_TAGS[(tag[i] + round_) % len(REGION_TAGS)]}"
            if round_ >= len(REGION_TAGS):
                name = f"{base} {round_}"
        seen.add(name)
        names.append(name)
        domains.append(_unique_domain(f"{stem}{'' if round_ == 0 else round_}", tld, name, taken))
    return names, domains


def _unique_domain(stem: str, tld: str, name: str, taken: set[str]) -> str:
    """`stem.tld`, or, when an earlier account holds it, the stem with the name's next words
    ("bluestonelabs.com" for Bluestone Labs Inc), then a number: every account its own domain, as in
    a real CRM, derived without a random draw. `taken` gains the domain returned."""
    words = [w for w in map(_ascii_slug, name.split()) if w and w != "of" and not stem.startswith(w)]
    candidates = [stem, *(stem + "".join(words[:k]) for k in range(1, len(words) + 1))]
    domain = next((f"{c}.{tld}" for c in candidates if c and f"{c}.{tld}" not in taken), None)
    number = 2
    while domain is None:
        candidate = f"{stem}{number}.{tld}"
        domain = None if candidate in taken else candidate
        number += 1
    taken.add(domain)
    return domain


def _pick_committees(
    rng: np.random.Generator, accounts: _Accounts, contacts: _Contacts, calendar: Calendar
) -> _Committees:
    """2-6 members per company, only among contacts created before `start`.

    A weighted sample without replacement, weight seniority^2 x department relevance.
    """
    n_accounts = accounts.kind.size
    members = np.full((n_accounts, MAX_COMMITTEE), -1, np.int64)
    weights = np.zeros((n_accounts, MAX_COMMITTEE))
    eligible = np.flatnonzero(
        (contacts.role == ROLE_BUYER) & (contacts.account >= 0) & (contacts.created_s < calendar.start_s)
    )
    size = np.clip(2 + rng.poisson(np.clip(0.55 * np.log10(accounts.employees), 0.3, 4.0)), 2, MAX_COMMITTEE)
    relevance = SENIORITY_WEIGHT[contacts.level[eligible]] ** 2 * DEPARTMENT_RELEVANCE[contacts.department[eligible]]
    # Efraimidis-Spirakis: the smallest Exp(1)/weight keys are a weighted sample without replacement.
    key = rng.exponential(1.0, eligible.size) / np.maximum(relevance, 1e-9)
    account = contacts.account[eligible]
    order = np.lexsort((key, account))
    sorted_account = account[order]
    first = np.searchsorted(sorted_account, sorted_account, side="left")
    rank = np.arange(order.size) - first
    chosen = rank < size[sorted_account]
    chosen_contacts = eligible[order][chosen]
    chosen_accounts = sorted_account[chosen]
    chosen_rank = rank[chosen]
    members[chosen_accounts, chosen_rank] = chosen_contacts
    weights[chosen_accounts, chosen_rank] = SENIORITY_WEIGHT[contacts.level[chosen_contacts]]
    is_member = np.zeros(contacts.role.size, bool)
    is_member[chosen_contacts] = True
    return _Committees(members=members, weights=weights, is_member=is_member)


def _transition_matrices(fit: np.ndarray) -> np.ndarray:
    """The daily 4x4 transition matrix of every account, shape (n_accounts, 4, 4)."""
    n = fit.size
    matrices = np.zeros((n, 4, 4))
    to_research = np.minimum(fit * P_OUT_RESEARCH_PER_FIT, 0.5)
    matrices[:, OUT, OUT] = 1.0 - to_research
    matrices[:, OUT, RESEARCH] = to_research
    matrices[:, RESEARCH, OUT] = P_RESEARCH_OUT
    matrices[:, RESEARCH, RESEARCH] = 1.0 - P_RESEARCH_OUT - P_RESEARCH_EVAL
    matrices[:, RESEARCH, EVAL] = P_RESEARCH_EVAL
    matrices[:, EVAL, OUT] = P_EVAL_OUT
    matrices[:, EVAL, EVAL] = 1.0 - P_EVAL_OUT - P_EVAL_CUSTOMER
    matrices[:, EVAL, CUSTOMER] = P_EVAL_CUSTOMER
    matrices[:, CUSTOMER, CUSTOMER] = 1.0
    return matrices


def _simulate_states(rng: np.random.Generator, transitions: np.ndarray, n_days: int) -> np.ndarray:
    """The state of every account on every day, shape (n_accounts, n_days), int8."""
    n: int = transitions.shape[0]
    # Day 0: the quasi-stationary law of the chain whose CUSTOMER step returns to OUT.
    to_research = transitions[:, OUT, RESEARCH]
    research = to_research / (P_RESEARCH_EVAL + P_RESEARCH_OUT)
    evaluation = research * P_RESEARCH_EVAL / (P_EVAL_OUT + P_EVAL_CUSTOMER)
    initial = np.stack([np.ones(n), research, evaluation], axis=1)
    initial /= initial.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(transitions, axis=2)
    cumulative[:, :, -1] = 1.0
    states = np.zeros((n, n_days), np.int8)
    u0 = rng.random(size=n)
    init_cum = np.cumsum(initial, axis=1)
    init_cum[:, -1] = 1.0
    states[:, 0] = (u0[:, None] >= init_cum).sum(axis=1)
    uniforms = rng.random((n_days, n))
    rows = np.arange(n)
    current = states[:, 0].astype(np.int64)
    for day in range(1, n_days):
        thresholds = cumulative[rows, current]
        current = (uniforms[day][:, None] >= thresholds).sum(axis=1)
        states[:, day] = current
    return states


def _simulate_opportunities(
    rng: np.random.Generator,
    states: np.ndarray,
    contacts: _Contacts,
    committees: _Committees,
    calendar: Calendar,
) -> tuple[np.ndarray, np.ndarray]:
    """Day of each contact's opportunity (-1 if none) and its kind (0 none, 1 account, 2 noise)."""
    n = contacts.role.size
    # Noise: the first daily Bernoulli(h0) success from the day after creation (day 0 at the earliest).
    created_day = np.floor_divide(contacts.created_s - calendar.start_s, DAY)
    first_day = np.maximum(created_day + 1, 0)
    noise_day = first_day + rng.geometric(H0, n) - 1
    noise_day[contacts.role != ROLE_BUYER] = np.iinfo(np.int64).max
    opp_day = np.where(noise_day < calendar.n_days, noise_day, -1)
    kind = np.where(opp_day >= 0, 2, 0)

    # The account draw on its CUSTOMER day, among members open at the start of that day.
    became_customer = (states[:, 1:] == CUSTOMER) & (states[:, :-1] == EVAL)
    accounts_won = np.flatnonzero(became_customer.any(axis=1))
    customer_day = became_customer[accounts_won].argmax(axis=1) + 1
    uniforms = rng.random(accounts_won.size)
    for account, day, u in zip(accounts_won, customer_day, uniforms, strict=True):
        members = committees.members[account]
        present = members >= 0
        open_members = present & (noise_day[np.maximum(members, 0)] >= day)
        if not open_members.any():
            continue
        weights = np.where(open_members, committees.weights[account], 0.0)
        cumulative = np.cumsum(weights) / weights.sum()
        pick = min(int((u >= cumulative).sum()), MAX_COMMITTEE - 1)
        while not open_members[pick]:  # guard against a zero-width step at the edge
            pick -= 1
        winner = members[pick]
        opp_day[winner] = day
        kind[winner] = 1
    return opp_day, kind


def _site_events(
    rng: np.random.Generator,
    contact: np.ndarray,
    t0: np.ndarray,
    t1: np.ndarray,
    rates: np.ndarray,
    utc_offset: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson events of the SITE_EVENTS types over segments (t0, t1) in seconds, per contact.

    `rates` has shape (n_segments, len(SITE_EVENTS)), per day. Days are drawn uniformly, the time of
    day from office hours in the contact's country; weekend days keep WEEKEND_KEEP of their events.
    """
    duration_days = (t1 - t0) / DAY
    counts = rng.poisson(rates * duration_days[:, None])
    segment, type_slot = np.nonzero(counts)
    repeat = counts[segment, type_slot]
    segment = np.repeat(segment, repeat)
    type_slot = np.repeat(type_slot, repeat)
    d0 = np.floor_divide(t0, DAY)[segment]
    d1 = np.floor_divide(t1 - 1, DAY)[segment]
    day = d0 + np.floor(rng.random(segment.size) * (d1 - d0 + 1)).astype(np.int64)
    who = contact[segment]
    moment = day * DAY + _time_of_day(rng, utc_offset[who])
    weekday = np.mod(day + 3, 7)  # 1970-01-01 was a Thursday
    keep = (moment > t0[segment]) & (moment < t1[segment])
    keep &= (weekday < 5) | (rng.random(segment.size) < WEEKEND_KEEP)
    site_types = np.array([EV[name] for name in SITE_EVENTS])
    return who[keep], moment[keep], site_types[type_slot[keep]]


def _simulate_events(
    rng: np.random.Generator,
    contacts: _Contacts,
    committees: _Committees,
    states: np.ndarray,
    calendar: Calendar,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All events as (contact index, seconds since epoch, event type index), unsorted."""
    n = contacts.role.size
    offsets = np.asarray(COUNTRY_UTC_OFFSET)[contacts.country]
    created = contacts.created_s
    active_from = np.maximum(created, calendar.start_s)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    # What a committee member does depends on its account's state (OUT for everyone else).
    member_state = _MemberStates(committees, contacts.account, states)
    in_account = np.flatnonzero(contacts.account >= 0)

    # 1. Baseline and heavy engagers: one segment per contact over its whole active life.
    base = np.tile(np.asarray(RATES_BASELINE), (n, 1))
    base[contacts.role == ROLE_STUDENT] = RATES_STUDENT
    base[contacts.role == ROLE_COMPETITOR] = RATES_COMPETITOR
    live = active_from < calendar.end_s
    rows = np.flatnonzero(live)
    parts.append(
        _site_events(
            rng,
            rows,
            active_from[rows],
            np.full(rows.size, calendar.end_s),
            base[rows] * contacts.engagement[rows, None],
            offsets,
        )
    )

    # 2. Buying committees and colleagues: one segment per run of RESEARCH or EVAL days.
    run_account, run_state, run_start, run_end = _state_runs(states)
    in_market = (run_state == RESEARCH) | (run_state == EVAL)
    run_account, run_state, run_start, run_end = (
        run_account[in_market],
        run_state[in_market],
        run_start[in_market],
        run_end[in_market],
    )
    if run_account.size:
        account_of = contacts.account[in_account]
        order = np.argsort(account_of, kind="stable")
        sorted_contacts = in_account[order]
        sorted_accounts = account_of[order]
        lo = np.searchsorted(sorted_accounts, run_account, side="left")
        hi = np.searchsorted(sorted_accounts, run_account, side="right")
        per_run = hi - lo
        seg_run = np.repeat(np.arange(run_account.size), per_run)
        seg_contact = sorted_contacts[np.repeat(lo, per_run) + _ranges(per_run)]
        t0 = np.maximum(calendar.start_s + run_start[seg_run] * DAY, created[seg_contact])
        t1 = calendar.start_s + run_end[seg_run] * DAY
        ok = t0 < t1
        seg_run, seg_contact, t0, t1 = seg_run[ok], seg_contact[ok], t0[ok], t1[ok]
        member = committees.is_member[seg_contact]
        research_or_eval = np.where(
            run_state[seg_run][:, None] == EVAL, np.asarray(RATES_EVAL), np.asarray(RATES_RESEARCH)
        )
        rates = np.where(member[:, None], research_or_eval, np.asarray(RATES_COLLEAGUE))
        intensity = np.where(member, np.exp(rng.normal(0.0, 0.4, seg_contact.size)), 1.0)
        intensity = intensity * np.sqrt(contacts.engagement[seg_contact])
        parts.append(_site_events(rng, seg_contact, t0, t1, rates * intensity[:, None], offsets))

    # 3. Email campaigns: weekly newsletter and promotions; opens, clicks and unsubscribes.
    parts.append(_email_events(rng, contacts, member_state, calendar))

    # 4. Webinars: registration is a form fill, about half of the registrants attend.
    parts.append(_webinar_events(rng, contacts, member_state, calendar))

    # 5. Inbound leads created inside the history arrive through a form.
    inbound = np.isin(contacts.lead_source, [LEAD_SOURCES.index(s) for s in INBOUND_SOURCES])
    fresh = np.flatnonzero(inbound & (created >= calendar.start_s))
    moment = created[fresh] + rng.integers(5, 600, fresh.size)
    first_type = np.where(rng.random(fresh.size) < 0.7, EV["form_fill"], EV["content_download"])
    keep = moment < calendar.end_s
    parts.append((fresh[keep], moment[keep], first_type[keep]))

    who = np.concatenate([p[0] for p in parts]).astype(np.int64)
    when = np.concatenate([p[1] for p in parts]).astype(np.int64)
    what = np.concatenate([p[2] for p in parts]).astype(np.int64)
    inside = (when > created[who]) & (when >= calendar.start_s) & (when < calendar.end_s)
    return who[inside], when[inside], what[inside]


class _MemberStates:
    """The state of each contact's account on a given day for committee members, OUT otherwise."""

    def __init__(self, committees: _Committees, account: np.ndarray, states: np.ndarray) -> None:
        self._rows = np.flatnonzero(committees.is_member)
        self._accounts = account[self._rows]
        self._states = states
        self._n = account.size

    def on(self, day: int) -> np.ndarray:
        state = np.zeros(self._n, np.int64)
        state[self._rows] = self._states[self._accounts, day]
        return state


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """Concatenated aranges: [0..lengths[0]), [0..lengths[1]), ..."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    offsets: np.ndarray = np.arange(total) - starts
    return offsets


def _state_runs(states: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Maximal runs of one state per account: (account, state, first day, day after last)."""
    n, days = states.shape
    change = np.ones((n, days), bool)
    change[:, 1:] = states[:, 1:] != states[:, :-1]
    account, start = np.nonzero(change)
    next_start = np.empty_like(start)
    next_start[:-1] = start[1:]
    next_start[-1] = days
    last_of_account = np.ones(account.size, bool)
    last_of_account[:-1] = account[1:] != account[:-1]
    end = np.where(last_of_account, days, next_start)
    return account, states[account, start].astype(np.int64), start, end


def _email_events(
    rng: np.random.Generator,
    contacts: _Contacts,
    member_state: _MemberStates,
    calendar: Calendar,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = contacts.role.size
    sends = _campaign_schedule(rng, calendar)
    heavy = contacts.role != ROLE_BUYER
    p_open_base = np.clip(rng.beta(1.6, 4.4, n) * np.where(heavy, 2.0, 1.0) * np.sqrt(contacts.engagement), 0.0, 0.9)
    p_click_base = np.where(heavy, 0.35, 0.12)
    p_unsubscribe = np.where(heavy, 0.0005, 0.0025)
    open_boost = np.array([1.0, 1.6, 1.8, 1.0])
    click_boost = np.array([1.0, 2.8, 3.2, 1.0])
    subscribed = np.ones(n, bool)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for send, audience_share in sends:
        day = (send - calendar.start_s) // DAY
        state = member_state.on(day)
        eligible = (contacts.created_s < send) & (rng.random(n) < audience_share)
        received = eligible & (subscribed | (rng.random(n) < 0.05))
        p_open = np.minimum(p_open_base * open_boost[state], 0.95)
        opened = np.flatnonzero(received & (rng.random(n) < p_open))
        first_open = send + np.round(np.exp(rng.normal(np.log(2 * 3600.0), 1.2, opened.size))).astype(np.int64)
        extra = rng.poisson(0.6, opened.size)
        again_who = np.repeat(opened, extra)
        again = np.repeat(first_open, extra) + np.round(
            np.exp(rng.normal(np.log(20 * 3600.0), 1.0, again_who.size))
        ).astype(np.int64)
        p_click = np.minimum(p_click_base[opened] * click_boost[state[opened]], 0.9)
        clicked = rng.random(opened.size) < p_click
        click_time = first_open[clicked] + np.round(np.exp(rng.normal(np.log(90.0), 1.0, int(clicked.sum())))).astype(
            np.int64
        )
        unsubscribing = np.flatnonzero(received & subscribed & (rng.random(n) < p_unsubscribe))
        unsubscribe_time = send + np.round(np.exp(rng.normal(np.log(3 * 3600.0), 1.0, unsubscribing.size))).astype(
            np.int64
        )
        subscribed[unsubscribing] = False
        parts.append((opened, first_open, np.full(opened.size, EV["email_open"])))
        parts.append((again_who, again, np.full(again_who.size, EV["email_open"])))
        parts.append((opened[clicked], click_time, np.full(click_time.size, EV["email_click"])))
        parts.append((unsubscribing, unsubscribe_time, np.full(unsubscribing.size, EV["email_unsubscribe"])))
    return _joined(parts)


def _joined(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(who, when, event type) of every part, one after another; empty int64 arrays without parts."""
    if not parts:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


def _campaign_schedule(rng: np.random.Generator, calendar: Calendar) -> list[tuple[int, float]]:
    """(send time in seconds, share of the database targeted), in time order."""
    sends: list[tuple[int, float]] = []
    first_tuesday = (1 - (calendar.start_s // DAY + 3)) % 7  # weekday 1 is Tuesday
    for day in range(int(first_tuesday), calendar.n_days, 7):
        moment = calendar.start_s + day * DAY + 14 * 3600 + int(rng.integers(0, 1800))
        sends.append((moment, 0.95))
    n_promotions = rng.poisson(2.5 * calendar.n_days / 30.4)
    promo_days = rng.integers(0, calendar.n_days, n_promotions)
    for day in promo_days:
        weekday = (calendar.start_s // DAY + int(day) + 3) % 7
        if weekday >= 5:
            continue
        moment = calendar.start_s + int(day) * DAY + int(rng.integers(12 * 3600, 18 * 3600))
        sends.append((moment, float(rng.uniform(0.3, 0.8))))
    sends.sort()
    return sends


def _webinar_events(
    rng: np.random.Generator, contacts: _Contacts, member_state: _MemberStates, calendar: Calendar
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = contacts.role.size
    heavy = contacts.role != ROLE_BUYER
    p_register_base = np.where(heavy, 0.08, 0.006 * contacts.engagement)
    register_boost = np.array([1.0, 12.0, 8.0, 1.0])
    n_webinars = rng.poisson(2.0 * calendar.n_days / 30.4)
    days = np.sort(rng.integers(0, calendar.n_days, n_webinars))
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for day in days:
        moment = calendar.start_s + int(day) * DAY + int(rng.integers(14 * 3600, 18 * 3600))
        state = member_state.on(int(day))
        p_register = np.minimum(p_register_base * register_boost[state], 0.6)
        lead_days = rng.integers(1, 15, n)
        registered_at = moment - lead_days * DAY + rng.integers(-4 * 3600, 4 * 3600, n)
        registered = np.flatnonzero((contacts.created_s < registered_at) & (rng.random(n) < p_register))
        attended = registered[rng.random(registered.size) < 0.55]
        joined = moment + rng.integers(-300, 900, attended.size)
        parts.append((registered, registered_at[registered], np.full(registered.size, EV["form_fill"])))
        parts.append((attended, joined, np.full(attended.size, EV["webinar_attended"])))
    return _joined(parts)


def _make_outcomes(
    rng: np.random.Generator,
    contacts: _Contacts,
    committees: _Committees,
    states: np.ndarray,
    calendar: Calendar,
    opp_day: np.ndarray,
    ev_contact: np.ndarray,
    ev_time: np.ndarray,
    ev_type: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcomes as (contact index, seconds since epoch, outcome index)."""
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    # mql: the first form fill or demo request.
    hand_raise = (ev_type == EV["form_fill"]) | (ev_type == EV["demo_request"])
    who, when = _first_per_contact(ev_contact[hand_raise], ev_time[hand_raise])
    parts.append((who, when, np.full(who.size, OC["mql"])))

    # sql: a committee member's first demo request on a day its account is in EVAL.
    demo = ev_type == EV["demo_request"]
    demo_who, demo_when = ev_contact[demo], ev_time[demo]
    member = committees.is_member[demo_who]
    demo_who, demo_when = demo_who[member], demo_when[member]
    demo_day = (demo_when - calendar.start_s) // DAY
    evaluating = states[contacts.account[demo_who], demo_day] == EVAL
    who, when = _first_per_contact(demo_who[evaluating], demo_when[evaluating])
    when = when + rng.integers(3600, 48 * 3600, who.size)
    keep = when < calendar.end_s
    parts.append((who[keep], when[keep], np.full(int(keep.sum()), OC["sql"])))

    # opportunity, and closed_won for about 30 % of them.
    who = np.flatnonzero(opp_day >= 0)
    offsets = np.asarray(COUNTRY_UTC_OFFSET)[contacts.country[who]]
    when = calendar.start_s + opp_day[who] * DAY + _time_of_day(rng, offsets)
    parts.append((who, when, np.full(who.size, OC["opportunity"])))
    won = rng.random(who.size) < P_CLOSED_WON
    won_when = when[won] + rng.integers(30 * DAY, 120 * DAY, int(won.sum()))
    keep = won_when < calendar.end_s
    parts.append((who[won][keep], won_when[keep], np.full(int(keep.sum()), OC["closed_won"])))

    return (
        np.concatenate([p[0] for p in parts]).astype(np.int64),
        np.concatenate([p[1] for p in parts]).astype(np.int64),
        np.concatenate([p[2] for p in parts]).astype(np.int64),
    )


def _first_per_contact(who: np.ndarray, when: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if who.size == 0:
        return who, when
    order = np.lexsort((when, who))
    sorted_who = who[order]
    first = np.ones(order.size, bool)
    first[1:] = sorted_who[1:] != sorted_who[:-1]
    return sorted_who[first], when[order][first]


def _first_passage(transitions: np.ndarray, horizon: int) -> np.ndarray:
    """f[s, a, d-1]: probability that account a, in state s (OUT, RESEARCH, EVAL) now, first
    enters CUSTOMER at exactly the d-th daily transition, d = 1..horizon."""
    n = transitions.shape[0]
    distribution = np.zeros((n, 3, 4))
    for s in (OUT, RESEARCH, EVAL):
        distribution[:, s, s] = 1.0
    into_customer = transitions[:, EVAL, CUSTOMER]
    passage = np.zeros((3, n, horizon))
    for d in range(horizon):
        passage[:, :, d] = (distribution[:, :, EVAL] * into_customer[:, None]).T
        distribution = np.matmul(distribution, transitions)
    return passage


def _oracle(
    transitions: np.ndarray,
    states: np.ndarray,
    contacts: _Contacts,
    committees: _Committees,
    days: np.ndarray,
    calendar: Calendar,
    opp_day: np.ndarray,
    horizon: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(contact index, cutoff day, p_oracle) for every open contact at the start of every day in
    `days` (the month-start cutoffs, plus any extra oracle days), in the order of `days`."""
    n = contacts.role.size
    passage = _first_passage(transitions, horizon)
    d = np.arange(1, horizon + 1)
    still_open = (1.0 - H0) ** (d - 1)  # q_d: another open member has no noise opportunity yet
    bits = ((np.arange(2**MAX_COMMITTEE)[:, None] >> np.arange(MAX_COMMITTEE)) & 1).astype(bool)
    popcount = bits.sum(axis=1)
    members = committees.members
    present = members >= 0
    safe_members = np.maximum(members, 0)
    buyers = contacts.role == ROLE_BUYER
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for cutoff in days:
        cutoff_s = calendar.start_s + int(cutoff) * DAY
        open_now = (contacts.created_s <= cutoff_s) & ((opp_day < 0) | (opp_day >= cutoff))
        state = states[:, cutoff - 1].astype(np.int64)
        f = np.zeros((states.shape[0], horizon))
        not_customer = state != CUSTOMER
        f[not_customer] = passage[state[not_customer], np.flatnonzero(not_customer)]
        open_members = present & open_now[safe_members]
        m = open_members.sum(axis=1)
        # g[a, k] = sum_d f[a, d] q_d^k (1 - q_d)^(m_a - 1 - k): exactly k other members still open.
        g = np.zeros((states.shape[0], MAX_COMMITTEE))
        for k in range(MAX_COMMITTEE):
            exponent = m - 1 - k
            valid = exponent >= 0
            power = (1.0 - still_open)[None, :] ** np.maximum(exponent, 0)[:, None]
            g[:, k] = np.where(valid, (f * still_open[None, :] ** k * power).sum(axis=1), 0.0)
        open_weights = np.where(open_members, committees.weights, 0.0)
        subset_ok = ~(bits[None, :, :] & ~open_members[:, None, :]).any(axis=2)  # (accounts, masks)
        mask_weight = open_weights @ bits.T.astype(np.float64)
        g_of_mask = g[:, popcount.clip(max=MAX_COMMITTEE - 1)]
        p_account = np.zeros_like(open_weights)
        for i in range(MAX_COMMITTEE):
            usable = subset_ok & ~bits[None, :, i] & open_members[:, i : i + 1]
            w_i = open_weights[:, i : i + 1]
            share = np.divide(w_i, w_i + mask_weight, out=np.zeros_like(mask_weight), where=usable)
            p_account[:, i] = (share * g_of_mask).sum(axis=1)
        p_contact = np.zeros(n)
        p_contact[members[open_members]] = p_account[open_members]
        rows = np.flatnonzero(open_now)
        p = np.where(buyers[rows], 1.0 - (1.0 - H0) ** horizon * (1.0 - p_contact[rows]), 0.0)
        parts.append((rows, np.full(rows.size, cutoff), p))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


# --------------------------------------------------------------------------------------------
# Frames


def _datetimes(seconds: np.ndarray) -> pl.Series:
    return pl.Series((np.asarray(seconds, np.int64) * 1_000_000).astype("datetime64[us]"), dtype=pl.Datetime("us"))


def _accounts_frame(
    rng: np.random.Generator, accounts: _Accounts, account_ids: list[str], profile: _Profile
) -> pl.DataFrame:
    n = accounts.kind.size
    missing = rng.random((4, n)) < np.array([[0.03], [0.04], [0.08], [0.02]])
    own = np.array(INDUSTRIES, dtype=object)[accounts.industry]
    industry = np.where(_is_none(profile.industry), own, profile.industry)
    industry[missing[0]] = None
    country = np.array(COUNTRIES, dtype=object)[accounts.country]
    country[missing[3]] = None
    return pl.DataFrame(
        {
            "account_id": pl.Series(account_ids, dtype=pl.String),
            "name": pl.Series(accounts.names, dtype=pl.String),
            "industry": pl.Series(industry.tolist(), dtype=pl.String),
            "employee_count": pl.Series(np.where(missing[1], np.nan, accounts.employees)).fill_nan(None).cast(pl.Int64),
            "annual_revenue": pl.Series(np.where(missing[2], np.nan, accounts.revenue)).fill_nan(None),
            "country": pl.Series(country.tolist(), dtype=pl.String),
        }
    )


def _contacts_frame(
    rng: np.random.Generator,
    accounts: _Accounts,
    contacts: _Contacts,
    contact_ids: list[str],
    account_ids: list[str],
    profile: _Profile,
) -> pl.DataFrame:
    n = contacts.role.size
    first_index = rng.integers(0, len(FIRST_NAMES), n)
    last_index = rng.integers(0, len(LAST_NAMES), n)
    email_style = rng.integers(0, 4, n)
    email_number = rng.integers(1, 99, n)
    personal = rng.integers(0, len(PERSONAL_DOMAINS), n)
    phone_digits = rng.integers(0, 10, (n, 10))
    has_phone = rng.random(n) < np.where(contacts.role == ROLE_STUDENT, 0.3, 0.75)
    has_email = rng.random(n) < 0.97
    title_noise = rng.random((6, n))
    title_pick = rng.integers(0, 1_000_000, (3, n))
    first_names = [FIRST_NAMES[i] for i in first_index]
    last_names = [LAST_NAMES[i] for i in last_index]
    slugs = {name: _ascii_slug(name) for name in (*FIRST_NAMES, *LAST_NAMES)}
    emails: list[str | None] = []
    phones: list[str | None] = []
    titles: list[str | None] = []
    account_column: list[str | None] = []
    for i in range(n):
        account = int(contacts.account[i])
        account_column.append(account_ids[account] if account >= 0 else None)
        first = slugs[first_names[i]]
        last = slugs[last_names[i]]
        domain = accounts.domains[account] if account >= 0 else PERSONAL_DOMAINS[personal[i]]
        style = email_style[i]
        local = (
            f"{first}.{last}"
            if style == 0
            else f"{first[0]}{last}"
            if style == 1
            else f"{first}_{last}{email_number[i]}"
            if style == 2
            else f"{first}{email_number[i]}"
        )
        emails.append(f"{local}@{domain}" if has_email[i] else None)
        country = int(contacts.country[i])
        if has_phone[i]:
            digits = "".join(str(x) for x in phone_digits[i])
            code = COUNTRY_CALLING_CODE[country]
            phones.append(
                f"+1 ({digits[:3]}) 555-{digits[6:10]}" if code == "1" else f"+{code} {digits[:3]} {digits[3:10]}"
            )
        else:
            phones.append(None)
        company = accounts.names[account] if account >= 0 else ""
        titles.append(
            _job_title(
                int(contacts.level[i]),
                int(contacts.department[i]),
                COUNTRY_LANGUAGE.get(COUNTRIES[country]),
                company,
                title_noise[:, i],
                title_pick[:, i],
                profile.title[i],
            )
        )
    return pl.DataFrame(
        {
            "contact_id": pl.Series(contact_ids, dtype=pl.String),
            "account_id": pl.Series(account_column, dtype=pl.String),
            "created_at": _datetimes(contacts.created_s),
            "email": pl.Series(emails, dtype=pl.String),
            "first_name": pl.Series(first_names, dtype=pl.String),
            "last_name": pl.Series(last_names, dtype=pl.String),
            "phone": pl.Series(phones, dtype=pl.String),
            "job_title": pl.Series(titles, dtype=pl.String),
            "lead_source": pl.Series(
                np.where(_is_none(profile.lead_source), np.array(LEAD_SOURCES, dtype=object)[contacts.lead_source], profile.lead_source).tolist(),
                dtype=pl.String,
            ),
        }
    )


def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _is_none(values: np.ndarray) -> np.ndarray:
    none: np.ndarray = np.equal(values, None)
    return none


def _job_title(
    level: int,
    department: int,
    language: str | None,
    company: str,
    noise: np.ndarray,
    pick: np.ndarray,
    shown: str | None = None,
) -> str | None:
    """A free-text title for a hidden (level, department), or the title `shown` when given, with the
    noise of hand-typed CRM data."""
    if noise[0] < 0.04:
        return None
    if noise[0] < 0.05:
        return ""
    if shown is not None:
        title = shown
    elif level == 0:
        title = STUDENT_TITLES[pick[0] % len(STUDENT_TITLES)]
    else:
        dept = DEPARTMENTS[department]
        foreign = FOREIGN_TITLES.get((language, level, dept)) if language else None
        if foreign and noise[1] < 0.4:
            title = foreign[pick[0] % len(foreign)]
        elif level == 5:
            options = C_LEVEL_TITLES[dept]
            title = options[pick[0] % len(options)]
        elif level == 1:
            options = IC_TITLES[dept]
            title = options[pick[0] % len(options)]
        else:
            names = DEPARTMENT_NAMES[dept]
            template = LEVEL_TEMPLATES[level][pick[0] % len(LEVEL_TEMPLATES[level])]
            title = template.format(d=names[pick[1] % len(names)], a=DEPARTMENT_ABBREVIATION[dept])
    if noise[2] < 0.10:
        title = title.lower()
    elif noise[2] < 0.13:
        title = title.upper()
    if noise[3] < 0.06:
        title = [f"  {title}", f"{title} ", title.replace(" ", "  ", 1)][pick[2] % 3]
    if company and noise[4] < 0.05:
        title = f"{title}{[' | ', ' @ ', ' at ', ' - '][pick[2] % 4]}{company}"
    return title


def _events_frame(contact_ids: pl.Series, who: np.ndarray, when: np.ndarray, what: np.ndarray) -> pl.DataFrame:
    order = _time_order(who, when, what)
    return pl.DataFrame(
        {
            "contact_id": contact_ids.gather(who[order]),
            "occurred_at": _datetimes(when[order]),
            "event_type": pl.Series(EVENT_TYPES, dtype=pl.String).gather(what[order]),
        }
    )


def _outcomes_frame(contact_ids: pl.Series, who: np.ndarray, when: np.ndarray, what: np.ndarray) -> pl.DataFrame:
    order = _time_order(who, when, what)
    return pl.DataFrame(
        {
            "contact_id": contact_ids.gather(who[order]),
            "occurred_at": _datetimes(when[order]),
            "outcome": pl.Series(OUTCOMES, dtype=pl.String).gather(what[order]),
        }
    )


def _time_order(who: np.ndarray, when: np.ndarray, what: np.ndarray) -> np.ndarray:
    """Row order by time, then contact, then type (one packed int64 key: seconds < 2^35, contacts < 2^23)."""
    if who.size and (who.max() >= 2**23 or when.min() < 0 or when.max() >= 2**35):
        order: np.ndarray = np.lexsort((what, who, when))
        return order
    key = (when.astype(np.int64) << 28) | (who.astype(np.int64) << 5) | what.astype(np.int64)
    order = np.argsort(key, kind="stable")
    return order


def _oracle_frame(
    contact_ids: pl.Series, calendar: Calendar, who: np.ndarray, cutoff_day: np.ndarray, p: np.ndarray
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "contact_id": contact_ids.gather(who),
            "cutoff": _datetimes(calendar.start_s + cutoff_day * DAY),
            "p_oracle": pl.Series(p, dtype=pl.Float64),
        }
    )
