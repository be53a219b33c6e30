"""The scheduled-job entry points in training/: the cron wrapper (retrain.sh), run for real against a
generated export and a temporary SQLite MLflow store, and the Airflow DAG's exit-code mapping, read
without Airflow installed."""

from __future__ import annotations

import ast
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from propensity.cli._main import build_parser
from propensity.lifecycle._lock import exclusive

ROOT = Path(__file__).resolve().parents[1]
WRAPPER = ROOT / "training" / "retrain.sh"
DAG_FILE = ROOT / "training" / "airflow_dag.py"
NAME = "lead-propensity"
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def _run(*args: str, bin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """training/retrain.sh as cron runs it, with this checkout's propensity (or `bin`)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PROPENSITY_", "MLFLOW_TRACKING"))}
    environ.update(PYTHONPATH=str(ROOT), PROPENSITY_BIN=bin or f"{sys.executable} -m propensity.cli", **env)
    return subprocess.run(["sh", str(WRAPPER), *args], capture_output=True, text=True, env=environ, timeout=600, check=False)


def _documented_codes() -> dict[int, str]:
    """`propensity retrain --help`'s exit codes: {0: 'promoted', 3: 'kept', ...}."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    text = " ".join(sub.choices["retrain"].format_help().split())
    codes = {int(c): word for c, word in re.findall(r"\b(\d) (promoted|kept|refused|locked|failed)\b", text.split("exit codes:", 1)[1])}
    assert codes, text
    return codes


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("job") / "crm"
    generated = subprocess.run([sys.executable, "-m", "propensity.cli", "generate", str(out), "--contacts", "1500", "--seed", "1"],
                               capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert generated.returncode == 0, generated.stderr
    (out.parent / "fast.toml").write_text("[search]\ntrials = 0\n")  # the job is under test, not the search
    return out


def _store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"


def _readme_example() -> str:
    return re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)


# ------------------------------------------------------------------ the wrapper, for real
@pytest.mark.slow
def test_the_cron_wrapper_promotes_on_the_first_run_and_keeps_on_the_same_data(crm: Path, tmp_path: Path) -> None:
    # laid out as `make demo` leaves a folder, so that the README's Python example runs as written
    uri, log = f"sqlite:///{tmp_path / 'models' / 'mlflow.db'}", tmp_path / "logs" / "retrain.log"
    (tmp_path / "models").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "demo-crm").symlink_to(crm)
    first = _run("--config", str(crm.parent / "fast.toml"), "--log", str(log), str(crm), PROPENSITY_TRACKING_URI=uri)
    assert first.returncode == 0, first.stderr + log.read_text()
    assert first.stderr == ""  # nothing for cron to mail
    lines = log.read_text().splitlines()
    assert re.fullmatch(rf"{STAMP} propensity retrain \(model from config\) {re.escape(str(crm))}: promoted \(exit 0\): a new champion; rescore the leads", lines[-1])
    assert any(line.startswith("decision: promoted: version 1 is the champion") for line in lines)

    again = _run("--config", str(crm.parent / "fast.toml"), "--log", str(log), "--model-name", NAME, str(crm), PROPENSITY_TRACKING_URI=uri)
    assert again.returncode == 0 and again.stderr == ""
    status = [line for line in log.read_text().splitlines() if re.match(STAMP, line)]
    assert len(status) == 2 and re.search(rf"propensity retrain {NAME} .*: kept \(exit 3\): the champion stays", status[1])
    raw = _run("--config", str(crm.parent / "fast.toml"), "--raw-exit", str(crm), PROPENSITY_TRACKING_URI=uri)
    assert raw.returncode == 3 and "kept (exit 3)" in raw.stdout

    # after the job, the README's Python example scores with the champion it promoted
    # as a new user runs it: no MLFLOW_TRACKING_URI (MLflow's set_tracking_uri, used in-process by other
    # tests, exports one), so load_model finds the store the CLI uses, ./models/mlflow.db
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    example = subprocess.run([sys.executable, "-c", _readme_example()], cwd=tmp_path, capture_output=True, text=True,
                             env={**env, "PYTHONPATH": str(ROOT)}, timeout=300, check=False)
    assert example.returncode == 0, example.stderr
    assert "contact_id" in example.stdout and "grade" in example.stdout and "reasons" in example.stdout


def test_a_locked_model_is_skipped_quietly_with_exit_0_and_4_raw(crm: Path, tmp_path: Path) -> None:
    uri = _store(tmp_path)
    with exclusive(uri, NAME, "retrain"):  # another job is retraining this model
        quiet = _run("--tracking-uri", uri, "--config", str(crm.parent / "fast.toml"), str(crm))
        raw = _run("--tracking-uri", uri, "--raw-exit", str(crm), PROPENSITY_CONFIG=str(crm.parent / "fast.toml"))
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert re.search(rf"^{STAMP} propensity retrain .*: locked \(exit 4\): another retrain or rollback of this model is running; skipped$",
                     quiet.stdout, re.M)
    assert "another job is changing model 'lead-propensity'" in quiet.stdout  # retrain's own line, kept in the log
    assert raw.returncode == 4 and "locked (exit 4)" in raw.stdout
    assert not (tmp_path / "store" / "mlflow.db").exists()  # nothing was trained or written


def test_a_bad_config_alerts_on_stderr_and_exits_2(crm: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[label]\nhorizon_days = "ninety"\n')
    log = tmp_path / "retrain.log"
    done = _run(str(crm), PROPENSITY_CONFIG=str(bad), PROPENSITY_TRACKING_URI=_store(tmp_path), PROPENSITY_LOG=str(log))
    assert done.returncode == 2
    alert = "label.horizon_days must be a whole number, got 'ninety'"
    assert re.fullmatch(rf"ALERT {STAMP} propensity retrain .*: refused \(exit 2\): bad input, too little data or a bad config; "
                        rf"nothing changed: propensity: error: {re.escape(str(bad))}: {alert}\n", done.stderr)
    assert re.search(rf"^{STAMP} .*refused \(exit 2\)", log.read_text(), re.M)
    assert not (tmp_path / "store").exists()


def test_no_export_given_is_refused_with_exit_2(tmp_path: Path) -> None:
    done = _run("--log", str(tmp_path / "r.log"))
    assert done.returncode == 2 and "refused (exit 2): no CRM export given" in done.stderr


@pytest.mark.parametrize(("code", "expected", "alert"), [(0, 0, False), (3, 0, False), (4, 0, False), (2, 2, True), (1, 1, True), (130, 130, True)])
def test_every_exit_code_of_retrain_is_acted_on(tmp_path: Path, code: int, expected: int, alert: bool) -> None:
    fake = tmp_path / "fake-propensity"  # stands in for the command only, to reach each exit code at once
    fake.write_text(f"#!/bin/sh\necho \"ran: $*\"\nexit {code}\n")
    fake.chmod(0o755)
    done = _run(str(tmp_path / "crm"), "--model-name", NAME, bin=str(fake))
    assert done.returncode == expected
    assert f"ran: -q retrain {tmp_path / 'crm'} --model-name {NAME}" in done.stdout
    assert (f"(exit {code})" in done.stderr) is alert
    assert _run(str(tmp_path / "crm"), "--raw-exit", bin=str(fake)).returncode == code


def test_the_wrapper_handles_every_code_retrain_documents() -> None:
    branches = {int(c) for c in re.findall(r"^\s+(\d)\) status", WRAPPER.read_text(), re.M)}
    assert branches == set(_documented_codes())


# ------------------------------------------------------------------ the Airflow DAG, without Airflow
def _dag_mapping() -> dict[int, tuple[str, str]]:
    """EXIT_CODES as written in training/airflow_dag.py (parsed, not imported)."""
    tree = ast.parse(DAG_FILE.read_text())
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "EXIT_CODES" for t in n.targets))
    return ast.literal_eval(node.value)


def test_the_dag_maps_every_exit_code_retrain_documents() -> None:
    documented = _documented_codes()
    mapping = _dag_mapping()
    assert set(mapping) == set(documented) == {0, 1, 2, 3, 4}
    assert {code: meaning for code, (meaning, _) in mapping.items()} == documented
    assert {code: action for code, (_, action) in mapping.items()} == {0: "success", 3: "skip", 4: "skip", 2: "fail", 1: "retry"}


def _dag_module() -> dict[str, Any]:
    try:
        import airflow  # noqa: F401
    except ImportError:
        pass
    else:  # pragma: no cover - Airflow is not a dependency of this project
        pytest.skip("Airflow is installed here: this test reads the DAG file without it")
    return runpy.run_path(str(DAG_FILE))


def test_the_dag_file_reads_without_airflow_and_maps_codes_to_task_states(tmp_path: Path) -> None:
    dag = _dag_module()
    assert dag["AIRFLOW"] is False and dag["dag"] is None
    act_on = dag["act_on"]
    assert act_on(0, "decision: promoted") == "promoted"
    for code, raised in ((3, "AirflowSkipException"), (4, "AirflowSkipException"), (2, "AirflowFailException"),
                         (1, "AirflowException"), (127, "AirflowException")):
        with pytest.raises(dag[raised]) as info:
            act_on(code, "first\nlast line\n")
        assert type(info.value) is dag[raised] and str(info.value).endswith(": last line")
    # run_retrain runs the wrapper with --raw-exit and acts on its code
    fake = tmp_path / "retrain.sh"
    fake.write_text('#!/bin/sh\necho "args: $*"\nexit 4\n')
    fake.chmod(0o755)
    with pytest.raises(dag["AirflowSkipException"], match=r"exited 4 \(locked\): args: --raw-exit /data/crm"):
        dag["run_retrain"](fake)
