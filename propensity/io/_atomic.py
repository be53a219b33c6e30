"""Outputs appear whole or not at all: write beside the target, then rename into place.

A process killed mid-write leaves the previous file (or none) in place, plus at most a hidden
``.<name>.*.tmp`` beside it, which is safe to delete.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from propensity._errors import UsageError

__all__ = ["atomic_path", "check_table_path", "write_table", "TABLE_SUFFIXES"]

TABLE_SUFFIXES = (".csv", ".parquet")


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path on the target's filesystem; rename it to `target` on success."""
    target = Path(target)
    if target.parent and not target.parent.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, _default_mode())  # mkstemp makes it 0600; an output gets the usual mode
        os.replace(tmp_path, target)
        _fsync_dir(target.parent)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _default_mode() -> int:
    """0o666 less the process umask: the mode `open()` would have given a new file."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_table_path(path: str | Path) -> Path:
    p = Path(path)
    if p.suffix.lower() not in TABLE_SUFFIXES:
        raise UsageError(f"{p}: output must end in .csv or .parquet")
    return p


def write_table(frame: pl.DataFrame, path: str | Path, writer: Callable[[pl.DataFrame, Path], None] | None = None) -> Path:
    """Write `frame` atomically as CSV or Parquet, chosen by the file's suffix."""
    p = check_table_path(path)
    with atomic_path(p) as tmp:
        if writer is not None:
            writer(frame, tmp)
        elif p.suffix.lower() == ".csv":
            frame.write_csv(tmp)
        else:
            frame.write_parquet(tmp)
    return p
