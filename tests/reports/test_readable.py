"""A report and reasons a sales-ops person reads without a data scientist: directions that hold over
the bands most leads are in, effects as odds, values in words, identifiers left out, moves explained."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from propensity._config import FeatureConfig
from propensity._errors import PropensityError
from propensity.features._builder import FeatureBuilder
from propensity.features._spec import FeatureDef, FeatureSpec
from propensity.flat._table import profile_columns, read_flat
from propensity.reports._sections import left_out_note
from propensity.scoring._reasons import (
    MIN_BAND_SHARE,
    direction,
    drivers,
    value_bands,
)
from tests.conftest import make_export, tiny_tables

SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
MODEL = "models:/lead-propensity@champion"


def _visible_text(html: str) -> str:
    """What a reader sees: no style, no tags or attributes, no <code> (commands and config keys)."""
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    html = re.sub(r"<code[^>]*>.*?</code>", " ", html, flags=re.S)
    html = re.sub(r"<title>.*?</title>", lambda m: " " + m.group(0)[7:-8] + " ", html, flags=re.S)  # hover texts are shown
    return unescape(re.sub(r"<[^>]+>", " ", html))


# ------------------------------------------------------------------ directions
def _validation_frame(trained: dict[str, Any]) -> tuple[Any, np.ndarray]:
    from propensity._model import to_model_frame

    model = trained["model"]
    pairs = trained["result"].validation.select("contact_id", "cutoff")
    feats = FeatureBuilder.from_spec(model.spec).transform(trained["export"], pairs)
    frame = to_model_frame(model.spec, feats)
    return frame, model.contributions(frame)


def _says(text: str) -> int:
    """+1 when a direction says the score rises with the value, -1 when it falls, 0 when it states none."""
    if "raises the score" not in text and "lowers the score" not in text:
        return 0
    up = "raises the score" in text
    return (-1 if up else 1) if text.startswith("a more recent") else (1 if up else -1)


@pytest.mark.slow
def test_every_stated_driver_direction_agrees_with_the_mean_effect_between_its_top_and_bottom_bands(trained) -> None:  # type: ignore[no-untyped-def]
    from propensity.scoring._reasons import FieldIndex

    model = trained["model"]
    spec = model.spec
    frame, contrib = _validation_frame(trained)
    table = drivers(spec, frame, contrib)
    # the directions the model carries (and the report shows) are these: same rows, same rule
    assert table["direction"].tolist() == [d["direction"] for d in model.metadata["drivers"]]
    index = FieldIndex(spec)
    grouped = index.group(contrib)
    n = len(frame)
    stated = 0
    for j, name in enumerate(index.fields):
        cols = np.flatnonzero(index.column_field == j)
        main = spec.features[cols[int(np.argmax(np.abs(contrib[:, cols]).mean(axis=0)))]]
        text = table.loc[table["field"] == name, "direction"].item()
        sign = _says(text)
        if sign == 0:
            continue
        stated += 1
        v = frame[main.name].to_numpy(dtype=np.float64, na_value=np.nan)
        c = grouped[:, j]
        bands = [b for b in value_bands(main, frame[main.name], c) if b.leads >= max(20, MIN_BAND_SHARE * n)]
        bottom, top = bands[0], bands[-1]
        # the mean effect of each end band, recomputed from the rows themselves
        low = ~np.isnan(v) & (v <= bottom.hi)
        high = np.isnan(v) if top.never else ~np.isnan(v) & (v >= top.lo)
        assert low.sum() >= 0.05 * n and high.sum() >= 0.05 * n, name
        assert np.sign(c[high].mean() - c[low].mean()) == sign, (name, text, c[low].mean(), c[high].mean())
    assert stated >= 5, table[["driver", "direction"]]


def test_a_hump_shaped_effect_is_not_given_a_direction() -> None:
    f = FeatureDef("n_web_visit_30d", "count", "web_visit", event_type="web_visit", window=30)
    spec = FeatureSpec((f,), ("web_visit",), ())
    v = np.repeat(np.arange(10.0), 100)
    c = -((v - 5.0) ** 2) / 10.0  # best at 5 visits, worse with fewer or more
    text = direction(spec, f, v, c)
    assert text.startswith("depends: highest at ") and "web visits in the last 30 days" in text, text
    assert "raises" not in text and "lowers" not in text


def test_a_days_since_direction_counts_leads_without_one_as_the_longest_ago() -> None:
    # 70% never unsubscribed (the highest effect); among the rest a recent unsubscribe hurts a little
    # less than an old one: one rank correlation over the leads with a value said "a more recent
    # unsubscribe raises the score"; over the bands, having one at all lowers it
    f = FeatureDef("days_since_email_unsubscribe", "recency", "email_unsubscribe", event_type="email_unsubscribe")
    spec = FeatureSpec((f,), ("email_unsubscribe",), ())
    days = np.concatenate([np.linspace(1, 300, 300), np.full(700, np.nan)])
    c = np.concatenate([-0.4 - 0.2 * np.linspace(0, 1, 300), np.full(700, 0.1)])
    text = direction(spec, f, days, c)
    assert text.startswith("a more recent unsubscribe lowers the score"), text
    assert "odds" in text


# ------------------------------------------------------------------ the page
@pytest.fixture(scope="module")
def page(report_store, tmp_path_factory: pytest.TempPathFactory) -> str:  # type: ignore[no-untyped-def]
    from propensity.cli import main

    out = tmp_path_factory.mktemp("readable") / "report.html"
    assert main(["-q", "report", "--model", MODEL, "--scores", str(report_store["scores"]), "--out", str(out),
                 "--tracking-uri", report_store["uri"]]) == 0
    return out.read_text(encoding="utf-8")


@pytest.mark.slow
def test_no_axis_of_the_report_is_in_log_odds(page: str) -> None:
    labels = [unescape(t) for t in re.findall(r'<text class="label"[^>]*>(.*?)</text>', page)]
    assert labels and not [t for t in labels if "log" in t.lower()], labels
    assert "log-odds" not in page.lower() and "log odds" not in page.lower()
    # the dependence charts' effect axis is in odds, its ticks are multipliers
    deps = re.findall(r'<figure data-dependence="[^"]+">(.*?)</figure>', page, flags=re.S)
    assert len(deps) == 4
    for fig in deps:
        if '<text class="label"' in fig:  # a value-vs-effect chart (a category's chart is bars in odds)
            assert "odds against an average lead" in fig
            ticks = re.findall(r'<text class="tick"[^>]*text-anchor="end">(.*?)</text>', fig)  # the y axis's
            assert ticks and all(t.startswith("x") for t in ticks), ticks
        else:
            assert re.search(r'class="barvalue"[^>]*>x\d', fig), fig[:400]


@pytest.mark.slow
def test_no_value_in_the_report_or_the_reasons_is_in_snake_case(page: str, report_store) -> None:  # type: ignore[no-untyped-def]
    shown = _visible_text(page)
    assert SNAKE.findall(shown) == [], sorted(set(SNAKE.findall(shown)))[:20]
    scores = pl.read_csv(report_store["scores"])
    for column in ("reasons", "moved_by"):
        text = " ".join(scores[column].drop_nulls().to_list())
        assert SNAKE.findall(text) == [], (column, sorted(set(SNAKE.findall(text)))[:20])
    # the export really holds codes with underscores (lead sources, job-title levels): they are put in words
    raw = pl.read_csv(Path(report_store["crm"]) / "contacts.csv")
    assert raw["lead_source"].str.contains("_").any()


@pytest.mark.slow
def test_every_tier_move_is_explained_in_words(page: str) -> None:
    section = page[page.index('id="tier-migration"'):page.index('id="drift"')]
    rows = re.findall(r'<code data-mover="(up|down)">.*?</code>.*?<td class="reasons">(.*?)</td>', section, flags=re.S)
    assert len(rows) == 10
    for way, why in rows:
        why = unescape(why)
        assert why.startswith("points tier "), why
        assert ("raised by " in why) if way == "up" else ("lowered by " in why or "nothing about the lead raises" in why), why
        assert re.search(r"x\d", why) or "nothing about" in why, why
        assert "no account to compare with" not in why


# ------------------------------------------------------------------ identifiers
def _with_columns(**contacts: list[str]) -> dict[str, pl.DataFrame]:
    tables = tiny_tables()
    ordered = tables["contacts"].sort("contact_id")
    for name, values in contacts.items():
        ordered = ordered.with_columns(pl.Series(name, values))
    tables["contacts"] = ordered
    return tables


HASHES = ["40dec9f3a1", "9b2c77e014", "c3d8a91f02", "7e1f0b6d44", "a5c2e93b18"]


def test_a_hash_like_column_is_never_a_feature_and_is_named_as_left_out() -> None:
    cutoff = datetime(2025, 4, 1)
    export = make_export(_with_columns(landing_page_id=HASHES, region=["north", "south", "north", "east", "south"]))
    spec = FeatureBuilder().fit(export, cutoff).spec_
    assert "landing_page_id" not in spec.names and "region" in spec.names
    assert set(spec.left_out) == {"contacts.landing_page_id"}
    assert "hash-like" in spec.left_out["contacts.landing_page_id"]
    assert FeatureSpec.from_json(spec.to_json()).left_out == spec.left_out
    kept = FeatureBuilder(FeatureConfig(keep_columns=("landing_page_id",))).fit(export, cutoff).spec_
    assert "landing_page_id" in kept.names and kept.left_out == {}
    note = left_out_note(spec.left_out, "<code>[features] keep_columns</code>")
    assert 'data-left-out="contacts.landing_page_id"' in note and "hash-like" in note


def test_keeping_a_column_the_export_lacks_is_one_clear_error() -> None:
    cutoff = datetime(2025, 4, 1)
    with pytest.raises(PropensityError, match=r"\[features\] keep_columns: no column 'landing_page' in contacts or accounts"):
        FeatureBuilder(FeatureConfig(keep_columns=("landing_page",))).fit(make_export(tiny_tables()), cutoff)


def test_a_flat_tables_hash_like_column_is_an_identifier_unless_kept(tmp_path: Path) -> None:
    pages = ["40dec9f3a1", "9b2c77e014", "c3d8a91f02"]
    rows = ["id,page,source,converted"] + [f"L{i},{pages[i % 3]},{'web' if i % 2 else 'ads'},{i % 2}" for i in range(60)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    table = read_flat(tmp_path / "t.csv")
    profiles = profile_columns(table, skip=("id", "converted"))
    assert profiles["page"].kind == "identifier" and "hash-like" in profiles["page"].note
    assert profiles["source"].kind == "category"
    assert profile_columns(table, skip=("id", "converted"), keep=("page",))["page"].kind == "category"
