"""Training sets: open leads at many monthly cutoffs, their features and labels, stacked."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl

from propensity._config import Config
from propensity.features._builder import FeatureBuilder
from propensity.features._spec import FeatureSpec
from propensity.io._export import CrmExport
from propensity.training._labels import SplitPlan, label_pairs, open_leads, plan_split
from propensity.training._sampling import Sampling, mark_kept

log = logging.getLogger("propensity")

POINTS_COLUMN = "_points"
"""The judged rows' hand-tuned points in a training set built on Spark (no feature name starts with _)."""

__all__ = [
    "POINTS_COLUMN", "TrainingSet", "build_training_set", "history_start", "default_plan", "labelled_pairs", "log_sampling",
    "sampled_pairs", "part_training_rows", "rows_at", "training_set_of_parts",
]


def history_start(export: CrmExport) -> datetime:
    """When the recorded history begins: the first event, or without events the first outcome
    (contacts may be older than their history; a cutoff before any recorded outcome would label
    every lead negative)."""
    span = export.event_span()
    if span is not None:
        return span[0]
    if export.outcomes is not None and export.outcomes.height:
        return export.outcomes["occurred_at"].min()  # type: ignore[return-value]
    return export.data_start


def rows_at(frame: pl.DataFrame, positions: np.ndarray, columns: list[str] | None = None) -> pl.DataFrame:
    """`frame[positions]` (of `columns` only, when given). The backtest's judged rows are the newest
    cutoffs of a set sorted by cutoff, one run of positions: then a slice, which copies nothing (a
    gather of a million rows held them twice)."""
    frame = frame if columns is None else frame.select(columns)
    n = len(positions)
    if n and int(positions[-1]) - int(positions[0]) + 1 == n and bool(np.all(np.diff(positions) == 1)):
        return frame.slice(int(positions[0]), n)
    return frame[positions]


@dataclass(frozen=True)
class TrainingSet:
    """Rows are (contact, cutoff) pairs of open leads at every matured cutoff; `fold` is the index of
    the backtest fold judged on the row's cutoff (-1 when none is)."""

    frame: pl.DataFrame
    builder: FeatureBuilder
    plan: SplitPlan
    sampling: Sampling | None = None  # negative downsampling: rows with `keep` false are judged, never fitted
    # A training set built where the events are (Spark) also holds `POINTS_COLUMN`: the hand-tuned points of
    # the judged rows (null elsewhere), which the evaluation compares the model with.

    def kept(self) -> np.ndarray:
        """Which rows may be fitted on (every row unless negatives were downsampled)."""
        if "keep" not in self.frame.columns:
            return np.ones(self.frame.height, dtype=bool)
        return self.frame["keep"].to_numpy().astype(bool)

    def judged(self, columns: list[str] | None = None) -> pl.DataFrame:
        """The rows some backtest fold is judged on, in (cutoff, contact) order (of `columns` only, when given)."""
        return self._rows(pl.col("fold") >= 0, columns)

    def at(self, cutoffs: tuple[datetime, ...] | list[datetime], columns: list[str] | None = None) -> pl.DataFrame:
        """The rows of these cutoffs (of `columns` only, when given)."""
        return self._rows(pl.col("cutoff").is_in(list(cutoffs)), columns)

    def _rows(self, where: pl.Expr, columns: list[str] | None) -> pl.DataFrame:
        """The rows `where` holds; with `columns`, only those are copied (a training set of millions of
        rows is not copied whole for the few columns read)."""
        if columns is None:
            return self.frame.filter(where)
        return self.frame.lazy().filter(where).select(columns).collect()

    @classmethod
    def stack(
        cls, labelled: pl.DataFrame, feats: pl.DataFrame, builder: FeatureBuilder, plan: SplitPlan, sampling: Sampling | None = None
    ) -> TrainingSet:
        """`labelled_pairs` with their features (however built), in (cutoff, contact) order.

        Features built for the sorted pairs (as `build_training_set` does) are put beside them as
        they are; features in another order are joined."""
        labelled = labelled.sort("cutoff", "contact_id")
        if feats.select("contact_id", "cutoff").equals(labelled.select("contact_id", "cutoff")):
            frame = pl.concat([labelled, feats.drop("contact_id", "cutoff")], how="horizontal")
        else:
            frame = labelled.join(feats, on=["contact_id", "cutoff"], how="left", maintain_order="left")
        return cls(frame, builder, plan, sampling)


def default_plan(export: CrmExport, config: Config) -> SplitPlan:
    """The monthly cutoffs and time-forward split of the export's recorded history (see `plan_split`)."""
    return plan_split(history_start(export), export.data_end, config.label, config.split)


def labelled_pairs(export: CrmExport, config: Config, plan: SplitPlan) -> pl.DataFrame:
    """The open leads at every planned cutoff, with `label` (0/1) and `fold` (the backtest fold judged
    on the cutoff, -1 when none is)."""
    pairs = open_leads(export.contacts, export.outcomes, plan.all, config.label)
    fold = pl.lit(-1, dtype=pl.Int8)
    for i, f in enumerate(plan.folds):
        fold = pl.when(pl.col("cutoff").is_in(list(f.judged))).then(pl.lit(i, dtype=pl.Int8)).otherwise(fold)
    return label_pairs(pairs, export.outcomes, config.label).with_columns(fold.alias("fold"))


def sampled_pairs(export: CrmExport, config: Config, plan: SplitPlan) -> tuple[pl.DataFrame, Sampling]:
    """`labelled_pairs` with `keep` (negative downsampling), reduced to the rows that are fitted on or
    judged (the only ones whose features are built), in (cutoff, contact) order."""
    labelled, sampling = mark_kept(labelled_pairs(export, config, plan), config.sampling, config.model.seed)
    log_sampling(sampling)
    return labelled.filter(pl.col("keep") | (pl.col("fold") >= 0)).sort("cutoff", "contact_id"), sampling


def log_sampling(sampling: Sampling) -> None:
    if sampling.rate < 1.0:
        log.info(
            "sampling: every positive and %.1f%% of the %s negative leads are fitted on (%s kept); every lead of the "
            "judged cutoffs is judged and calibrated on", 100 * sampling.rate, f"{sampling.negatives:,}", f"{sampling.kept_negatives:,}",
        )


def build_training_set(export: CrmExport, config: Config, plan: SplitPlan | None = None) -> TrainingSet:
    """Features at every planned cutoff for the contacts open then, with labels from the horizon after."""
    plan = plan or default_plan(export, config)
    builder = FeatureBuilder(config.features).fit(export, plan.cutoffs[-1])
    labelled, sampling = sampled_pairs(export, config, plan)
    feats = _features(builder, export, labelled.select("contact_id", "cutoff"))
    return TrainingSet.stack(labelled, feats, builder, plan, sampling)


def _features(builder: FeatureBuilder, export: CrmExport, pairs: pl.DataFrame) -> pl.DataFrame:
    """All pairs in one pass over the indexed events, behind a progress bar when a person watches."""
    from propensity.reports._terminal import progress_steps

    n = pairs["cutoff"].n_unique()
    with progress_steps(f"features at {n} training-set cutoffs", n) as advance:
        return builder.transform(export, pairs, on_cutoff=lambda _t: advance())


def part_training_rows(export: CrmExport, config: Config, plan: SplitPlan, spec: FeatureSpec, rate: float) -> pl.DataFrame:
    """The training-set rows of one part of an export that holds whole accounts (a Spark bucket, a
    chunk of a streamed folder): its kept or judged pairs with their features (numbers as Float32) and,
    for the judged rows, the hand-tuned points (`POINTS_COLUMN`), in (cutoff, contact) order. The
    seeded hash keep is row by row, so the parts together hold the rows `build_training_set` holds."""
    from propensity.scoring._points import points_scores
    from propensity.training._sampling import keep_expression

    labelled = labelled_pairs(export, config, plan)
    keep = keep_expression(rate, config.model.seed) if rate < 1.0 else pl.lit(True).alias("keep")
    pairs = labelled.with_columns(keep).filter(pl.col("keep") | (pl.col("fold") >= 0)).sort("cutoff", "contact_id")
    builder = FeatureBuilder.from_spec(spec)
    feats = builder.transform(export, pairs.select("contact_id", "cutoff"))
    judged = pairs.filter(pl.col("fold") >= 0).select("contact_id", "cutoff")
    points = points_scores(export, judged, config.points).rename({"points": POINTS_COLUMN})
    rows = TrainingSet.stack(pairs, feats, builder, plan).frame
    casts = [pl.col(f.name).cast(pl.String if f.kind == "category" else pl.Float32) for f in spec.features]
    return rows.join(points, on=["contact_id", "cutoff"], how="left", maintain_order="left").with_columns(casts)


def training_set_of_parts(frame: pl.DataFrame, builder: FeatureBuilder, plan: SplitPlan, rate: float, per_cutoff: pl.DataFrame) -> TrainingSet:
    """The training set of the parts' rows (`part_training_rows`, concatenated), with the sampling
    counted from the preflight's `per_cutoff` counts (every open lead, kept or not)."""
    positives = int(per_cutoff["positives"].sum())
    negatives = int(per_cutoff["open_leads"].sum()) - positives
    kept_negatives = frame.filter(pl.col("keep") & (pl.col("label") == 0)).height
    sampling = Sampling(rate, positives, negatives, kept_negatives if rate < 1.0 else negatives)
    log_sampling(sampling)
    return TrainingSet(_sorted_in_place(frame, ["cutoff", "contact_id"]), builder, plan, sampling)


def _sorted_in_place(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """`frame.sort(by)`, a column at a time, each unsorted column let go once its sorted copy exists:
    the peak is the frame and one column, not two frames (a whole sort held the 20M-event training set
    twice, its 4.1 GB peak)."""
    order = frame.select(pl.arg_sort_by(by)).to_series()
    columns = []
    for name in frame.columns:
        columns.append(frame.get_column(name).gather(order))
        frame = frame.drop(name)
    return pl.DataFrame(columns)
