"""Tests for propensity.features._titles: free-text job titles -> (seniority, department)."""

from __future__ import annotations

import random

import polars as pl
import pytest

from propensity.features import _titles
from propensity.features._titles import (
    DEPARTMENTS,
    MAX_TITLE_CHARS,
    SENIORITIES,
    SENIORITY_RANK,
    parse_title,
    parse_titles,
)

# (title, seniority, department): one row per rule or design choice the parser guards.
TITLE_CASES: list[tuple[str | None, str, str]] = [
    # Empty and placeholder titles carry no information.
    (None, "unknown", "unknown"),
    ("", "unknown", "unknown"),
    ("   \t\n ", "unknown", "unknown"),
    ("n/a", "unknown", "unknown"),
    ("-", "unknown", "unknown"),
    ("Select", "unknown", "unknown"),
    ("🚀🚀🚀", "unknown", "unknown"),
    # Case, whitespace and punctuation.
    ("  vP   of   MARKETING  ", "vp", "marketing"),
    ("VP, IT", "vp", "it"),
    ("V.P. Sales", "vp", "sales"),
    ("Sr. Director - Marketing", "director", "marketing"),
    ("Director/Head of IT", "director", "it"),
    ("C.E.O.", "c_level", "executive"),
    # C-suite abbreviations and "Chief ... Officer".
    ("CEO", "c_level", "executive"),
    ("CFO", "c_level", "finance"),
    ("CTO", "c_level", "engineering"),
    ("CIO", "c_level", "it"),
    ("CMO", "c_level", "marketing"),
    ("COO", "c_level", "operations"),
    ("CRO", "c_level", "sales"),
    ("CISO", "c_level", "it"),
    ("Chief Marketing Officer", "c_level", "marketing"),
    ("Chief People Officer", "c_level", "hr"),
    ("Chief Executive Officer", "c_level", "executive"),
    # Vice presidents.
    ("SVP Marketing", "vp", "marketing"),
    ("EVP, Global Sales", "vp", "sales"),
    ("AVP, Finance", "vp", "finance"),
    ("Vice President of Engineering", "vp", "engineering"),
    ("Vice-President, Data & Analytics", "vp", "data"),
    # Owners and top-of-company roles are c_level / executive, whatever function they name.
    ("Founder", "c_level", "executive"),
    ("Co-founder & CTO", "c_level", "executive"),
    ("Owner", "c_level", "executive"),
    ("President", "c_level", "executive"),
    ("Managing Director", "c_level", "executive"),
    ("Partner", "c_level", "executive"),
    # ... but these are not owners, presidents or partners.
    ("Product Owner", "individual", "product"),
    ("HR Business Partner", "individual", "hr"),
    ("Partner Manager", "manager", "sales"),
    # Head, director, manager, senior: the most senior rank word wins.
    ("Head of Marketing", "head", "marketing"),
    ("Senior Manager, Marketing", "manager", "marketing"),
    ("Sr. VP", "vp", "other"),
    ("General Manager", "director", "executive"),
    ("Chief of Staff", "director", "executive"),
    ("Team Lead, Customer Support", "manager", "customer_success"),
    ("Tech Lead", "senior", "engineering"),
    ("Staff Software Engineer", "senior", "engineering"),
    ("Lead Generation Specialist", "individual", "marketing"),
    # Assistants, interns, trainees and coordinators are individuals, not their boss's rank.
    ("Assistant to the VP of Sales", "individual", "sales"),
    ("Executive Assistant to the CEO", "individual", "executive"),
    ("Marketing Coordinator", "individual", "marketing"),
    ("Management Trainee", "individual", "other"),
    ("Marketing Intern", "individual", "marketing"),
    ("Assistant Vice President", "vp", "other"),
    # Students.
    ("Student", "student", "education"),
    ("MBA Candidate", "student", "education"),
    ("PhD student", "student", "education"),
    ("Research Assistant", "student", "education"),
    ("Student Success Manager", "manager", "education"),
    ("Dean of Students", "head", "education"),
    # Abbreviations.
    ("Mktg Mgr", "manager", "marketing"),
    ("Snr Data Analyst", "senior", "data"),
    ("Jr. Dev", "individual", "engineering"),
    ("Eng Mgr", "manager", "engineering"),
    ("Ops Manager", "manager", "operations"),
    ("HR Generalist", "individual", "hr"),
    ("IT Support Specialist", "individual", "it"),
    ("BDR", "individual", "sales"),
    ("SDR", "individual", "sales"),
    ("Senior AE", "senior", "sales"),
    ("RevOps Manager", "manager", "sales"),
    # Titles that name two functions: the ordered department rules settle them.
    ("Product Marketing Manager", "manager", "marketing"),
    ("Sales Engineer", "individual", "sales"),
    ("Data Engineer", "individual", "data"),
    ("Network Engineer", "individual", "it"),
    ("Sales Recruiter", "individual", "hr"),
    ("VP Sales, Financial Services", "vp", "sales"),
    ("General Counsel", "vp", "legal"),
    # Company names, emojis and other trailing noise.
    ("Marketing Manager | Acme Corp", "manager", "marketing"),
    ("Head of Data @ Acme Marketing", "head", "data"),
    ("Software Engineer at Acme Sales Inc", "individual", "engineering"),
    ("Acme Corp | CEO", "c_level", "executive"),
    ("🚀 Founder & CEO 🚀", "c_level", "executive"),
    # German, French, Spanish, Portuguese.
    ("Geschäftsführer", "c_level", "executive"),
    ("GESCHAEFTSFUEHRER", "c_level", "executive"),
    ("Leiter Vertrieb", "head", "sales"),
    ("Vertriebsleiter", "head", "sales"),
    ("Teamleiter Vertrieb", "manager", "sales"),
    ("Directeur Marketing", "director", "marketing"),
    ("Directrice des Ressources Humaines", "director", "hr"),
    ("Responsable Commercial", "manager", "sales"),
    ("PDG", "c_level", "executive"),
    ("Gerente de Ventas", "manager", "sales"),
    ("Director de Ventas", "director", "sales"),
    ("Jefe de Marketing", "head", "marketing"),
    ("Diretor de TI", "director", "it"),
    ("Gerente de Vendas", "manager", "sales"),
    ("Estagiário de Marketing", "individual", "marketing"),
    # Other scripts.
    ("Менеджер по продажам", "manager", "sales"),
    ("营销总监", "director", "marketing"),
    # Anything else with letters is an individual contributor.
    ("Nurse", "individual", "other"),
    ("Teacher", "individual", "education"),
]


@pytest.mark.parametrize(("title", "seniority", "department"), TITLE_CASES)
def test_parse_title_table(title: str | None, seniority: str, department: str) -> None:
    assert parse_title(title) == (seniority, department)


def test_table_covers_every_label() -> None:
    assert {seniority for _, seniority, _ in TITLE_CASES} == set(SENIORITIES)
    assert {department for _, _, department in TITLE_CASES} == set(DEPARTMENTS)


def test_every_label_has_a_rank_and_ranks_follow_the_vocabulary_order() -> None:
    assert set(SENIORITY_RANK) == set(SENIORITIES)
    ranks = [SENIORITY_RANK[seniority] for seniority in SENIORITIES]
    assert ranks == sorted(ranks, reverse=True)
    assert SENIORITY_RANK["director"] == SENIORITY_RANK["head"]


def test_exported_members() -> None:
    assert set(_titles.__all__) == {
        "DEPARTMENTS",
        "MAX_TITLE_CHARS",
        "SENIORITIES",
        "SENIORITY_RANK",
        "TitleRules",
        "TitleVocabularyError",
        "VOCABULARY",
        "parse_title",
        "parse_titles",
        "title_rules",
    }


def test_very_long_title_is_cut_before_matching() -> None:
    # The words past MAX_TITLE_CHARS are never read, so they cannot change the answer.
    padding = " ".join(["xylophone"] * 2_000)
    assert len(padding) > 10_000
    assert parse_title("CEO " + padding) == ("c_level", "executive")
    assert parse_title("Nurse " + padding + " Chief Marketing Officer") == ("individual", "other")
    assert parse_title("🚀" * 10_000) == ("unknown", "unknown")
    assert parse_title(" " * 10_000 + "VP Sales" + " " * 10_000) == ("vp", "sales")
    assert MAX_TITLE_CHARS < 10_000


@pytest.mark.parametrize(
    ("title", "exception", "match"),
    [
        (42, TypeError, r"expects a str or None, got int: 42"),
        (float("nan"), TypeError, r"got float: nan"),
        (b"CEO", TypeError, r"got bytes: b'CEO'"),
    ],
)
def test_parse_title_rejects_non_strings(
    title: object, exception: type[Exception], match: str
) -> None:
    with pytest.raises(exception, match=match):
        parse_title(title)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("titles", "exception", "match"),
    [
        (
            pl.Series("job_title", [1, 2]),
            TypeError,
            r"String series, got dtype Int64 for series 'job_title'",
        ),
        (["CEO"], TypeError, r"expects a polars Series, got list"),
    ],
)
def test_parse_titles_rejects_non_string_series(
    titles: object, exception: type[Exception], match: str
) -> None:
    with pytest.raises(exception, match=match):
        parse_titles(titles)  # type: ignore[arg-type]


def _expected_frame(titles: list[str | None]) -> pl.DataFrame:
    parsed = [parse_title(title) for title in titles]
    return pl.DataFrame(
        {
            "title_seniority": [seniority for seniority, _ in parsed],
            "title_department": [department for _, department in parsed],
        },
        schema={"title_seniority": pl.String, "title_department": pl.String},
    )


def test_parse_titles_on_shuffled_series_equals_element_wise_parse_title() -> None:
    # Every table title three times (nulls included), shuffled so order cannot come for free.
    titles = [title for title, _, _ in TITLE_CASES] * 3
    random.Random(20240601).shuffle(titles)
    result = parse_titles(pl.Series("job_title", titles, dtype=pl.String))
    assert result.schema == pl.Schema(
        {"title_seniority": pl.String, "title_department": pl.String}
    )
    assert result.equals(_expected_frame(titles))


@pytest.mark.parametrize("seed", [0, 1])
def test_parse_titles_keeps_order_and_values_on_200k_rows(seed: int) -> None:
    # 2,000 distinct titles (table titles with a numbered suffix, plus null), 200,000 rows.
    rng = random.Random(seed)
    base = [title for title, _, _ in TITLE_CASES if title is not None]
    distinct: list[str | None] = [f"{rng.choice(base)} {i}" for i in range(1_999)] + [None]
    titles = [rng.choice(distinct) for _ in range(200_000)]
    result = parse_titles(pl.Series("job_title", titles, dtype=pl.String))
    assert result.height == 200_000
    lookup = {title: parse_title(title) for title in distinct}
    assert result["title_seniority"].to_list() == [lookup[title][0] for title in titles]
    assert result["title_department"].to_list() == [lookup[title][1] for title in titles]


@pytest.mark.parametrize(
    "series",
    [
        pl.Series("job_title", [], dtype=pl.String),
        pl.Series("job_title", [None, None]),
        pl.Series("job_title", ["CEO", None, "CEO", "Student"], dtype=pl.Categorical),
    ],
    ids=["empty", "all-null", "categorical"],
)
def test_parse_titles_accepts_empty_null_and_categorical_series(series: pl.Series) -> None:
    titles: list[str | None] = series.cast(pl.String).to_list()
    assert parse_titles(series).equals(_expected_frame(titles))
