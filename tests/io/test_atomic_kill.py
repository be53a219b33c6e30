"""Outputs appear whole or not at all: `propensity score` killed with SIGKILL, again and again,
leaves either the previous scores file (or none, when there was none) or the complete new one,
never a partial file.

The kills are aimed at the write itself: the parent watches the output folder and kills the
scorer the moment its temporary file appears, so most kills land between the first byte written
and the rename. A leftover hidden ``.scores.csv.*.tmp`` is the proof that a kill landed mid-write.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from propensity.io._atomic import atomic_path
from tests.test_pii import MODEL, CanaryStore, canary_store

pytestmark = pytest.mark.slow

PREVIOUS = b"contact_id,account_id,score,score_100,grade,percentile,reasons,model_version\nYESTERDAY,A1,0.5,50,A,99,+ yesterday,1\n"
ATTEMPTS = 4
RUN_TIMEOUT = 180.0


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> CanaryStore:
    return canary_store(tmp_path_factory)


def _start(store: CanaryStore, out: Path) -> subprocess.Popen[bytes]:
    args = ["-q", "score", str(store.crm), "--model", MODEL, "--out", str(out), "--tracking-uri", store.uri]
    return subprocess.Popen([sys.executable, "-m", "propensity.cli", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _temps(out: Path) -> list[Path]:
    return [Path(e.path) for e in os.scandir(out.parent) if e.name.startswith(f".{out.name}.") and e.name.endswith(".tmp")]


def _kill_when_writing(proc: subprocess.Popen[bytes], out: Path) -> bool:
    """SIGKILL `proc` as soon as its temporary output file exists; False if it finished first."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while proc.poll() is None:
        if _temps(out):
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            return True
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait(timeout=30)
            pytest.fail(f"scoring did not reach its write within {RUN_TIMEOUT:.0f} s")
        time.sleep(0.0005)
    return False


def _kill_after(proc: subprocess.Popen[bytes], seconds: float) -> None:
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


def test_a_killed_first_run_leaves_no_scores_file(store: CanaryStore, tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    _kill_after(_start(store, out), 1.5)  # while loading the model or scoring
    assert not out.exists()
    killed = _kill_when_writing(_start(store, out), out)
    if killed and _temps(out):  # died mid-write: still no scores file
        assert not out.exists()
    else:  # finished (or died just after the rename): the complete file
        assert out.read_bytes().splitlines()[0] == PREVIOUS.splitlines()[0]


def test_repeated_kills_mid_write_leave_the_previous_file_or_the_complete_new_one(store: CanaryStore, tmp_path: Path) -> None:
    reference = tmp_path / "reference.csv"  # what a complete run writes
    proc = _start(store, reference)
    assert proc.wait(timeout=RUN_TIMEOUT) == 0
    complete = reference.read_bytes()
    assert complete.count(b"\n") > 1000 and complete != PREVIOUS

    out = tmp_path / "scores.csv"
    out.write_bytes(PREVIOUS)
    mid_write = 0
    for _ in range(ATTEMPTS):
        killed = _kill_when_writing(_start(store, out), out)
        after = out.read_bytes()
        assert after in (PREVIOUS, complete), f"partial file after a kill: {len(after)} bytes"
        if killed and _temps(out):  # died before the rename: the previous file must be untouched
            assert after == PREVIOUS
            mid_write += 1
        for leftover in _temps(out):
            leftover.unlink()
        out.write_bytes(PREVIOUS)
    # the kills did land inside the write window, not only before or after it
    assert mid_write >= 1


def test_an_exception_mid_write_leaves_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    out.write_bytes(PREVIOUS)
    with pytest.raises(OSError, match="disk full"):
        with atomic_path(out) as tmp:
            tmp.write_bytes(b"contact_id,score\nC1,0.")
            raise OSError("disk full")
    assert out.read_bytes() == PREVIOUS
    assert _temps(out) == []


def test_a_replaced_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    with atomic_path(out) as tmp:
        tmp.write_bytes(PREVIOUS)
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask
