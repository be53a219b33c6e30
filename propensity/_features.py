"""Point-in-time features for (contact, cutoff) pairs, built with polars.

`FeatureBuilder.fit` learns the vocabulary (event types, categories) from what was known at a
cutoff; `transform` is pure given the pairs: only rows with `occurred_at <= cutoff` count, so
events that happen later can never change a feature.
"""

from __future__ import annotations

import re
from datetime import datetime

import polars as pl

from propensity._config import FeatureConfig
from propensity._errors import PropensityError
from propensity._export import CrmExport
from propensity._feature_spec import FeatureDef, FeatureSpec, event_label
from propensity._titles import SENIORITY_RANK, parse_titles

__all__ = ["FeatureBuilder", "sanitize"]

_DAY_US = 86_400_000_000
_SENIOR_RANK = 4  # director, head and above
_CONTACT_FIXED = ("contact_id", "account_id", "created_at", "job_title")


def sanitize(name: str) -> str:
    """A column name safe for LightGBM and readable in a table."""
    out = re.sub(r"[^0-9a-zA-Z]+", "_", name.strip().lower()).strip("_")
    return out or "col"


def _to_us(t: datetime) -> int:
    return int((t - datetime(1970, 1, 1)).total_seconds()) * 1_000_000 + t.microsecond


class FeatureBuilder:
    """Engagement, buying-committee, contact and firmographic features at a cutoff."""

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()

    # ------------------------------------------------------------------ fit
    def fit(self, export: CrmExport, cutoff: datetime) -> FeatureBuilder:
        """Learn event types and category levels from rows known at `cutoff`."""
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
        labels.update(
            recency="recency of activity",
            first_touch="time since first touch",
            trend="activity trend",
            breadth="breadth of activity",
        )
        has_accounts = export.contacts["account_id"].null_count() < export.contacts.height
        if has_accounts:
            feats += [
                FeatureDef("acct_engaged_contacts_30d", "account", "account_engagement", window=30),
                FeatureDef("acct_engaged_contacts_90d", "account", "account_engagement", window=90),
                FeatureDef("acct_senior_engaged_30d", "account", "account_engagement", window=30),
                FeatureDef("acct_contacts", "account", "account_engagement"),
            ]
            labels["account_engagement"] = "buying-committee engagement"
            if high_intent:
                feats += [
                    FeatureDef("acct_high_intent_contacts_30d", "account", "account_intent", window=30),
                    FeatureDef("acct_high_intent_events_90d", "account", "account_intent", window=90),
                ]
                labels["account_intent"] = "account high-intent activity"

        categories: dict[str, tuple[str, ...]] = {}
        contacts = self._contact_attributes(export.contacts)
        accounts = export.accounts
        feats.append(FeatureDef("title_seniority", "category", "seniority", source="job_title"))
        feats.append(FeatureDef("title_department", "category", "department", source="job_title"))
        labels.update(seniority="job title seniority", department="job title department")
        feats.append(FeatureDef("contact_age_days", "numeric", "contact_age", source="created_at"))
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
        )
        return self

    @classmethod
    def from_spec(cls, spec: FeatureSpec) -> FeatureBuilder:
        """A fitted builder that rebuilds exactly the features of `spec` (used at scoring)."""
        builder = cls(FeatureConfig(windows_days=spec.windows_days, trend_days=spec.trend_days))
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
        events = self._prepare_events(export, spec)
        contacts = self._contact_attributes(export.contacts)
        queries = [self._engagement(events, spec, t) for t in cutoffs]
        account_q = [self._account(events, contacts, spec, t) for t in cutoffs] if self._has(spec, "account") else []
        results = pl.collect_all(queries + account_q)
        engaged = results[: len(cutoffs)]
        accounts = results[len(cutoffs) :]

        frames = []
        for i, t in enumerate(cutoffs):
            part = pairs.filter(pl.col("cutoff") == t).select("contact_id", "cutoff")
            part = part.join(engaged[i], on="contact_id", how="left")
            if accounts:
                part = part.join(contacts.select("contact_id", "account_id"), on="contact_id", how="left").join(
                    accounts[i], on="account_id", how="left"
                ).drop("account_id")
            frames.append(part)
        feats = pl.concat(frames, how="diagonal_relaxed") if frames else pairs.select("contact_id", "cutoff")
        feats = self._fill_engagement(feats, spec)
        feats = self._attributes(feats, export, contacts, spec)
        order = pairs.select("contact_id", "cutoff").with_row_index("_row")
        out = order.join(feats, on=["contact_id", "cutoff"], how="left").sort("_row").drop("_row")
        return out.select("contact_id", "cutoff", *spec.names)

    @staticmethod
    def _has(spec: FeatureSpec, kind: str) -> bool:
        return any(f.kind == kind for f in spec.features)

    @staticmethod
    def _prepare_events(export: CrmExport, spec: FeatureSpec) -> pl.LazyFrame:
        codes = {e: i for i, e in enumerate(spec.event_types)}
        return (
            export.events.lazy()
            .with_columns(
                pl.col("event_type").replace_strict(codes, default=None, return_dtype=pl.Int16).alias("etype"),
                pl.col("occurred_at").dt.epoch("us").alias("ts"),
            )
            .filter(pl.col("etype").is_not_null())
            .select("contact_id", "ts", "etype")
        )

    def _engagement(self, events: pl.LazyFrame, spec: FeatureSpec, t: datetime) -> pl.LazyFrame:
        now = _to_us(t)
        age = ((now - pl.col("ts")) / _DAY_US).cast(pl.Float32)
        exprs: list[pl.Expr] = []
        codes = {e: i for i, e in enumerate(spec.event_types)}
        for f in spec.features:
            if f.kind == "count":
                mask = (pl.col("etype") == codes[f.event_type]) & (pl.col("ts") > now - f.window * _DAY_US)
                exprs.append(mask.sum().cast(pl.Float32).alias(f.name))
            elif f.kind == "recency" and f.event_type is not None:
                exprs.append(age.filter(pl.col("etype") == codes[f.event_type]).min().alias(f.name))
            elif f.kind == "recency":
                exprs.append(age.min().alias(f.name))
            elif f.kind == "age":
                exprs.append(age.max().alias(f.name))
            elif f.kind == "trend":
                w = f.window * _DAY_US
                recent = (pl.col("ts") > now - w).sum()
                before = ((pl.col("ts") <= now - w) & (pl.col("ts") > now - 2 * w)).sum()
                exprs.append((recent.cast(pl.Float32) - before.cast(pl.Float32)).alias(f.name))
            elif f.kind == "distinct":
                exprs.append(
                    pl.col("etype").filter(pl.col("ts") > now - f.window * _DAY_US).n_unique().cast(pl.Float32).alias(f.name)
                )
        return events.filter(pl.col("ts") <= now).group_by("contact_id").agg(exprs)

    def _account(self, events: pl.LazyFrame, contacts: pl.DataFrame, spec: FeatureSpec, t: datetime) -> pl.LazyFrame:
        now = _to_us(t)
        rank = pl.col("title_seniority").replace_strict(SENIORITY_RANK, default=-1, return_dtype=pl.Int8)
        people = (
            contacts.lazy()
            .filter(pl.col("account_id").is_not_null() & (pl.col("created_at") <= t))
            .select("contact_id", "account_id", (rank >= _SENIOR_RANK).alias("senior"))
        )
        hi_codes = [spec.event_types.index(e) for e in spec.high_intent_events]
        recent = (
            events.filter((pl.col("ts") <= now) & (pl.col("ts") > now - 90 * _DAY_US))
            .join(people, on="contact_id", how="inner")
            .with_columns(
                (pl.col("ts") > now - 30 * _DAY_US).alias("in30"),
                pl.col("etype").is_in(hi_codes).alias("hi"),
            )
        )
        wanted = {f.name for f in spec.features if f.kind == "account"}
        exprs = {
            "acct_engaged_contacts_30d": pl.col("contact_id").filter(pl.col("in30")).n_unique(),
            "acct_engaged_contacts_90d": pl.col("contact_id").n_unique(),
            "acct_senior_engaged_30d": pl.col("contact_id").filter(pl.col("in30") & pl.col("senior")).n_unique(),
            "acct_high_intent_contacts_30d": pl.col("contact_id").filter(pl.col("in30") & pl.col("hi")).n_unique(),
            "acct_high_intent_events_90d": pl.col("hi").sum(),
        }
        agg = recent.group_by("account_id").agg(
            [e.cast(pl.Float32).alias(n) for n, e in exprs.items() if n in wanted]
        )
        sizes = people.group_by("account_id").agg(pl.len().cast(pl.Float32).alias("acct_contacts"))
        out = sizes.join(agg, on="account_id", how="left")
        fill = [pl.col(n).fill_null(0.0) for n in exprs if n in wanted]
        return out.with_columns(fill).select("account_id", *[n for n in ["acct_contacts", *exprs] if n in wanted])

    @staticmethod
    def _fill_engagement(feats: pl.DataFrame, spec: FeatureSpec) -> pl.DataFrame:
        fills = []
        for f in spec.features:
            if f.kind in ("count", "trend", "distinct"):
                if f.name not in feats.columns:
                    fills.append(pl.lit(0.0, dtype=pl.Float32).alias(f.name))
                else:
                    fills.append(pl.col(f.name).fill_null(0.0))
            elif f.kind in ("recency", "age") and f.name not in feats.columns:
                fills.append(pl.lit(None, dtype=pl.Float32).alias(f.name))
        return feats.with_columns(fills) if fills else feats

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
            "account_id",
            "created_at",
            "title_seniority",
            "title_department",
            *[pl.col(c).alias(n) for c, n in wanted_contact.items()],
        )
        firms = export.accounts.select("account_id", *[pl.col(c).alias(n) for c, n in wanted_account.items()])
        out = (
            feats.join(people, on="contact_id", how="left")
            .join(firms, on="account_id", how="left")
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

