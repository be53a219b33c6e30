"""One retrain (or rollback) of a model at a time: an advisory lock file per tracking store and model.

The lock is `fcntl.flock` on a file beside the SQLite store (`mlflow.db.<model>.lock`), or, for a
remote tracking server, in the temporary folder under a name derived from the URI. The kernel drops
the lock when its process dies, so a killed job never leaves a stale lock behind. It guards jobs on
one machine: schedule retrains of a model against a shared tracking server from one host.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from propensity._errors import PropensityError

__all__ = ["EXIT_LOCKED", "LockHeld", "lock_path", "exclusive"]

EXIT_LOCKED = 4


class LockHeld(PropensityError):
    """Another job holds the model's lock (exit code 4: try again later)."""

    exit_code = EXIT_LOCKED


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80] or "model"


def lock_path(tracking_uri: str, model_name: str) -> Path:
    """Where the lock of `model_name` in the store at `tracking_uri` lives."""
    if tracking_uri.startswith("sqlite:///"):
        db = Path(tracking_uri[len("sqlite:///") :])
        return db.with_name(f"{db.name}.{_slug(model_name)}.lock")
    key = hashlib.sha256(f"{tracking_uri}\0{model_name}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "propensity-locks" / f"{_slug(model_name)}-{key}.lock"


@contextmanager
def exclusive(tracking_uri: str, model_name: str, what: str = "retrain") -> Iterator[Path]:
    """Hold the model's lock for the block; raise `LockHeld` at once when another job has it."""
    path = lock_path(tracking_uri, model_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            raise LockHeld(
                f"another job is changing model '{model_name}' ({holder}); lock {path}: "
                "nothing was done, try again when it has finished"
            ) from None
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what} pid {os.getpid()} since {stamp}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "holder unknown"
