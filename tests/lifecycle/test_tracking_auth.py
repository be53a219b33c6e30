"""A team tracking server with authentication: `mlflow server --app-name basic-auth` on loopback.

Credentials come from the environment (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD); a
wrong or missing password is one line naming the 401, exit code 2, no traceback, and no password
in any output. MLflow 3.17 ships no default admin password: the server's auth config file (in
tmp_path, with its own user database) sets it, and the basic-auth app needs a static secret key
for CSRF (MLFLOW_FLASK_SERVER_SECRET_KEY) and Flask-WTF (`mlflow[auth]`).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.slow

ADMIN = "admin"
PASSWORD = "canary-admin-pw-4821"
WRONG = "wrong-pw-canary-9917"
START_TIMEOUT = 240.0  # seconds; the server takes 15-40 s to come up on a busy 2-core machine
RUN_TIMEOUT = 300.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An authenticated MLflow server on 127.0.0.1 with its own SQLite stores; killed at the end."""
    root = tmp_path_factory.mktemp("auth-server")
    config = root / "basic_auth.ini"
    config.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = sqlite:///{root / 'basic_auth.db'}\n"
        f"admin_username = {ADMIN}\n"
        f"admin_password = {PASSWORD}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
        encoding="utf-8",
    )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MLFLOW_AUTH_CONFIG_PATH": str(config), "MLFLOW_FLASK_SERVER_SECRET_KEY": "test-only-secret"}
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        env.pop(name, None)
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(mlflow_cli), "server", "--app-name", "basic-auth", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}", "--artifacts-destination", str(root / "artifacts"),
         "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (root / "server.log").read_text(encoding="utf-8", errors="replace")[-3000:]
                pytest.fail(f"mlflow basic-auth server did not come up (exit {proc.poll()}):\n{tail}")
            time.sleep(0.5)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and the uvicorn worker it started
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from propensity.synthetic._generate import generate_crm

    out = tmp_path_factory.mktemp("auth-crm") / "crm"
    generate_crm(out, n_contacts=2000, seed=1, fmt="csv")
    return out


def _propensity(args: list[str], user: str | None, password: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
    if user is not None:
        env["MLFLOW_TRACKING_USERNAME"] = user
    if password is not None:
        env["MLFLOW_TRACKING_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "propensity.cli", *args], capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env
    )


def _error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize(("user", "password"), [(ADMIN, WRONG), (None, None)], ids=["wrong-password", "no-credentials"])
def test_train_refused_by_the_server_is_one_line_401_exit_2(server: str, crm: Path, tmp_path: Path, user: str | None, password: str | None) -> None:
    proc = _propensity(["train", str(crm), "--tracking-uri", server], user, password)
    line = _error_line(proc)
    assert re.fullmatch(
        rf"propensity: error: tracking server {re.escape(server)}: 401 Unauthorized: the server refused the credentials "
        r"\(set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD \(or MLFLOW_TRACKING_TOKEN\)\)",
        line,
    ), line
    assert WRONG not in proc.stdout + proc.stderr
    # refused before training: only the read summary was printed
    assert "registered" not in proc.stdout and "model vs points" not in proc.stdout


def test_train_and_score_with_credentials_from_the_environment(server: str, crm: Path, tmp_path: Path) -> None:
    proc = _propensity(["train", str(crm), "--tracking-uri", server], ADMIN, PASSWORD)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "registered lead-propensity version 1 -> models:/lead-propensity/1" in proc.stdout
    out = tmp_path / "scores.csv"
    proc2 = _propensity(["score", str(crm), "--model", "models:/lead-propensity@champion", "--out", str(out), "--tracking-uri", server], ADMIN, PASSWORD)
    assert proc2.returncode == 0, proc2.stderr[-3000:]
    scores = pl.read_csv(out)
    assert scores.height > 1000 and set(scores["grade"].unique()) <= {"A", "B", "C", "D"}
    for p in (proc, proc2):
        assert PASSWORD not in p.stdout + p.stderr


def test_score_refused_by_the_server_is_one_line_401_exit_2_and_writes_nothing(server: str, crm: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    proc = _propensity(["score", str(crm), "--model", "models:/lead-propensity@champion", "--out", str(out), "--tracking-uri", server], ADMIN, WRONG)
    line = _error_line(proc)
    assert re.search(rf"^propensity: error: model models:/lead-propensity@champion: tracking server {re.escape(server)}: 401 Unauthorized", line), line
    assert WRONG not in proc.stdout + proc.stderr
    assert not out.exists() and not out.with_name("scores.rejects.csv").exists()
