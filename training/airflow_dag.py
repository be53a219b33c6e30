"""Weekly retraining, then scoring, in Apache Airflow (2.6 or later, or 3).

Copy this file into the scheduler's dags folder on a host where the project is installed
(`make install` in PROPENSITY_HOME), and set in the scheduler's environment:

    PROPENSITY_HOME          the project checkout (default /srv/propensity): training/retrain.sh, .venv
    PROPENSITY_DATA          the CRM export folder the job retrains and scores on (default /data/crm)
    PROPENSITY_CONFIG        training config TOML (optional; default: the built-in defaults)
    PROPENSITY_MODEL_NAME    registered model (default lead-propensity)
    PROPENSITY_TRACKING_URI  MLflow store (optional; else $MLFLOW_TRACKING_URI, then
                             sqlite:///./models/mlflow.db under PROPENSITY_HOME)

The `retrain` task runs training/retrain.sh with --raw-exit and maps `propensity retrain`'s exit code
to the task's state (EXIT_CODES below): promoted succeeds; kept and locked are skipped (the champion
stays; another run is doing the work); refused fails without retries (bad input or config will not
fix itself: a person must look); failed raises an ordinary error, which the task's retries try again.
The `score` task then scores every open lead with whichever model is champion, after a promotion and
after a skip alike (trigger rule none_failed).

Airflow need not be installed to read or test this file: without it, `dag` is None and the
exceptions are stand-ins with the same names.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

# `propensity retrain`'s exit code -> (what it means, what the Airflow task does)
EXIT_CODES = {
    0: ("promoted", "success"),
    3: ("kept", "skip"),
    4: ("locked", "skip"),
    2: ("refused", "fail"),
    1: ("failed", "retry"),
}

try:
    from airflow.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowSkipException,
    )

    AIRFLOW = True
except ImportError:  # no Airflow here: stand-ins, so that the mapping can be read and tested

    AIRFLOW = False

    class AirflowException(Exception):  # type: ignore[no-redef]
        """Stand-in: a task failure that the task's retries try again."""

    class AirflowFailException(AirflowException):  # type: ignore[no-redef]
        """Stand-in: a task failure without retries."""

    class AirflowSkipException(AirflowException):  # type: ignore[no-redef]
        """Stand-in: the task is skipped."""


HOME = Path(os.environ.get("PROPENSITY_HOME", "/srv/propensity"))
DATA = os.environ.get("PROPENSITY_DATA", "/data/crm")
MODEL_NAME = os.environ.get("PROPENSITY_MODEL_NAME", "lead-propensity")


def act_on(code: int, output: str = "") -> str:
    """The task's state for retrain's exit code: return its meaning (success), or raise
    AirflowSkipException (skipped), AirflowFailException (failed, no retry) or AirflowException
    (failed, retried). A code retrain does not document counts as failed."""
    meaning, action = EXIT_CODES.get(code, ("failed", "retry"))
    last = [line for line in output.strip().splitlines() if line.strip()][-1:]
    message = f"propensity retrain exited {code} ({meaning})" + (f": {last[0]}" if last else "")
    if action == "success":
        return meaning
    if action == "skip":
        raise AirflowSkipException(message)
    if action == "fail":
        raise AirflowFailException(message)
    raise AirflowException(message)


def run_retrain(wrapper: str | Path | None = None) -> str:
    """Run training/retrain.sh (retrain's own exit code kept with --raw-exit) and act on its code."""
    command = [str(wrapper or HOME / "training" / "retrain.sh"), "--raw-exit", DATA]
    result = subprocess.run(command, cwd=HOME if HOME.is_dir() else None, capture_output=True, text=True, check=False)
    print(result.stdout, end="")  # the task's log
    print(result.stderr, end="", file=sys.stderr)
    return act_on(result.returncode, result.stdout + result.stderr)


def build_dag():  # type: ignore[no-untyped-def]
    """The DAG: retrain (Mondays 03:00 UTC), then score with the champion."""
    try:  # Airflow 3
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.providers.standard.operators.python import PythonOperator
        from airflow.sdk import DAG
    except ImportError:  # Airflow 2.6+
        from airflow import DAG
        from airflow.operators.bash import BashOperator
        from airflow.operators.python import PythonOperator

    propensity = HOME / ".venv" / "bin" / "propensity"
    uri = os.environ.get("PROPENSITY_TRACKING_URI")
    store = f" --tracking-uri {uri}" if uri else ""
    with DAG(
        dag_id="propensity_retrain",
        schedule="0 3 * * 1",
        start_date=datetime(2026, 1, 1),
        catchup=False,
        default_args={"retries": 2, "retry_delay": timedelta(minutes=20)},
        tags=["propensity"],
    ) as dag:
        retrain = PythonOperator(task_id="retrain", python_callable=run_retrain)
        score = BashOperator(
            task_id="score",
            cwd=str(HOME),
            bash_command=f"{propensity} -q score {DATA} --model models:/{MODEL_NAME}@champion --out scores/latest.csv{store}",
            trigger_rule="none_failed",  # after a promotion, and after a kept or locked retrain (skipped)
        )
        retrain >> score
    return dag


dag = build_dag() if AIRFLOW else None
