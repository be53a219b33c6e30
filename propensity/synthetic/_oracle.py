"""The generator's oracle beside a trained model: the same validation leads, scored by their true
probability of converting (`oracle.parquet` of `generate_crm`), so a score's quality reads against
the best any model could do on that data.

Used by `propensity demo` (oracle ROC AUC) and `make bench-quality` (the whole comparison table).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl

__all__ = ["ORACLE", "join_oracle", "oracle_auc", "normalized_auc", "compare_scores"]

ORACLE = "p_oracle"


def join_oracle(rows: pl.DataFrame, data_dir: str | Path) -> pl.DataFrame | None:
    """`rows` (contact_id, cutoff, ...) with the oracle's `p_oracle` beside them (inner join on
    contact_id and cutoff); None when the folder has no oracle (an export not made by the generator)."""
    path = Path(data_dir) / "oracle.parquet"
    if not path.is_file():
        return None
    oracle = pl.read_parquet(path, columns=["contact_id", "cutoff", ORACLE])
    oracle = oracle.with_columns(pl.col("cutoff").cast(rows.schema["cutoff"]))
    return rows.join(oracle, on=["contact_id", "cutoff"], how="inner")


def oracle_auc(rows: pl.DataFrame, data_dir: str | Path) -> float | None:
    """ROC AUC of the true probabilities on the validation leads `rows` (with `label`); None without
    an oracle or without both classes."""
    from sklearn.metrics import roc_auc_score

    joined = join_oracle(rows, data_dir)
    if joined is None or joined.height == 0 or joined["label"].n_unique() < 2:
        return None
    return float(roc_auc_score(joined["label"].to_numpy(), joined[ORACLE].to_numpy()))


def normalized_auc(auc: float, oracle: float) -> float:
    """(AUC - 0.5) / (AUC_oracle - 0.5): the share of the oracle's lift over chance a score achieves."""
    return float((auc - 0.5) / (oracle - 0.5)) if oracle > 0.5 else float("nan")


def compare_scores(
    joined: pl.DataFrame, scores: Mapping[str, str], probabilities: tuple[str, ...] = ()
) -> dict[str, dict[str, float]]:
    """Per score (display name -> column of `joined`, which also holds `label` and `p_oracle`): ROC AUC,
    PR AUC, top-10/20% capture, the normalized AUC against the oracle and, for the columns named in
    `probabilities`, the ECE. The oracle itself is added as "oracle". Same rows, same labels for all."""
    from propensity.training._metrics import ece, ranking_metrics

    y = joined["label"].to_numpy()
    columns = {**scores, "oracle": ORACLE}
    out: dict[str, dict[str, float]] = {}
    for name, col in columns.items():
        s = joined[col].to_numpy().astype(np.float64)
        out[name] = ranking_metrics(y, s)
        out[name]["ece"] = ece(y, s) if (col in probabilities or col == ORACLE) else float("nan")
    best = out["oracle"]["roc_auc"]
    for m in out.values():
        m["normalized_auc"] = normalized_auc(m["roc_auc"], best)
    return out
