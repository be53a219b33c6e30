"""Point-in-time features for (contact, cutoff) pairs, built with polars.

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

Every cutoff is one lazy query per family, all collected together with `pl.collect_all`.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

import polars as pl

from propensity._config import FeatureConfig
from propensity._errors import PropensityError
from propensity._export import CrmExport
from propensity._feature_spec import FeatureDef, FeatureSpec, event_label
from propensity._titles import SENIORITY_RANK, parse_titles

__all__ = ["FeatureBuilder", "sanitize", "SENIORITY_BANDS"]

log = logging.getLogger("propensity")

_DAY_US = 86_400_000_000
_SENIOR_RANK = 4  # director, head and above
_CONTACT_FIXED = ("contact_id", "account_id", "created_at", "job_title")
_MIN_OUTCOME_COUNT = 5
_DECAY_SPAN = 8  # half-lives after which an event's weight (0.4 %) is dropped from account sums
SENIORITY_BANDS: dict[str, tuple[str, ...]] = {
    "executive": ("c_level", "vp"),
    "director": ("director", "head"),
    "manager": ("manager",),
    "staff": ("senior", "individual"),
}
_NOT_A_DEPARTMENT = ("unknown", "other")

# Account aggregates of models trained before `source` named them.
_LEGACY_ACCOUNT = {
    "acct_engaged_contacts_30d": "engaged",
    "acct_engaged_contacts_90d": "engaged",
    "acct_senior_engaged_30d": "engaged:senior",
    "acct_contacts": "contacts",
    "acct_high_intent_contacts_30d": "high_intent_contacts",
    "acct_high_intent_events_90d": "high_intent_events",
}


def sanitize(name: str) -> str:
    """A column name safe for LightGBM and readable in a table."""
    out = re.sub(r"[^0-9a-zA-Z]+", "_", name.strip().lower()).strip("_")
    return out or "col"


def _to_us(t: datetime) -> int:
    return int((t - datetime(1970, 1, 1)).total_seconds()) * 1_000_000 + t.microsecond


def _account_source(f: FeatureDef) -> str:
    return f.source or _LEGACY_ACCOUNT.get(f.name, "")


class FeatureBuilder:
    """Engagement, buying-committee, outcome-history, contact and firmographic features at a cutoff."""

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()

    # ------------------------------------------------------------------ fit
    def fit(self, export: CrmExport, cutoff: datetime) -> FeatureBuilder:
        """Learn event types, outcome types and category levels from rows known at `cutoff`."""
        cfg = self.config
        known = export.events.filter(pl.col("occurred_at") <= cutoff)
        counts = known.group_by("event_type").len().filter(pl.col("len") >= cfg.min_event_type_count)
        top = counts.sort(["len", "event_type"], descending=[True, False]).head(cfg.max_event_types)
        event_types = tuple(sorted(top["event_type"].to_list()))
        if not event_types:
            raise PropensityError(
                f"events: no event type occurs at least {cfg.min_event_type_count} times up to "
                f"{cutoff:%Y-%m-%d}; there is no engagement history to learn from"
            )
        high_intent = tuple(e for e in cfg.high_intent_events if e in event_types)
        outcome_types = self._outcome_types(export, cutoff) if cfg.outcome_history else ()

        feats: list[FeatureDef] = []
        labels: dict[str, str] = {}
        for e in event_types:
            labels[e] = event_label(e)
            for w in cfg.windows_days:
                feats.append(FeatureDef(f"n_{sanitize(e)}_{w}d", "count", e, event_type=e, window=w))
            feats.append(FeatureDef(f"days_since_{sanitize(e)}", "recency", e, event_type=e))
        feats += [
            FeatureDef("days_since_last_event", "recency", "recency"),
            FeatureDef("days_since_first_event", "age", "first_touch"),
            FeatureDef(f"trend_{cfg.trend_days}d", "trend", "trend", window=cfg.trend_days),
            FeatureDef(f"distinct_types_{max(cfg.windows_days)}d", "distinct", "breadth", window=max(cfg.windows_days)),
        ]
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
        for o in outcome_types:
            feats.append(FeatureDef(f"days_since_outcome_{sanitize(o)}", "outcome", "outcome_history", event_type=o))
            labels["outcome_history"] = "the contact's earlier outcomes"

        categories: dict[str, tuple[str, ...]] = {}
        contacts = self._contact_attributes(export.contacts)
        has_accounts = export.contacts["account_id"].null_count() < export.contacts.height
        if has_accounts:
            feats += self._account_defs(cfg, high_intent, outcome_types, contacts, labels)

        accounts = export.accounts
        feats.append(FeatureDef("title_seniority", "category", "seniority", source="job_title"))
        feats.append(FeatureDef("title_department", "category", "department", source="job_title"))
        labels.update(seniority="job title seniority", department="job title department")
        feats.append(FeatureDef("contact_age_days", "numeric", "contact_age", source="created_at"))
        feats.append(FeatureDef("first_touch_lag_days", "lag", "contact_age", source="created_at"))
        labels["contact_age"] = "time in the CRM"
        used = {f.name for f in feats}
        for table, frame, skip in (("contacts", contacts, {"title_seniority", "title_department"}), ("accounts", accounts, {"account_id"})):
            for col in frame.columns:
                if col in _CONTACT_FIXED or col in skip:
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
        )
        return self

    @staticmethod
    def _outcome_types(export: CrmExport, cutoff: datetime) -> tuple[str, ...]:
        if export.outcomes is None or export.outcomes.height == 0:
            return ()
        known = export.outcomes.filter(pl.col("occurred_at") <= cutoff).group_by("outcome").len()
        return tuple(sorted(known.filter(pl.col("len") >= _MIN_OUTCOME_COUNT)["outcome"].to_list()))

    @staticmethod
    def _account_defs(
        cfg: FeatureConfig,
        high_intent: tuple[str, ...],
        outcome_types: tuple[str, ...],
        contacts: pl.DataFrame,
        labels: dict[str, str],
    ) -> list[FeatureDef]:
        c = cfg.committee_days
        longest = max(cfg.windows_days)
        feats = [FeatureDef("acct_contacts", "account", "account_engagement", source="contacts")]
        for w in cfg.windows_days:
            feats.append(FeatureDef(f"acct_engaged_contacts_{w}d", "account", "account_engagement", window=w, source="engaged"))
            feats.append(FeatureDef(f"acct_events_{w}d", "account", "account_engagement", window=w, source="events"))
        feats.append(FeatureDef("acct_decay_engagement", "account", "account_engagement", source="decay"))
        for band in SENIORITY_BANDS:
            feats.append(FeatureDef(f"acct_engaged_{band}_{c}d", "account", "committee_seniority", window=c, source=f"engaged:{band}"))
        feats.append(FeatureDef(f"committee_seniority_share_{longest}d", "seniority_share", "committee_seniority", window=longest))
        departments = sorted(
            d for d in contacts["title_department"].unique().drop_nulls().to_list() if d not in _NOT_A_DEPARTMENT
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
            account_engagement="buying-committee engagement",
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
        for o in outcome_types:
            s = sanitize(o)
            feats.append(FeatureDef(f"acct_outcome_{s}_contacts", "account", "account_outcomes", event_type=o, source=f"outcome:{o}"))
            feats.append(
                FeatureDef(f"acct_days_since_outcome_{s}", "account", "account_outcomes", event_type=o, source=f"outcome_recency:{o}")
            )
            labels["account_outcomes"] = "the account's earlier outcomes"
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

    def transform(self, export: CrmExport, pairs: pl.DataFrame) -> pl.DataFrame:
        """Features for `pairs` (contact_id, cutoff): one row per pair, in the order of `pairs`."""
        spec = self._spec()
        cutoffs = sorted(pairs["cutoff"].unique().to_list())
        contacts = self._contact_attributes(export.contacts).with_row_index("_cid")
        events = self._prepare_events(export, spec, contacts.select("contact_id", "_cid"))
        outcomes = self._prepare_outcomes(export, spec)
        account_kinds = any(f.kind in ("account", "share", "seniority_share") for f in spec.features)
        families: list[str] = ["engagement"]
        if account_kinds:
            families.append("account")
        if outcomes is not None and any(f.kind == "outcome" for f in spec.features):
            families.append("outcome")
        queries: list[pl.LazyFrame] = []
        for t in cutoffs:
            queries.append(self._engagement(events, spec, t))
            if account_kinds:
                queries.append(self._account(events, contacts, outcomes, spec, t))
            if "outcome" in families:
                queries.append(self._outcomes(outcomes, spec, t))  # type: ignore[arg-type]
        results = pl.collect_all(queries) if queries else []
        k = len(families)

        frames = []
        accounts_of = contacts.select("contact_id", "_cid", "account_id")
        for i, t in enumerate(cutoffs):
            got = dict(zip(families, results[i * k : (i + 1) * k], strict=True))
            part = pairs.filter(pl.col("cutoff") == t).select("contact_id", "cutoff").join(accounts_of, on="contact_id", how="left")
            part = part.join(got["engagement"], on="_cid", how="left").drop("_cid")
            if "outcome" in got:
                part = part.join(got["outcome"], on="contact_id", how="left")
            if "account" in got:
                part = part.join(got["account"], on="account_id", how="left")
            else:
                part = part.drop("account_id")
            frames.append(part)
        feats = pl.concat(frames, how="diagonal_relaxed") if frames else pairs.select("contact_id", "cutoff")
        feats = self._fill_engagement(feats, spec)
        feats = self._attributes(feats, export, contacts, spec)
        feats = self._relative(feats, spec)
        order = pairs.select("contact_id", "cutoff").with_row_index("_row")
        out = order.join(feats, on=["contact_id", "cutoff"], how="left").sort("_row").drop("_row")
        return out.select("contact_id", "cutoff", *spec.names)

    @staticmethod
    def _prepare_events(export: CrmExport, spec: FeatureSpec, keys: pl.DataFrame) -> pl.LazyFrame:
        """The events of known types and contacts, once for all cutoffs: integer contact keys (`cid`),
        type codes and epoch microseconds, so every per-cutoff query groups integers, not strings."""
        codes = {e: i for i, e in enumerate(spec.event_types)}
        hi = [codes[e] for e in spec.high_intent_events if e in codes]
        return (
            export.events.lazy()
            .select(
                "contact_id",
                pl.col("event_type").replace_strict(codes, default=None, return_dtype=pl.Int16).alias("etype"),
                pl.col("occurred_at").dt.epoch("us").alias("ts"),
            )
            .filter(pl.col("etype").is_not_null())
            .join(keys.lazy(), on="contact_id", how="inner")
            .select("_cid", "ts", "etype", pl.col("etype").is_in(hi).alias("hi"))
            .collect()
            .lazy()
        )

    @staticmethod
    def _prepare_outcomes(export: CrmExport, spec: FeatureSpec) -> pl.LazyFrame | None:
        if not spec.outcome_types:
            return None
        if export.outcomes is None:
            log.warning(
                "no outcomes table: the outcome-history features (earlier mqls, a colleague's opportunity) "
                "are scored as if nothing had happened yet"
            )
            return pl.LazyFrame(schema={"contact_id": pl.String, "ts": pl.Int64, "outcome": pl.String})
        return (
            export.outcomes.lazy()
            .filter(pl.col("outcome").is_in(list(spec.outcome_types)))
            .select("contact_id", pl.col("occurred_at").dt.epoch("us").alias("ts"), "outcome")
        )

    def _decay(self, spec: FeatureSpec, now: int) -> pl.Expr:
        half_life = max(float(spec.decay_half_life_days), 1e-6)
        age = (now - pl.col("ts")).cast(pl.Float64) / _DAY_US
        return (0.5 ** (age / half_life)).cast(pl.Float64)

    def _engagement(self, events: pl.LazyFrame, spec: FeatureSpec, t: datetime) -> pl.LazyFrame:
        """Two stages, both on polars' fast aggregation path: per (contact, event type) counts in
        every window, first/last time and decayed sum; then each contact's features from those few
        rows (trend and acceleration as differences of window counts: the same integers)."""
        now = _to_us(t)
        codes = {e: i for i, e in enumerate(spec.event_types)}
        windows: set[int] = set()
        for f in spec.features:
            if f.kind in ("count", "distinct", "share", "seniority_share") and f.window:
                windows.add(f.window)
            elif f.kind == "trend" and f.window:
                windows |= {f.window, 2 * f.window}
            elif f.kind == "accel" and f.window:
                windows |= {f.window, spec.trend_days}
        ws = sorted(windows)
        per_type = (
            events.filter(pl.col("ts") <= now)
            .with_columns(
                *[(pl.col("ts") > now - w * _DAY_US).alias(f"_in{w}") for w in ws],
                self._decay(spec, now).alias("_dw"),
            )
            .group_by("_cid", "etype")
            .agg(
                pl.col("ts").max().alias("_last"),
                pl.col("ts").min().alias("_first"),
                pl.col("_dw").sum().alias("_decay"),
                *[pl.col(f"_in{w}").sum().cast(pl.Int64).alias(f"_c{w}") for w in ws],
            )
        )

        def days(ts: pl.Expr) -> pl.Expr:
            return ((now - ts) / _DAY_US).cast(pl.Float32)

        def total(w: int) -> pl.Expr:
            return pl.col(f"_c{w}").sum()

        hi = [codes[e] for e in spec.high_intent_events if e in codes]
        exprs: list[pl.Expr] = []
        for f in spec.features:
            if f.kind == "count":
                is_type = pl.col("etype") == codes[f.event_type]
                exprs.append(pl.when(is_type).then(pl.col(f"_c{f.window}")).otherwise(0).sum().cast(pl.Float32).alias(f.name))
            elif f.kind == "recency" and f.event_type is not None:
                last = pl.when(pl.col("etype") == codes[f.event_type]).then(pl.col("_last")).max()
                exprs.append(days(last).alias(f.name))
            elif f.kind == "recency":
                exprs.append(days(pl.col("_last").max()).alias(f.name))
            elif f.kind == "age":
                exprs.append(days(pl.col("_first").min()).alias(f.name))
            elif f.kind == "trend":
                w = f.window
                before = total(2 * w) - total(w)
                exprs.append((total(w).cast(pl.Float32) - before.cast(pl.Float32)).alias(f.name))
            elif f.kind == "accel":
                short, trend = f.window, spec.trend_days
                rest = (total(trend) - total(short)).cast(pl.Float32)
                exprs.append((total(short).cast(pl.Float32) - rest * (short / (trend - short))).alias(f.name))
            elif f.kind == "distinct":
                exprs.append((pl.col(f"_c{f.window}") > 0).sum().cast(pl.Float32).alias(f.name))
            elif f.kind == "decay":
                weight = pl.col("_decay") if f.source != "high_intent" else pl.col("_decay") * pl.col("etype").is_in(hi).cast(pl.Float64)
                exprs.append(weight.sum().cast(pl.Float32).alias(f.name))
            elif f.kind == "flag" and f.event_type in codes:
                exprs.append((pl.col("etype") == codes[f.event_type]).any().cast(pl.Float32).alias(f.name))
        for w in sorted({f.window for f in spec.features if f.kind in ("share", "seniority_share") and f.window}):
            exprs.append(total(w).cast(pl.Float32).alias(f"_own_{w}d"))
        if any(f.kind == "lag" for f in spec.features):
            exprs.append(days(pl.col("_first").min()).alias("_first_event_age"))
        return per_type.group_by("_cid").agg(exprs)

    @staticmethod
    def _accel_expr(short: int, trend: int, now: int) -> pl.Expr:
        """Events in the last `short` days minus the same span's share of the rest of the trend window."""
        recent = (pl.col("ts") > now - short * _DAY_US).sum().cast(pl.Float32)
        rest = ((pl.col("ts") <= now - short * _DAY_US) & (pl.col("ts") > now - trend * _DAY_US)).sum().cast(pl.Float32)
        return recent - rest * (short / (trend - short))

    def _account(
        self, events: pl.LazyFrame, contacts: pl.DataFrame, outcomes: pl.LazyFrame | None, spec: FeatureSpec, t: datetime
    ) -> pl.LazyFrame:
        now = _to_us(t)
        rank = pl.col("title_seniority").replace_strict(SENIORITY_RANK, default=-1, return_dtype=pl.Int8)
        band_of = {s: b for b, members in SENIORITY_BANDS.items() for s in members}
        people = (
            contacts.lazy()
            .filter(pl.col("account_id").is_not_null() & (pl.col("created_at") <= t))
            .select(
                "contact_id",
                "_cid",
                "account_id",
                (rank >= _SENIOR_RANK).alias("senior"),
                rank.clip(lower_bound=1).cast(pl.Float32).alias("weight"),
                pl.col("title_seniority").replace_strict(band_of, default=None, return_dtype=pl.String).alias("band"),
                pl.col("title_department").alias("dept"),
            )
        )
        wanted = [f for f in spec.features if f.kind == "account"]
        sources = {f.name: _account_source(f) for f in wanted}
        windows = {f.window for f in wanted if f.window} | {
            f.window for f in spec.features if f.kind in ("share", "seniority_share") and f.window
        }
        trend_w = next((f.window for f in wanted if sources[f.name] == "trend"), None)
        accel = next((f for f in wanted if sources[f.name] == "accel"), None)
        half_life = max(float(spec.decay_half_life_days), 1e-6)
        span_days = max([*windows, 2 * (trend_w or 0), spec.trend_days if accel else 0, _DECAY_SPAN * half_life])
        decay = self._decay(spec, now)

        # stage 1: one row per engaged (account, contact) with its counts per window
        per_contact_exprs: list[pl.Expr] = []
        for w in sorted(windows):
            inside = pl.col("ts") > now - w * _DAY_US
            per_contact_exprs += [
                inside.sum().cast(pl.Float32).alias(f"_n{w}"),
                (inside & pl.col("hi")).sum().cast(pl.Float32).alias(f"_hi{w}"),
            ]
        per_contact_exprs += [
            decay.sum().alias("_decay"),
            (decay * pl.col("hi").cast(pl.Float64)).sum().alias("_decay_hi"),
        ]
        if trend_w:
            w = trend_w * _DAY_US
            per_contact_exprs += [
                (pl.col("ts") > now - w).sum().cast(pl.Float32).alias("_trend_recent"),
                ((pl.col("ts") <= now - w) & (pl.col("ts") > now - 2 * w)).sum().cast(pl.Float32).alias("_trend_before"),
            ]
        if accel is not None:
            per_contact_exprs.append(self._accel_expr(accel.window or 7, spec.trend_days, now).alias("_accel"))
        engaged = (
            events.filter((pl.col("ts") <= now) & (pl.col("ts") > now - int(span_days * _DAY_US)))
            .join(people.select("_cid", "account_id"), on="_cid", how="inner")
            .group_by("account_id", "_cid")
            .agg(per_contact_exprs)
            .join(people.select("_cid", "senior", "weight", "band", "dept"), on="_cid", how="left")
        )

        # stage 2: the account
        exprs: dict[str, pl.Expr] = {}
        for f in wanted:
            src, w = sources[f.name], f.window or 0
            active = pl.col(f"_n{w}") > 0 if w else None
            if src == "engaged":
                exprs[f.name] = active.sum()  # type: ignore[union-attr]
            elif src == "engaged:senior":
                exprs[f.name] = (active & pl.col("senior")).sum()
            elif src.startswith("engaged:"):
                exprs[f.name] = (active & (pl.col("band") == src.split(":", 1)[1])).sum()
            elif src.startswith("department:"):
                exprs[f.name] = (active & (pl.col("dept") == src.split(":", 1)[1])).sum()
            elif src == "departments":
                exprs[f.name] = pl.col("dept").filter(active & ~pl.col("dept").is_in(list(_NOT_A_DEPARTMENT))).n_unique()  # type: ignore[operator]
            elif src == "events":
                exprs[f.name] = pl.col(f"_n{w}").sum()
            elif src == "high_intent_events":
                exprs[f.name] = pl.col(f"_hi{w}").sum()
            elif src == "high_intent_contacts":
                exprs[f.name] = (pl.col(f"_hi{w}") > 0).sum()
            elif src == "decay":
                exprs[f.name] = pl.col("_decay").sum()
            elif src == "decay_high_intent":
                exprs[f.name] = pl.col("_decay_hi").sum()
            elif src == "trend":
                exprs[f.name] = pl.col("_trend_recent").sum() - pl.col("_trend_before").sum()
            elif src == "accel":
                exprs[f.name] = pl.col("_accel").cast(pl.Float64).sum()  # float64: the same sum in any order
        helpers: dict[str, pl.Expr] = {}
        for f in spec.features:
            if f.kind == "share":
                helpers[f"_acct_n{f.window}"] = pl.col(f"_n{f.window}").sum()
            elif f.kind == "seniority_share":
                helpers[f"_acct_weight{f.window}"] = pl.col("weight").filter(pl.col(f"_n{f.window}") > 0).sum()
        all_exprs = {**exprs, **helpers}
        agg = engaged.group_by("account_id").agg([e.cast(pl.Float32).alias(n) for n, e in all_exprs.items()])
        out = people.group_by("account_id").agg(pl.len().cast(pl.Float32).alias("_acct_contacts"))
        out = out.join(agg, on="account_id", how="left").with_columns(
            [pl.col(n).fill_null(0.0) for n in all_exprs]
        )
        for f in wanted:
            if sources[f.name] == "contacts":
                out = out.with_columns(pl.col("_acct_contacts").alias(f.name))
        if outcomes is not None:
            out = out.join(self._account_outcomes(outcomes, people, spec, wanted, sources, now), on="account_id", how="left")
            # a known account without such an outcome has zero of them (days-since stays unknown)
            counts = [f.name for f in wanted if sources[f.name].startswith("outcome:")]
            out = out.with_columns([pl.col(n).fill_null(0.0) for n in counts])
        return out.select("account_id", *[f.name for f in wanted if f.name in out.collect_schema().names()], *helpers)

    @staticmethod
    def _account_outcomes(
        outcomes: pl.LazyFrame,
        people: pl.LazyFrame,
        spec: FeatureSpec,
        wanted: list[FeatureDef],
        sources: dict[str, str],
        now: int,
    ) -> pl.LazyFrame:
        age = ((now - pl.col("ts")) / _DAY_US).cast(pl.Float32)
        exprs = []
        for f in wanted:
            src = sources[f.name]
            if src.startswith("outcome:"):
                o = src.split(":", 1)[1]
                exprs.append(pl.col("contact_id").filter(pl.col("outcome") == o).n_unique().cast(pl.Float32).alias(f.name))
            elif src.startswith("outcome_recency:"):
                o = src.split(":", 1)[1]
                exprs.append(age.filter(pl.col("outcome") == o).min().alias(f.name))
        if not exprs:
            return people.select("account_id").unique()
        return (
            outcomes.filter(pl.col("ts") <= now)
            .join(people.select("contact_id", "account_id"), on="contact_id", how="inner")
            .group_by("account_id")
            .agg(exprs)
        )

    @staticmethod
    def _outcomes(outcomes: pl.LazyFrame, spec: FeatureSpec, t: datetime) -> pl.LazyFrame:
        now = _to_us(t)
        age = ((now - pl.col("ts")) / _DAY_US).cast(pl.Float32)
        exprs = [
            age.filter(pl.col("outcome") == f.event_type).min().alias(f.name) for f in spec.features if f.kind == "outcome"
        ]
        return outcomes.filter(pl.col("ts") <= now).group_by("contact_id").agg(exprs)

    @staticmethod
    def _fill_engagement(feats: pl.DataFrame, spec: FeatureSpec) -> pl.DataFrame:
        fills = []
        for f in spec.features:
            if f.kind in ("count", "trend", "distinct", "accel", "decay", "flag"):
                if f.name not in feats.columns:
                    fills.append(pl.lit(0.0, dtype=pl.Float32).alias(f.name))
                else:
                    fills.append(pl.col(f.name).fill_null(0.0))
            elif f.kind in ("recency", "age", "outcome") and f.name not in feats.columns:
                fills.append(pl.lit(None, dtype=pl.Float32).alias(f.name))
            elif f.kind == "account" and f.name not in feats.columns:
                fills.append(pl.lit(None, dtype=pl.Float32).alias(f.name))
        return feats.with_columns(fills) if fills else feats

    @staticmethod
    def _relative(feats: pl.DataFrame, spec: FeatureSpec) -> pl.DataFrame:
        """The contact against its account: share of the account's events and of the engaged seniority."""
        exprs = []
        for f in spec.features:
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
        for name in spec.names:
            if name not in feats.columns and not any(e.meta.output_name() == name for e in exprs):
                exprs.append(pl.lit(None, dtype=pl.Float32).alias(name))
        return feats.with_columns(exprs) if exprs else feats

    @staticmethod
    def _attributes(feats: pl.DataFrame, export: CrmExport, contacts: pl.DataFrame, spec: FeatureSpec) -> pl.DataFrame:
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
            "contact_id",
            pl.col("account_id").alias("_account_id"),
            "created_at",
            "title_seniority",
            "title_department",
            *[pl.col(c).alias(n) for c, n in wanted_contact.items()],
        )
        firms = export.accounts.select(
            pl.col("account_id").alias("_account_id"), *[pl.col(c).alias(n) for c, n in wanted_account.items()]
        )
        out = (
            feats.drop("account_id", strict=False)
            .join(people, on="contact_id", how="left")
            .join(firms, on="_account_id", how="left")
            .with_columns(
                ((pl.col("cutoff") - pl.col("created_at")).dt.total_seconds() / 86_400).cast(pl.Float32).alias("contact_age_days")
            )
        )
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
        return out.with_columns(casts) if casts else out
