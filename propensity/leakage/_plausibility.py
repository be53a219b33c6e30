"""Is the model too good to be true? A cross-validated ROC AUC far above what lead scoring reaches.

Buy-propensity models on real leads usually rank at a ROC AUC between 0.65 and 0.90; one that
cross-validates at 0.95 or more almost always reads an outcome in disguise the guard did not name.
The check names the columns that carry the model (their share of its importance, largest first,
until half of it is covered), so a user can look at them and `--exclude` or `--keep` on purpose.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

__all__ = ["DEFAULT_SUSPICIOUS_AUC", "Plausibility", "check_plausibility"]

DEFAULT_SUSPICIOUS_AUC = 0.95
_CARRIED = 0.5  # the columns listed cover at least this share of the model's importance
_MAX_LISTED = 5


@dataclass(frozen=True)
class Plausibility:
    cv_roc_auc: float
    threshold: float
    suspicious: bool
    carriers: tuple[tuple[str, float], ...]  # (column, share of the model's importance)

    def text(self) -> str:
        if not self.suspicious:
            return f"plausible: cross-validated ROC AUC {self.cv_roc_auc:.3f} < {self.threshold:.2f}"
        carried = ", ".join(f"{c} ({share:.0%})" for c, share in self.carriers)
        return (
            f"SUSPICIOUS: cross-validated ROC AUC {self.cv_roc_auc:.3f} >= {self.threshold:.2f}, far above what lead "
            f"scoring usually reaches; carried by {carried}: check whether they are known before the outcome"
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["carriers"] = [{"column": c, "share": s} for c, s in self.carriers]
        return d


def check_plausibility(cv_roc_auc: float, drivers: pd.DataFrame, threshold: float = DEFAULT_SUSPICIOUS_AUC) -> Plausibility:
    """`drivers` has one row per column ("driver", "importance" as a share), largest first."""
    suspicious = bool(cv_roc_auc >= threshold)
    carriers: list[tuple[str, float]] = []
    if suspicious:
        total = 0.0
        for row in drivers.sort_values("importance", ascending=False).itertuples():
            carriers.append((str(row.driver), float(row.importance)))
            total += float(row.importance)
            if total >= _CARRIED or len(carriers) >= _MAX_LISTED:
                break
    return Plausibility(float(cv_roc_auc), float(threshold), suspicious, tuple(carriers))
