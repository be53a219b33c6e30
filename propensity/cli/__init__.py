"""The `propensity` command: a thin layer over the library (parsing options, one line per user error)."""

from propensity.cli._main import main

__all__ = ["main"]
