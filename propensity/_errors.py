"""The errors a user can cause, each rendered by the CLI as one line and exit code 2."""

from __future__ import annotations

__all__ = ["PropensityError", "DataError", "UsageError"]


class PropensityError(Exception):
    """A mistake in the user's input or configuration (exit code 2, no traceback)."""

    exit_code = 2


class UsageError(PropensityError):
    """A bad option, path or model URI."""


class DataError(PropensityError):
    """A data file breaks the export contract.

    The message always names the file, the column and an example bad value, so a person reading
    one line at 3 a.m. knows what to fix.
    """

    def __init__(self, file: str, column: str | None, problem: str, example: object = None) -> None:
        self.file = file
        self.column = column
        self.problem = problem
        self.example = example
        where = f"{file}: column '{column}'" if column else file
        text = f"{where}: {problem}"
        if example is not None:
            shown = str(example)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            text += f" (example: {shown!r})"
        super().__init__(text)
