"""Point-in-time features for (contact, cutoff) pairs.

`FeatureBuilder.fit` learns the vocabulary (event types, outcome types, categories) from what was
known at a cutoff; `transform` is pure given the pairs: only rows with `occurred_at <= cutoff`
count, so events and outcomes that happen later can never change a feature.

Three families carry the buying signal:
* the contact's own engagement: counts per event type and window, recency, trend and acceleration
  (recent against earlier windows), decay-weighted engagement, unsubscribes;
* the account's buying committee: engaged contacts by window, seniority band and department, the
  account's (high-intent) events by window, its trend, and the contact's share of the account's
  activity and of the engaged committee's seniority;
* the outcome history known at the cutoff: the contact's own earlier outcomes (an mql) and the
  account's (a colleague's opportunity: an account that already bought rarely buys again).

The events are indexed by contact once per `transform` (`_event_index`); every cutoff is then one
compiled, parallel scan of each contact's events up to it (`_kernels.window_stats`), from which
`_engagement` and `_committee` derive the features with numpy and polars.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import numpy as np
import polars as pl

from propensity._config import FeatureConfig
from propensity._errors import PropensityError
from propensity.features._committee import (
    NOT_A_DEPARTMENT,
    SENIORITY_BANDS,
    account_features,
    account_windows,
    decay_span_days,
    people_frame,
)
from propensity.features._engagement import engagement, scan_windows
from propensity.features._event_index import DAY_US, EventIndex, KeyIndex, epoch_us
from propensity.features._identifiers import identifier_reason
from propensity.features._spec import FeatureDef, FeatureSpec, event_label
from propensity.features._titles import SENIORITY_RANK, parse_titles
from propensity.io._export import CrmExport

__all__ = ["FeatureBuilder", "sanitize", "SENIORITY_BANDS"]

log = logging.getLogger("propensity")

# ... and the lead-to-account matching columns (propensity.features._account_match): identifiers, never features
_CONTACT_FIXED = ("contact_id", "account_id", "created_at", "job_title", "email_domain", "company", "account_match")
_MIN_OUTCOME_COUNT = 5


def sanitize(name: str) -> str:
    """A column name safe for LightGBM and readable in a table."""
    out = re.sub(r"[^0-9a-zA-Z]+", "_", name.strip().lower()).strip("_")
    return out or "col"


def _pick(frame: pl.DataFrame, rows: np.ndarray) -> pl.DataFrame:
    """Rows `rows` of `frame`, in that order; -1 picks a row of nulls."""
    return frame[pl.Series(np.where(rows >= 0, rows, 0), dtype=pl.UInt32).scatter(np.flatnonzero(rows < 0), None)]


def _index_events(export: CrmExport, spec: FeatureSpec) -> tuple[KeyIndex, EventIndex]:
    keys = KeyIndex(export.contacts["contact_id"])
    return keys, EventIndex.build(export.events, keys, spec.event_types)


class FeatureBuilder:
    """Engagement, buying-committee, outcome-history, contact and firmographic features at a cutoff."""

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()

    # ------------------------------------------------------------------ fit
    def fit(self, export: CrmExport, cutoff: datetime) -> FeatureBuilder:
        """Learn event types, outcome types and category levels from rows known at `cutoff`."""
        cfg = self.config
        counts = export.event_type_counts(cutoff).filter(pl.col("len") >= cfg.min_event_type_count)
        top = counts.sort(["len", "event_type"], descending=[True, False]).head(cfg.max_event_types)
        event_types = tuple(sorted(top["event_type"].to_list()))
        if not event_types:
            # a valid export (the events table may be empty): learn from who the leads are and how old
            log.info(
                "no event type occurs at least %d times up to %s: no engagement features, the model learns "
                "from the contacts' attributes, titles, accounts and age", cfg.min_event_type_count, f"{cutoff:%Y-%m-%d}",
            )
        high_intent = tuple(e for e in cfg.high_intent_events if e in event_types)
        outcome_types = self._outcome_types(export, cutoff) if cfg.outcome_history else ()

        labels: dict[str, str] = {}
        feats = self._engagement_defs(cfg, event_types, high_intent, labels) if event_types else []
        for o in outcome_types:
            feats.append(FeatureDef(f"days_since_outcome_{sanitize(o)}", "outcome", "outcome_history", event_type=o))
            labels["outcome_history"] = "the contact's earlier outcomes"

        categories: dict[str, tuple[str, ...]] = {}
        contacts = self._contact_attributes(export.contacts)
        has_accounts = export.contacts["account_id"].null_count() < export.contacts.height
        if has_accounts:
            feats += self._account_defs(cfg, event_types, high_intent, outcome_types, contacts, labels)

        # firmographics only when some contact has an account the accounts table describes
        accounts = export.accounts if has_accounts and export.accounts.height else export.accounts.clear().select("account_id")
        feats.append(FeatureDef("title_seniority", "category", "seniority", source="job_title"))
        feats.append(FeatureDef("title_department", "category", "department", source="job_title"))
        labels.update(seniority="job title seniority", department="job title department")
        feats.append(FeatureDef("contact_age_days", "numeric", "contact_age", source="created_at"))
        if event_types:
            feats.append(FeatureDef("first_touch_lag_days", "lag", "contact_age", source="created_at"))
        labels["contact_age"] = "time in the CRM"
        used = {f.name for f in feats}
        left_out: dict[str, str] = {}
        keep = set(cfg.keep_columns)
        unknown = sorted(keep - set(contacts.columns) - set(accounts.columns))
        if unknown:
            raise PropensityError(
                f"[features] keep_columns: no column {unknown[0]!r} in contacts or accounts "
                f"(personal-data columns are dropped on read; columns: {', '.join([*contacts.columns, *accounts.columns][:12])})"
            )
        for table, frame, skip in (("contacts", contacts, {"title_seniority", "title_department"}), ("accounts", accounts, {"account_id"})):
            for col in frame.columns:
                if col in _CONTACT_FIXED or col in skip:
                    continue
                why = None if col in keep else identifier_reason(col, frame[col], cfg.max_categories)
                if why is not None:
                    left_out[f"{table}.{col}"] = why
                    continue
                name = sanitize(col)
                if name in used:
                    name = sanitize(f"account_{col}") if table == "accounts" else sanitize(f"contact_{col}")
                used.add(name)
                if frame.schema[col].is_numeric():
                    feats.append(FeatureDef(name, "numeric", name, source=f"{table}.{col}"))
                else:
                    levels = (
                        frame.filter(pl.col(col).is_not_null())
                        .group_by(col)
                        .len()
                        .sort(["len", col], descending=[True, False])
                        .head(self.config.max_categories)[col]
                        .to_list()
                    )
                    categories[name] = tuple(sorted(str(v) for v in levels))
                    feats.append(FeatureDef(name, "category", name, source=f"{table}.{col}"))
                labels.setdefault(name, col.replace("_", " "))
        categories["title_seniority"] = tuple(sorted(set(contacts["title_seniority"].unique().drop_nulls().to_list())))
        categories["title_department"] = tuple(sorted(set(contacts["title_department"].unique().drop_nulls().to_list())))

        self.spec_ = FeatureSpec(
            features=tuple(feats),
            event_types=event_types,
            high_intent_events=high_intent,
            categories=categories,
            field_labels=labels,
            windows_days=tuple(cfg.windows_days),
            trend_days=cfg.trend_days,
            decay_half_life_days=float(cfg.decay_half_life_days),
            outcome_types=outcome_types,
            left_out=left_out,
        )
        if left_out:
            log.info("left out as identifiers (keep one with [features] keep_columns): %s", "; ".join(f"{k}: {v}" for k, v in left_out.items()))
        return self

    @staticmethod
    def _outcome_types(export: CrmExport, cutoff: datetime) -> tuple[str, ...]:
        if export.outcomes is None or export.outcomes.height == 0:
            return ()
        known = export.outcomes.filter(pl.col("occurred_at") <= cutoff).group_by("outcome").len()
        return tuple(sorted(known.filter(pl.col("len") >= _MIN_OUTCOME_COUNT)["outcome"].to_list()))

    @staticmethod
    def _engagement_defs(
        cfg: FeatureConfig, event_types: tuple[str, ...], high_intent: tuple[str, ...], labels: dict[str, str]
    ) -> list[FeatureDef]:
        """The contact's own engagement: counts and recency per type, recency, first touch, trend, breadth, decay, flags."""
        feats: list[FeatureDef] = []
        for e in event_types:
            labels[e] = event_label(e)
            for w in cfg.windows_days:
                feats.append(FeatureDef(f"n_{sanitize(e)}_{w}d", "count", e, event_type=e, window=w))
            feats.append(FeatureDef(f"days_since_{sanitize(e)}", "recency", e, event_type=e))
        feats += [
            FeatureDef("days_since_last_event", "recency", "recency"),
            FeatureDef("days_since_first_event", "age", "first_touch"),
            FeatureDef(f"trend_{cfg.trend_days}d", "trend", "trend", window=cfg.trend_days),
        ]
        if len(event_types) > 1:  # with one type, breadth only repeats whether there was any event
            feats.append(FeatureDef(f"distinct_types_{max(cfg.windows_days)}d", "distinct", "breadth", window=max(cfg.windows_days)))
        if 0 < cfg.acceleration_days < cfg.trend_days:
            feats.append(FeatureDef(f"accel_{cfg.acceleration_days}d", "accel", "trend", window=cfg.acceleration_days))
        feats.append(FeatureDef("decay_engagement", "decay", "decayed_engagement"))
        if high_intent:
            feats.append(FeatureDef("decay_high_intent", "decay", "decayed_engagement", source="high_intent"))
        for e in cfg.unsubscribe_events:
            if e in event_types:
                feats.append(FeatureDef(f"ever_{sanitize(e)}", "flag", "unsubscribe", event_type=e))
                labels["unsubscribe"] = "ever unsubscribed"
        labels.update(
            recency="recency of activity",
            first_touch="time since first touch",
            trend="activity trend",
            breadth="breadth of activity",
            decayed_engagement="recent engagement (decay-weighted)",
        )
        return feats

    @staticmethod
    def _account_defs(
        cfg: FeatureConfig,
        event_types: tuple[str, ...],
        high_intent: tuple[str, ...],
        outcome_types: tuple[str, ...],
        contacts: pl.DataFrame,
        labels: dict[str, str],
    ) -> list[FeatureDef]:
        """The account's size and earlier outcomes, and (with events) its buying committee's engagement."""
        feats = [FeatureDef("acct_contacts", "account", "account_engagement", source="contacts")]
        labels["account_engagement"] = "buying-committee engagement" if event_types else "contacts at the account"
        if event_types:
            feats += FeatureBuilder._committee_defs(cfg, high_intent, contacts, labels)
        for o in outcome_types:
            s = sanitize(o)
            feats.append(FeatureDef(f"acct_outcome_{s}_contacts", "account", "account_outcomes", event_type=o, source=f"outcome:{o}"))
            feats.append(
                FeatureDef(f"acct_days_since_outcome_{s}", "account", "account_outcomes", event_type=o, source=f"outcome_recency:{o}")
            )
            labels["account_outcomes"] = "the account's earlier outcomes"
        return feats

    @staticmethod
    def _committee_defs(
        cfg: FeatureConfig, high_intent: tuple[str, ...], contacts: pl.DataFrame, labels: dict[str, str]
    ) -> list[FeatureDef]:
        """The engaged buying committee: engaged people by window, seniority and department, the
        account's (high-intent) events, its trend, and the contact's share of its activity."""
        c = cfg.committee_days
        longest = max(cfg.windows_days)
        feats: list[FeatureDef] = []
        for w in cfg.windows_days:
            feats.append(FeatureDef(f"acct_engaged_contacts_{w}d", "account", "account_engagement", window=w, source="engaged"))
            feats.append(FeatureDef(f"acct_events_{w}d", "account", "account_engagement", window=w, source="events"))
        feats.append(FeatureDef("acct_decay_engagement", "account", "account_engagement", source="decay"))
        for band in SENIORITY_BANDS:
            feats.append(FeatureDef(f"acct_engaged_{band}_{c}d", "account", "committee_seniority", window=c, source=f"engaged:{band}"))
        feats.append(FeatureDef(f"committee_seniority_share_{longest}d", "seniority_share", "committee_seniority", window=longest))
        departments = sorted(
            d for d in contacts["title_department"].unique().drop_nulls().to_list() if d not in NOT_A_DEPARTMENT
        )
        feats.append(FeatureDef(f"acct_engaged_departments_{c}d", "account", "committee_departments", window=c, source="departments"))
        for d in departments:
            feats.append(
                FeatureDef(f"acct_engaged_{sanitize(d)}_dept_{c}d", "account", "committee_departments", window=c, source=f"department:{d}")
            )
        shares = sorted({cfg.trend_days, longest})
        for w in shares:
            feats.append(FeatureDef(f"share_of_account_events_{w}d", "share", "contact_share", window=w))
        feats.append(FeatureDef(f"acct_trend_{cfg.trend_days}d", "account", "account_trend", window=cfg.trend_days, source="trend"))
        if 0 < cfg.acceleration_days < cfg.trend_days:
            feats.append(
                FeatureDef(f"acct_accel_{cfg.acceleration_days}d", "account", "account_trend", window=cfg.acceleration_days, source="accel")
            )
        labels.update(
            committee_seniority="seniority in the engaged committee",
            committee_departments="departments in the engaged committee",
            contact_share="the contact's share of account activity",
            account_trend="account activity trend",
        )
        if high_intent:
            for w in cfg.windows_days:
                feats.append(FeatureDef(f"acct_high_intent_events_{w}d", "account", "account_intent", window=w, source="high_intent_events"))
            for w in sorted({min(cfg.windows_days), c}):
                feats.append(
                    FeatureDef(f"acct_high_intent_contacts_{w}d", "account", "account_intent", window=w, source="high_intent_contacts")
                )
            feats.append(FeatureDef("acct_decay_high_intent", "account", "account_intent", source="decay_high_intent"))
            labels["account_intent"] = "account high-intent activity"
        return feats

    @classmethod
    def from_spec(cls, spec: FeatureSpec) -> FeatureBuilder:
        """A fitted builder that rebuilds exactly the features of `spec` (used at scoring)."""
        builder = cls(
            FeatureConfig(windows_days=spec.windows_days, trend_days=spec.trend_days, decay_half_life_days=spec.decay_half_life_days)
        )
        builder.spec_ = spec
        return builder

    # ------------------------------------------------------------ transform
    @staticmethod
    def _contact_attributes(contacts: pl.DataFrame) -> pl.DataFrame:
        titles = parse_titles(contacts["job_title"]) if "job_title" in contacts.columns else None
        out = contacts
        if titles is None:
            out = out.with_columns(
                pl.lit("unknown").alias("title_seniority"), pl.lit("unknown").alias("title_department")
            )
        else:
            out = out.with_columns(titles["title_seniority"], titles["title_department"])
        return out

    def _spec(self) -> FeatureSpec:
        spec = getattr(self, "spec_", None)
        if spec is None:
            raise RuntimeError("FeatureBuilder is not fitted: call fit() or from_spec() first")
        return spec

    def transform(
        self, export: CrmExport, pairs: pl.DataFrame, on_cutoff: Callable[[datetime], None] | None = None
    ) -> pl.DataFrame:
        """Features for `pairs` (contact_id, cutoff): one row per pair, in the order of `pairs`.

        The events are indexed by contact once (`EventIndex`); each cutoff is then one parallel scan
        of every contact's events up to it. `on_cutoff(t)` is called as each cutoff is done."""
        spec = self._spec()
        cutoffs = sorted(pairs["cutoff"].unique().to_list())
        with ThreadPoolExecutor(max_workers=1) as pool:  # index the events while titles are parsed
            indexing = pool.submit(_index_events, export, spec)
            contacts = self._contact_attributes(export.contacts)
            keys, index = indexing.result()
        outcomes = self._prepare_outcomes(export, spec)
        with_accounts = any(f.kind in ("account", "share", "seniority_share") for f in spec.features)
        with_outcomes = outcomes is not None and any(f.kind == "outcome" for f in spec.features)
        people = people_frame(contacts) if with_accounts else None
        windows = scan_windows(spec, account_windows(spec) if with_accounts else set())
        codes = {e: i for i, e in enumerate(spec.event_types)}
        high_intent = [codes[e] for e in spec.high_intent_events if e in codes]
        span_us = int(decay_span_days(spec) * DAY_US) if with_accounts else 0

        order = pairs.select("contact_id", "cutoff").with_row_index("_row")
        rows = keys.positions(order["contact_id"]).astype(np.int64)
        accounts_of = contacts.select("account_id")
        frames = []
        for t in cutoffs:
            now = epoch_us(t)
            stats = index.window_stats(now, [w * DAY_US for w in windows], spec.decay_half_life_days, high_intent, span_us)
            part = order.filter(pl.col("cutoff") == t)
            at_t = rows[part["_row"].to_numpy()]
            part = pl.concat([part, engagement(stats, spec, now, at_t, windows), _pick(accounts_of, at_t)], how="horizontal")
            if with_outcomes:
                part = part.join(self._outcomes(outcomes, spec, t), on="contact_id", how="left", maintain_order="left")  # type: ignore[arg-type]
            if people is not None:
                part = part.join(account_features(stats, people, outcomes, spec, t, windows), on="account_id", how="left", maintain_order="left")
            frames.append(part.drop("account_id"))
            if on_cutoff is not None:
                on_cutoff(t)
        feats = pl.concat(frames, how="diagonal_relaxed") if frames else order
        if not feats["_row"].is_sorted():
            feats = feats.sort("_row")  # back to the order of `pairs` (pairs sorted by cutoff already are)
        feats = self._attributes(feats, export, contacts, spec, rows)
        feats = self._relative(feats, spec)
        return feats.select("contact_id", "cutoff", *spec.names)

    def fit_transform(self, export: CrmExport, cutoff: datetime, pairs: pl.DataFrame) -> pl.DataFrame:
        """`fit(export, cutoff)` then `transform(export, pairs)`: scikit-learn's convention, with time explicit."""
        return self.fit(export, cutoff).transform(export, pairs)

    def get_feature_names_out(self) -> list[str]:
        """The model's feature columns, in order (after `contact_id` and `cutoff` in `transform`'s output)."""
        return list(self._spec().names)

    @staticmethod
    def _prepare_outcomes(export: CrmExport, spec: FeatureSpec) -> pl.DataFrame | None:
        if not spec.outcome_types:
            return None
        if export.outcomes is None:
            log.warning(
                "no outcomes table: the outcome-history features (earlier mqls, a colleague's opportunity) "
                "are scored as if nothing had happened yet"
            )
            return pl.DataFrame(schema={"contact_id": pl.String, "ts": pl.Int64, "outcome": pl.String})
        return export.outcomes.filter(pl.col("outcome").is_in(list(spec.outcome_types))).select(
            "contact_id", pl.col("occurred_at").dt.epoch("us").alias("ts"), "outcome"
        )

    @staticmethod
    def _outcomes(outcomes: pl.DataFrame, spec: FeatureSpec, t: datetime) -> pl.DataFrame:
        now = epoch_us(t)
        age = ((now - pl.col("ts")) / DAY_US).cast(pl.Float32)
        exprs = [
            age.filter(pl.col("outcome") == f.event_type).min().alias(f.name) for f in spec.features if f.kind == "outcome"
        ]
        return outcomes.filter(pl.col("ts") <= now).group_by("contact_id").agg(exprs)

    @staticmethod
    def _relative(feats: pl.DataFrame, spec: FeatureSpec) -> pl.DataFrame:
        """The contact against its account: share of the account's events and of the engaged seniority."""
        exprs = []
        for f in spec.features:
            needs = {"share": f"_acct_n{f.window}", "seniority_share": f"_acct_weight{f.window}", "lag": "_first_event_age"}.get(f.kind)
            if needs is not None and needs not in feats.columns:
                continue  # not built (no pairs at all): the feature is missing, below
            if f.kind == "share":
                own, total = pl.col(f"_own_{f.window}d").fill_null(0.0), pl.col(f"_acct_n{f.window}")
                exprs.append(
                    pl.when(total.is_null()).then(None).when(total > 0).then(own / total).otherwise(0.0).cast(pl.Float32).alias(f.name)
                )
            elif f.kind == "seniority_share":
                own_active = pl.col(f"_own_{f.window}d").fill_null(0.0) > 0
                rank = pl.col("title_seniority").replace_strict(SENIORITY_RANK, default=-1, return_dtype=pl.Int8)
                w = rank.clip(lower_bound=1).cast(pl.Float32)
                total = pl.col(f"_acct_weight{f.window}")
                denominator = total + pl.when(own_active).then(0.0).otherwise(w)
                exprs.append(pl.when(total.is_null()).then(None).otherwise(w / denominator).cast(pl.Float32).alias(f.name))
            elif f.kind == "lag":
                # days from entering the CRM to the first recorded activity (unknown without activity)
                exprs.append((pl.col("contact_age_days") - pl.col("_first_event_age")).cast(pl.Float32).alias(f.name))
        # a feature no family built (no outcomes table, no accounts, no pairs at all) is missing
        for name in spec.names:
            if name not in feats.columns and not any(e.meta.output_name() == name for e in exprs):
                exprs.append(pl.lit(None, dtype=pl.Float32).alias(name))
        return feats.with_columns(exprs) if exprs else feats

    @staticmethod
    def _attributes(feats: pl.DataFrame, export: CrmExport, contacts: pl.DataFrame, spec: FeatureSpec, rows: np.ndarray) -> pl.DataFrame:
        """Contact and account attributes beside `feats`, whose row i is contact row `rows[i]`
        (-1: unknown, no attributes): categories and numbers prepared once per contact, then picked."""
        wanted_contact: dict[str, str] = {}
        wanted_account: dict[str, str] = {}
        for f in spec.features:
            if f.source and f.source.startswith("contacts."):
                wanted_contact[f.source.split(".", 1)[1]] = f.name
            elif f.source and f.source.startswith("accounts."):
                wanted_account[f.source.split(".", 1)[1]] = f.name
        for col in wanted_contact:
            if col not in contacts.columns:
                raise PropensityError(f"contacts: column '{col}' is in the model's feature specification but not in the export")
        for col in wanted_account:
            if col not in export.accounts.columns:
                raise PropensityError(f"accounts: column '{col}' is in the model's feature specification but not in the export")
        people = contacts.select(
            pl.col("account_id").alias("_account_id"),
            pl.col("created_at").alias("_created_at"),
            "title_seniority",
            "title_department",
            *[pl.col(c).alias(n) for c, n in wanted_contact.items()],
        )
        firms = export.accounts.select(
            pl.col("account_id").alias("_account_id"), *[pl.col(c).alias(n) for c, n in wanted_account.items()]
        )
        attrs = people.join(firms, on="_account_id", how="left", maintain_order="left").drop("_account_id")
        casts = []
        spec_names = spec.by_name()
        for name, levels in spec.categories.items():
            if name in spec_names:
                casts.append(
                    pl.when(pl.col(name).cast(pl.String).is_in(list(levels))).then(pl.col(name).cast(pl.String)).alias(name)
                )
        for f in spec.features:
            if f.kind == "numeric" and f.name != "contact_age_days":
                casts.append(pl.col(f.name).cast(pl.Float32, strict=False))
        attrs = attrs.with_columns(casts) if casts else attrs
        picked = _pick(attrs, rows)
        age = ((pl.col("cutoff") - pl.col("_created_at")).dt.total_seconds() / 86_400).cast(pl.Float32)
        return pl.concat([feats.drop("account_id", strict=False), picked], how="horizontal").with_columns(age.alias("contact_age_days"))
