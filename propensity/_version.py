"""The package version, in one place (read by the CLI, reports and the tracking tags)."""

__version__ = "0.1.0"
