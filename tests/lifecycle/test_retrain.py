"""Scheduled retraining against a real MLflow SQLite store: the gate, idempotence, the lock, crash
safety and rollback.

Two stores, each built once per module: `store` starts empty (the first retrain makes the champion),
`better` starts with a bad champion (trained through the library on an export whose outcomes were
reassigned to random contacts), which a retrain on the real export must replace.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import polars as pl
import pytest

from propensity._config import Config, GateConfig
from propensity._errors import PropensityError
from propensity.cli import main
from propensity.lifecycle._lock import LockHeld, exclusive, lock_path
from propensity.lifecycle._retrain import (
    EXIT_KEPT,
    EXIT_LOCKED,
    EXIT_PROMOTED,
    EXIT_REFUSED,
    auc_z,
    guard_checks,
    judge,
)

NAME = "lead-propensity"
FAST = "[search]\ntrials = 0\n"  # no hyperparameter search: these tests are about the gate, not the model


# ------------------------------------------------------------------ the gate alone (fast)
def _figures(**over: float) -> dict[str, float]:
    base = {"pr_auc": 0.10, "capture_10": 0.50, "ece": 0.005, "roc_auc": 0.80, "auc_z": 5.0, "pr_lift": 10.0}
    return {**base, **over}


def test_first_model_is_judged_by_the_floors_only() -> None:
    decision = judge(_figures(), None, GateConfig())
    assert decision.promote is True
    assert [c.name for c in decision.checks] == ["calibration (ECE)", "ROC AUC floor", "ROC AUC above chance", "PR AUC lift over base rate"]
    assert decision.reasons() == "all checks passed"


@pytest.mark.parametrize(
    ("challenger", "champion", "failed"),
    [
        (_figures(pr_auc=0.079), _figures(pr_auc=0.10), ["PR AUC vs champion"]),
        (_figures(pr_auc=0.081), _figures(pr_auc=0.10), []),  # within the 0.02 margin
        (_figures(capture_10=0.44), _figures(capture_10=0.50), ["top-10% capture vs champion"]),
        (_figures(ece=0.03), _figures(), ["calibration (ECE)"]),
        (_figures(roc_auc=0.58, auc_z=1.2, pr_lift=1.3), _figures(roc_auc=0.46), ["ROC AUC floor", "ROC AUC above chance", "PR AUC lift over base rate"]),
        (_figures(pr_auc=float("nan")), _figures(), ["PR AUC vs champion"]),
    ],
)
def test_gate_fails_exactly_the_broken_rules(challenger: dict[str, float], champion: dict[str, float], failed: list[str]) -> None:
    decision = judge(challenger, champion, GateConfig())
    assert [c.name for c in decision.failed] == failed
    assert decision.promote is (not failed)


def test_margins_are_configuration() -> None:
    strict = GateConfig(pr_auc_margin=0.0)
    assert judge(_figures(pr_auc=0.099), _figures(pr_auc=0.10), strict).promote is False
    assert judge(_figures(pr_auc=0.099), _figures(pr_auc=0.10), GateConfig()).promote is True


@pytest.mark.parametrize(
    ("metadata", "passed"),
    [
        ({}, None),  # nothing recorded: no guard check
        ({"preflight": {"status": "warned", "passed": True}}, True),
        ({"preflight": {"status": "refused", "passed": False}}, False),
        ({"leakage": [{"column": "status", "auc": 0.99, "reason": "predicts the label", "excluded": True}]}, True),
        ({"leakage": {"verdicts": [{"column": "status", "auc": 0.99, "reason": "predicts the label", "excluded": False}]}}, False),
    ],
)
def test_preflight_and_leakage_verdicts_gate_the_promotion(metadata: dict[str, Any], passed: bool | None) -> None:
    checks = guard_checks(metadata)
    if passed is None:
        assert checks == []
        return
    assert [c.passed for c in checks] == [passed]
    assert judge(_figures(), None, GateConfig(), checks).promote is passed


def test_auc_z_is_zero_at_chance_and_grows_with_the_holdout() -> None:
    assert auc_z(0.5, 20, 3500) == 0.0
    assert auc_z(0.8, 20, 3500) == pytest.approx(0.3 / np.sqrt(3521 / (12 * 20 * 3500)))
    assert auc_z(0.8, 80, 14000) > 2 * auc_z(0.8, 20, 3500) * 0.99


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("min_roc_auc = 0.3\n", r"gate.min_roc_auc must be between 0.5 and 1, got 0.3"),
        ("pr_auc_margin = -0.1\n", r"gate.pr_auc_margin must be >= 0, got -0.1"),
        ("pr_auc_margn = 0.1\n", r"\[gate\]: unknown setting 'pr_auc_margn'"),
    ],
)
def test_bad_gate_settings_are_one_clear_error(text: str, match: str) -> None:
    from propensity._errors import UsageError

    with pytest.raises(UsageError, match=match):
        _load_gate(text)


def _load_gate(text: str) -> Config:
    import tempfile

    from propensity._config import load_config

    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "gate.toml"
        cfg.write_text("[gate]\n" + text)
        return load_config(cfg)


# ------------------------------------------------------------------ the lock (fast)
def test_a_second_holder_of_the_lock_is_refused_with_exit_code_4(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert lock_path(uri, NAME) == tmp_path / "mlflow.db.lead-propensity.lock"
    with exclusive(uri, NAME, "retrain"):
        with pytest.raises(LockHeld, match=r"another job is changing model 'lead-propensity' \(retrain pid \d+") as info:
            with exclusive(uri, NAME, "rollback"):
                pass  # pragma: no cover
        assert info.value.exit_code == EXIT_LOCKED
        with exclusive(uri, "other-model"):  # another model is another lock
            pass
    with exclusive(uri, NAME):  # released on exit
        pass


def test_remote_stores_lock_in_the_temp_folder_keyed_by_uri() -> None:
    a = lock_path("http://mlflow.example:5000", NAME)
    b = lock_path("http://other.example:5000", NAME)
    assert a != b and a.parent == b.parent and a.name.startswith("lead-propensity-")


# ------------------------------------------------------------------ real stores (slow)
def _shuffled_outcomes(src: Path, dst: Path, seed: int) -> Path:
    """The same export with every outcome reassigned to a contact drawn at random: labels are noise."""
    dst.mkdir(parents=True)
    for table in ("contacts", "accounts", "events"):
        shutil.copy(src / f"{table}.parquet", dst / f"{table}.parquet")
    outcomes = pl.read_parquet(src / "outcomes.parquet")
    ids = pl.read_parquet(src / "contacts.parquet")["contact_id"].to_numpy()
    rng = np.random.default_rng(seed)
    outcomes.with_columns(pl.Series("contact_id", rng.choice(ids, outcomes.height))).write_parquet(dst / "outcomes.parquet")
    return dst


def _client(uri: str) -> Any:
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow.MlflowClient(uri, uri)


def _registry(uri: str) -> tuple[Any, ...]:
    """Everything the registry says about the model: versions and their tags, aliases, model tags."""
    client = _client(uri)
    versions = sorted((str(v.version), tuple(sorted((v.tags or {}).items()))) for v in client.search_model_versions(f"name = '{NAME}'"))
    model = client.get_registered_model(NAME)
    return tuple(versions), tuple(sorted(model.aliases.items())), tuple(sorted((model.tags or {}).items()))


def _champion(uri: str) -> Any:
    return _client(uri).get_model_version_by_alias(NAME, "champion")


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from propensity.synthetic._generate import generate_crm

    out = tmp_path_factory.mktemp("retrain") / "crm"
    generate_crm(out, n_contacts=2000, seed=1, fmt="parquet")
    return out


@pytest.fixture(scope="module")
def fast(crm: Path) -> str:
    path = crm.parent / "fast.toml"
    path.write_text(FAST)
    return str(path)


@pytest.fixture(scope="module")
def shuffled(crm: Path) -> Path:
    return _shuffled_outcomes(crm, crm.parent / "shuffled", seed=0)


@pytest.fixture(scope="module")
def store(crm: Path, fast: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An empty store, then one `propensity retrain`: the first model becomes champion."""
    home = tmp_path_factory.mktemp("store")
    uri = f"sqlite:///{home / 'mlflow.db'}"
    code = main(["-q", "retrain", str(crm), "--config", fast, "--tracking-uri", uri])
    return {"uri": uri, "home": home, "code": code, "champion": str(_champion(uri).version)}


def _score(crm: Path, uri: str, out: Path, *extra: str) -> pl.DataFrame:
    assert main(["-q", "score", str(crm), "--model", f"models:/{NAME}@champion", "--out", str(out), "--tracking-uri", uri, *extra]) == 0
    return pl.read_csv(out)


@pytest.mark.slow
def test_first_model_passing_the_floor_becomes_champion_and_the_decision_is_recorded(store: dict[str, Any]) -> None:
    assert store["code"] == EXIT_PROMOTED
    assert store["champion"] == "1"
    client = _client(store["uri"])
    v1 = client.get_model_version(NAME, "1")
    assert v1.tags["propensity.gate.decision"] == "promoted"
    assert v1.tags["propensity.gate.reasons"] == "all checks passed"
    assert v1.tags["propensity.previous_champion"] == ""
    assert len(v1.tags["propensity.retrain_key"]) == 64
    run = client.get_run(v1.tags["propensity.gate.run_id"])
    assert run.data.tags["propensity.gate.decision"] == "promoted"
    assert run.data.tags["propensity.gate.champion_version"] == "none"
    assert run.data.tags["propensity.gate.challenger_version"] == "1"
    assert run.data.metrics["gate_promoted"] == 1.0
    assert run.data.metrics["gate_challenger_roc_auc"] >= GateConfig().min_roc_auc
    decision = json.loads(Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="gate/decision.json")).read_text())
    assert decision["promote"] is True and decision["champion"] is None
    # the training preflight and the leakage guard are judged, from the model's own metadata
    guards = {c["name"]: (c["passed"], c["challenger"]) for c in decision["checks"] if c["name"] in ("training preflight", "leakage guard")}
    assert guards["training preflight"][0] is True and guards["training preflight"][1].startswith("passed")
    assert guards["leakage guard"][0] is True
    trail = json.loads(client.get_registered_model(NAME).tags["propensity.champion_trail"])
    assert [(t["version"], t["by"]) for t in trail] == [("1", "retrain")]


@pytest.mark.slow
def test_second_retrain_on_the_same_data_changes_nothing_and_scores_identically(
    store: dict[str, Any], crm: Path, fast: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _score(crm, store["uri"], tmp_path / "before.csv", "--history", str(tmp_path / "h.db"))
    registry = _registry(store["uri"])
    capsys.readouterr()
    assert main(["retrain", str(crm), "--config", fast, "--tracking-uri", store["uri"]]) == EXIT_KEPT
    assert "decision: unchanged: the champion, version 1, was trained on this data and configuration" in capsys.readouterr().out
    assert _registry(store["uri"]) == registry
    after = _score(crm, store["uri"], tmp_path / "after.csv", "--history", str(tmp_path / "h.db"))
    assert after.equals(before)


@pytest.mark.slow
def test_challenger_trained_on_shuffled_labels_is_never_promoted(
    store: dict[str, Any], shuffled: Path, fast: str, capsys: pytest.CaptureFixture[str]
) -> None:
    versions = _registry(store["uri"])[0]
    capsys.readouterr()
    assert main(["retrain", str(shuffled), "--config", fast, "--tracking-uri", store["uri"]]) == EXIT_KEPT
    out = capsys.readouterr().out
    assert "decision: kept: the challenger failed the gate; champion stays version 1" in out
    assert [v for v, _ in _registry(store["uri"])[0]] == [v for v, _ in versions] == ["1"]
    assert str(_champion(store["uri"]).version) == "1"
    champion = _client(store["uri"]).get_model_version(NAME, "1")
    assert champion.tags["propensity.gate.last_challenge"].startswith("kept: ")
    run = _client(store["uri"]).get_run(champion.tags["propensity.gate.last_challenge_run"])
    assert run.data.tags["propensity.gate.decision"] == "kept"
    assert run.data.metrics["gate_promoted"] == 0.0
    # the floors, not luck against an equally blind champion, keep the noise model out
    assert "PR AUC lift over base rate" in run.data.tags["propensity.gate.reasons"]
    assert run.data.metrics["gate_challenger_pr_lift"] < GateConfig().min_pr_lift
    # judged once: the same data again replays the decision without training
    assert main(["retrain", str(shuffled), "--config", fast, "--tracking-uri", store["uri"]]) == EXIT_KEPT
    assert f"were judged by run {run.info.run_id}" in capsys.readouterr().out
    assert [v for v, _ in _registry(store["uri"])[0]] == ["1"]


@pytest.mark.slow
def test_retrain_killed_mid_training_leaves_the_registry_unchanged_and_holds_the_lock(
    store: dict[str, Any], crm: Path, tmp_path: Path
) -> None:
    cfg = tmp_path / "seed.toml"
    cfg.write_text(FAST + "[model]\nseed = 11\n")  # a new configuration: a real challenger is trained
    registry = _registry(store["uri"])
    cmd = [sys.executable, "-m", "propensity.cli", "retrain", str(crm), "--config", str(cfg), "--tracking-uri", store["uri"]]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        seen, deadline = "", time.monotonic() + 300
        while "training a challenger" not in seen and time.monotonic() < deadline and proc.poll() is None:
            if select.select([proc.stderr], [], [], 1.0)[0]:
                seen += proc.stderr.readline()  # type: ignore[union-attr]
        assert "training a challenger" in seen, seen
        # while it trains, a second retrain of the same model is turned away
        assert main(["-q", "retrain", str(crm), "--config", str(cfg), "--tracking-uri", store["uri"]]) == EXIT_LOCKED
        time.sleep(2.0)  # well inside feature building and boosting
        assert proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert _registry(store["uri"]) == registry
    with exclusive(store["uri"], NAME):  # the kernel released the dead job's lock
        pass


@pytest.mark.slow
def test_a_promotion_interrupted_before_the_alias_moved_is_finished_by_the_next_run(store: dict[str, Any], crm: Path, fast: str) -> None:
    """What a job killed between registering the version and moving the alias leaves behind."""
    from propensity._config import load_config
    from propensity.io._sources import read_export
    from propensity.lifecycle._retrain import (
        KEY_TAG,
        PREVIOUS_TAG,
        retrain,
        retrain_key,
    )

    config = load_config(fast, overrides={"model_name": "interrupted"})
    client = _client(store["uri"])
    client.create_registered_model("interrupted")
    source = client.get_model_version(NAME, "1").source
    key = retrain_key(read_export(crm, require_outcomes=True), config)
    client.create_model_version("interrupted", source=source, tags={KEY_TAG: key, PREVIOUS_TAG: ""})
    outcome = retrain(crm, config, tracking_uri=store["uri"])
    assert (outcome.status, outcome.exit_code, outcome.champion_after) == ("promoted", EXIT_PROMOTED, "1")
    assert outcome.message == "finished the interrupted promotion of version 1 (was version none)"
    assert str(client.get_model_version_by_alias("interrupted", "champion").version) == "1"
    again = retrain(crm, config, tracking_uri=store["uri"])
    assert (again.status, again.exit_code) == ("unchanged", EXIT_KEPT)


@pytest.mark.slow
def test_scoring_appends_history_and_records_drift_beside_the_scores_and_in_mlflow(
    store: dict[str, Any], crm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scores.parquet"
    capsys.readouterr()
    assert main(["score", str(crm), "--model", f"models:/{NAME}@champion", "--out", str(out), "--tracking-uri", store["uri"],
                 "--as-of", "2026-04-01"]) == 0
    printed = capsys.readouterr().out
    assert "drift " in printed and "score PSI" in printed
    drift = pl.read_csv(tmp_path / "scores.drift.csv")
    assert drift.columns == ["name", "kind", "field", "psi", "status"]
    assert drift["name"][0] == "score" and drift["status"][0] in {"ok", "warn", "alert"}
    scores = pl.read_parquet(out)
    history = store["home"] / "score_history.db"  # the default: beside the MLflow store
    import sqlite3

    with sqlite3.connect(history) as conn:
        n = conn.execute("SELECT count(*) FROM scores WHERE as_of = '2026-04-01T00:00:00'").fetchone()[0]
    assert n == scores.height
    runs = _client(store["uri"]).search_runs(
        [_client(store["uri"]).get_experiment_by_name("propensity").experiment_id],
        filter_string="tags.`propensity.kind` = 'scoring' and tags.`propensity.as_of` = '2026-04-01T00:00:00'",
    )
    assert len(runs) == 1
    assert runs[0].data.tags["propensity.model_version"] == "1"
    assert runs[0].data.metrics["drift_score_psi"] == pytest.approx(drift["psi"][0], abs=1e-6)


@pytest.mark.slow
def test_too_little_data_is_refused_with_exit_2_before_anything_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from propensity.synthetic._generate import generate_crm

    generate_crm(tmp_path / "short", n_contacts=300, seed=3, fmt="parquet", months=6)
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    (tmp_path / "store").mkdir()
    assert main(["retrain", str(tmp_path / "short"), "--tracking-uri", uri]) == EXIT_REFUSED
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("propensity: error: the export's history spans")
    assert not (tmp_path / "store" / "mlflow.db").exists()


@pytest.mark.slow
def test_holdout_with_too_few_positives_is_refused(crm: Path, tmp_path: Path) -> None:
    from propensity.lifecycle._retrain import retrain

    cfg = _load_gate("min_holdout_positives = 10000\n")
    with pytest.raises(PropensityError, match=r"the holdout \(cutoffs .*\) has \d+ positive leads of [\d,]+: too few to judge"):
        retrain(crm, cfg, tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert not (tmp_path / "mlflow.db").exists()


@pytest.fixture(scope="module")
def better(crm: Path, shuffled: Path, fast: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A store whose champion learned from noise (trained directly, bypassing the gate), then a
    retrain on the real export."""
    home = tmp_path_factory.mktemp("better")
    uri = f"sqlite:///{home / 'mlflow.db'}"
    # version 1: `train` registers it but its gate keeps a noise model out of service (exit 3) ...
    assert main(["-q", "train", str(shuffled), "--config", fast, "--tracking-uri", uri]) == 3
    _client(uri).set_registered_model_alias(NAME, "champion", "1")  # ... so the test forces it in
    code = main(["-q", "retrain", str(crm), "--config", fast, "--tracking-uri", uri])
    client = _client(uri)
    return {"uri": uri, "code": code, "champion": str(_champion(uri).version), "v1": client.get_model_version(NAME, "1").tags,
            "v2": client.get_model_version(NAME, "2").tags}


@pytest.mark.slow
def test_better_challenger_is_promoted_and_both_versions_record_why(better: dict[str, Any]) -> None:
    assert better["code"] == EXIT_PROMOTED
    assert better["champion"] == "2"
    v1, v2 = better["v1"], better["v2"]
    assert v2["propensity.previous_champion"] == "1"
    assert v2["propensity.gate.decision"] == "promoted"
    assert v1["propensity.replaced_by"] == "2"
    assert v1["propensity.gate.last_challenge"].startswith("replaced by version 2: all checks passed")
    assert v1["propensity.gate.figures"] == v2["propensity.gate.figures"]
    assert " | champion PR AUC " in v2["propensity.gate.figures"]


@pytest.mark.slow
def test_rollback_restores_the_previous_champion_and_is_recorded(
    better: dict[str, Any], crm: Path, fast: str, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = better["uri"]
    if str(_champion(uri).version) == "2":
        capsys.readouterr()
        assert main(["rollback", "--tracking-uri", uri]) == 0
        assert "champion is version 1 again (was version 2)" in capsys.readouterr().out
    client = _client(uri)
    assert str(_champion(uri).version) == "1"
    v1, v2 = client.get_model_version(NAME, "1").tags, client.get_model_version(NAME, "2").tags
    assert v2["propensity.rolled_back_to"] == "1" and "propensity.rolled_back_at" in v2
    assert v1["propensity.restored_from"] == "2" and "propensity.replaced_by" not in v1
    run = client.get_run(v2["propensity.rollback.run_id"])
    assert run.data.tags["propensity.kind"] == "rollback" and run.data.tags["propensity.rollback.to"] == "1"
    trail = json.loads(client.get_registered_model(NAME).tags["propensity.champion_trail"])
    assert [(t["version"], t["by"]) for t in trail] == [("2", "retrain"), ("1", "rollback")]
    # nothing earlier to roll back to: one line, exit 2, nothing changed
    registry = _registry(uri)
    assert main(["rollback", "--tracking-uri", uri]) == 2
    assert "propensity: error: version 1 of 'lead-propensity' has no previous champion to roll back to" in capsys.readouterr().err
    # the next scheduled retrain on the same data does not undo the rollback
    assert main(["retrain", str(crm), "--config", fast, "--tracking-uri", uri]) == EXIT_KEPT
    assert "version 2, trained on this data and configuration, was rolled back" in capsys.readouterr().out
    assert _registry(uri) == registry


@pytest.mark.slow
def test_the_report_of_a_model_the_gate_kept_out_never_shows_its_figures_in_green(better: dict[str, Any], tmp_path: Path) -> None:
    # version 1 learned from shuffled outcomes: `train` registered it but refused it the champion alias
    out = tmp_path / "noise.html"
    assert main(["-q", "report", "--model", f"models:/{NAME}/1", "--out", str(out), "--tracking-uri", better["uri"]]) == 0
    html = out.read_text(encoding="utf-8")
    assert 'data-gate="refused"' in html and "Not in service: refused by " in html
    assert 'class="v good"' not in html
    good = tmp_path / "real.html"
    assert main(["-q", "report", "--model", f"models:/{NAME}/2", "--out", str(good), "--tracking-uri", better["uri"]]) == 0
    assert 'class="v good"' in good.read_text(encoding="utf-8") and 'data-gate="refused"' not in good.read_text(encoding="utf-8")
