"""The gate: whether a trained model may go into service, and which rule decided.

Every model must beat the hand-tuned points on the backtest's leads by the `[gate]` margins, be
calibrated and clear the floors (safety nets against a model that learned noise); a challenger must
also not be worse than the champion on leads neither was fitted on. `propensity retrain` and
`propensity train` (for its `champion` alias) both ask `judge`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np

from propensity._config import GateConfig

__all__ = [
    "Check",
    "GateDecision",
    "auc_z",
    "backtest_figures",
    "guard_checks",
    "holdout_figures",
    "judge",
    "last_fitted_cutoff",
]


def auc_z(auc: float, n_pos: int, n_neg: int) -> float:
    """Standard errors by which a ROC AUC exceeds chance (Mann-Whitney null standard error)."""
    if n_pos == 0 or n_neg == 0 or not math.isfinite(auc):
        return float("nan")
    return float((auc - 0.5) / math.sqrt((n_pos + n_neg + 1) / (12.0 * n_pos * n_neg)))


def holdout_figures(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """What the gate looks at: ranking and calibration metrics, z above chance, PR AUC lift."""
    from propensity.training._metrics import probability_metrics

    y = np.asarray(y).astype(np.int64)
    out = probability_metrics(y, np.asarray(p, dtype=np.float64))
    n_pos = int(y.sum())
    out["auc_z"] = auc_z(out["roc_auc"], n_pos, len(y) - n_pos)
    out["pr_lift"] = out["pr_auc"] / out["observed_rate"] if out["observed_rate"] > 0 else float("nan")
    out["rows"] = float(len(y))
    out["positives"] = float(n_pos)
    return out


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    challenger: str
    champion: str
    rule: str


def _fmt(x: float, digits: int = 4) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.{digits}f}"


def _ok(x: float, cond: bool) -> bool:
    return bool(math.isfinite(x) and cond)


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    checks: tuple[Check, ...]
    challenger: dict[str, float]
    champion: dict[str, float] | None
    basis: str = ""  # which leads the challenger and the champion were compared on

    @property
    def rule(self) -> str:
        """Which rule decided, in a sentence."""
        if not self.promote:
            first = self.failed[0]
            return f"refused by '{first.name}': {first.challenger} fails {first.rule}"
        if self.champion is None:
            return "first model: beats the hand-tuned points by the [gate] margins, is calibrated and clears the floors"
        return f"not worse than the champion ({self.basis}), beats the hand-tuned points, is calibrated and clears the floors"

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def reasons(self) -> str:
        if not self.failed:
            return "all checks passed"
        return "; ".join(
            f"{c.name} {c.challenger} fails {c.rule}" + (f" (champion {c.champion})" if c.champion else "") for c in self.failed
        )

    def figures(self) -> str:
        def line(m: dict[str, float]) -> str:
            return (
                f"PR AUC {_fmt(m['pr_auc'])}, top-10% capture {_fmt(m['capture_10'], 3)}, ECE {_fmt(m['ece'])}, "
                f"ROC AUC {_fmt(m['roc_auc'], 3)}"
            )

        text = f"challenger {line(self.challenger)}"
        return text + (f" | champion {line(self.champion)}" if self.champion else " | no champion")

    def table(self) -> str:
        from propensity.reports._text import format_table

        rows = [[c.name, c.challenger, c.champion or "-", c.rule, "pass" if c.passed else "FAIL"] for c in self.checks]
        return format_table(["check", "challenger", "champion", "rule", "result"], rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "promote": self.promote,
            "rule": self.rule,
            "basis": self.basis,
            "reasons": self.reasons(),
            "checks": [asdict(c) for c in self.checks],
            "challenger": self.challenger,
            "champion": self.champion,
        }


def guard_checks(metadata: dict[str, Any]) -> list[Check]:
    """The training preflight and leakage guard verdicts, when the model's metadata records them.

    A refused or failed preflight fails the gate; so does a column the leakage guard flagged that is
    still in the model (kept by configuration): a scheduled job does not put such a model in service.
    """
    out: list[Check] = []
    pre = metadata.get("preflight")
    if isinstance(pre, dict):
        status = str(pre.get("status", "passed" if pre.get("passed", True) else "failed"))
        passed = bool(pre.get("passed", status not in ("refused", "failed")))
        out.append(Check("training preflight", passed, status, "", "passed"))
    leaks = metadata.get("leakage")
    verdicts = leaks.get("verdicts") if isinstance(leaks, dict) else leaks
    if isinstance(verdicts, list):
        flagged = [v for v in verdicts if isinstance(v, dict) and v.get("reason")]
        kept = [str(v.get("column")) for v in flagged if not v.get("excluded", True)]
        shown = f"kept {', '.join(kept)}" if kept else f"{len(flagged)} flagged, all excluded"
        out.append(Check("leakage guard", not kept, shown, "", "no flagged column in the model"))
    return out


def judge(
    challenger: dict[str, float],
    champion: dict[str, float] | None,
    gate: GateConfig,
    guards: Sequence[Check] = (),
    *,
    points: dict[str, float] | None = None,
    basis: str = "",
    challenger_on_basis: dict[str, float] | None = None,
) -> GateDecision:
    """Promote when every check passes: margins against the champion (if any, on `basis`: the
    challenger's figures there are `challenger_on_basis`, else `challenger`), against the hand-tuned
    points (when given: their figures on the challenger's rows), floors, guards."""
    ch, cp = challenger_on_basis or challenger, champion
    checks: list[Check] = []
    if cp is not None:
        checks.append(
            Check("PR AUC vs champion", _ok(ch["pr_auc"], ch["pr_auc"] >= cp["pr_auc"] - gate.pr_auc_margin),
                  _fmt(ch["pr_auc"]), _fmt(cp["pr_auc"]), f">= champion - {gate.pr_auc_margin:g}")
        )
        checks.append(
            Check("top-10% capture vs champion", _ok(ch["capture_10"], ch["capture_10"] >= cp["capture_10"] - gate.capture_margin),
                  _fmt(ch["capture_10"], 3), _fmt(cp["capture_10"], 3), f">= champion - {gate.capture_margin:g}")
        )
    if points is not None:
        checks.append(
            Check("ROC AUC vs points", _ok(ch["roc_auc"], ch["roc_auc"] >= points["roc_auc"] + gate.points_auc_margin),
                  _fmt(ch["roc_auc"], 3), "", f">= points {_fmt(points['roc_auc'], 3)} + {gate.points_auc_margin:g}")
        )
        checks.append(
            Check("top-10% capture vs points", _ok(ch["capture_10"], ch["capture_10"] >= points["capture_10"] + gate.points_capture_margin),
                  _fmt(ch["capture_10"], 3), "", f">= points {_fmt(points['capture_10'], 3)} + {gate.points_capture_margin:g}")
        )
    ch = challenger
    champ = (lambda k, d=4: _fmt(cp.get(k, float("nan")), d)) if cp is not None else (lambda k, d=4: "")
    checks += [
        Check("calibration (ECE)", _ok(ch["ece"], ch["ece"] <= gate.max_ece), _fmt(ch["ece"]), champ("ece"), f"<= {gate.max_ece:g}"),
        Check("ROC AUC floor", _ok(ch["roc_auc"], ch["roc_auc"] >= gate.min_roc_auc), _fmt(ch["roc_auc"], 3), champ("roc_auc", 3),
              f">= {gate.min_roc_auc:g}"),
        Check("ROC AUC above chance", _ok(ch["auc_z"], ch["auc_z"] >= gate.min_auc_z), f"z {_fmt(ch['auc_z'], 1)}",
              f"z {champ('auc_z', 1)}" if cp is not None else "", f"z >= {gate.min_auc_z:g}"),
        Check("PR AUC lift over base rate", _ok(ch["pr_lift"], ch["pr_lift"] >= gate.min_pr_lift), f"{_fmt(ch['pr_lift'], 1)}x",
              f"{champ('pr_lift', 1)}x" if cp is not None else "", f">= {gate.min_pr_lift:g}x"),
    ]
    checks += list(guards)
    return GateDecision(all(c.passed for c in checks), tuple(checks), dict(challenger), dict(champion) if champion else None, basis)


def backtest_figures(rows: Any, metrics: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """The gate's figures of a trained model and of the points on its backtest rows (contact_id,
    cutoff, label, score, points): ranking figures over every fold, calibration over the folds
    calibrated on earlier folds only (the `valid_*` metrics training logged)."""
    y = rows["label"].to_numpy()
    figures = holdout_figures(y, rows["score"].to_numpy())
    m = metrics
    for k in ("log_loss", "brier", "ece", "mean_score", "observed_rate"):
        if f"valid_{k}" in m:
            figures[k] = float(m[f"valid_{k}"])
    from propensity.training._metrics import ranking_metrics

    return figures, ranking_metrics(y, rows["points"].to_numpy())


def last_fitted_cutoff(metadata: dict[str, Any]) -> datetime | None:
    """The newest cutoff a model's booster or calibration saw (older models: train and calibration)."""
    seen = list(metadata.get("fitted_cutoffs") or [])
    seen += list(metadata.get("calibration_cutoffs") or [])
    last = (metadata.get("training_window") or {}).get("last_cutoff")
    seen += [last] if last else []
    return max((datetime.fromisoformat(str(t)) for t in seen), default=None)


