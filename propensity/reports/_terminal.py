"""Terminal output people like: tables, and progress bars on long steps.

Tables are drawn with `rich` (box lines, right-aligned numbers, colour only on a terminal).
Progress bars go to stderr, only when stderr is a terminal and the CLI is not `--quiet`: piped
output, CI logs and tests stay clean.
"""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["render_table", "print_table", "progress", "progress_steps", "progress_enabled"]

T = TypeVar("T")
log = logging.getLogger("propensity")


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = bool(getattr(stream, "isatty", lambda: False)())
    # off a terminal: no colour codes, and wide enough that a table is never cut mid-word
    width = None if tty else max(shutil.get_terminal_size((160, 24)).columns, 160)
    return Console(file=stream, width=width, force_terminal=tty, no_color=not tty, highlight=False, soft_wrap=False)


def render_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None, numeric: Sequence[int] = (), wrap: Sequence[int] = (),
    pad_edge: bool = True, width: int | None = None,
) -> str:
    """The table as text (what `print_table` prints), for tests and logs; `pad_edge=False`: flush left;
    `width`: the line width to fit (default: the terminal's), so a wide table is never cut."""
    console = _console()
    if width is not None:
        console.width = width
    with console.capture() as cap:
        console.print(_table(headers, rows, title=title, numeric=numeric, wrap=wrap, pad_edge=pad_edge))
    return cap.get()


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None, numeric: Sequence[int] = (), wrap: Sequence[int] = ()
) -> None:
    _console().print(_table(headers, rows, title=title, numeric=numeric, wrap=wrap))


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None, numeric: Sequence[int], wrap: Sequence[int], pad_edge: bool = True
) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", title_style="bold", header_style="bold", pad_edge=pad_edge)
    for i, h in enumerate(headers):
        table.add_column(str(h), justify="right" if i in numeric else "left", overflow="fold", no_wrap=i not in wrap)
    for r in rows:
        table.add_row(*(str(v) for v in r))
    return table


def progress_enabled() -> bool:
    """Bars only for a person watching: stderr is a terminal and the CLI is not quiet."""
    tty = bool(getattr(sys.stderr, "isatty", lambda: False)())
    return tty and log.isEnabledFor(logging.INFO)


def progress(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate `items`, drawing a transient progress bar on stderr when a person is watching."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress_steps(description, total) as advance:
        for item in items:
            yield item
            advance()


@contextmanager
def progress_steps(description: str, total: int | None) -> Iterator[Callable[[], None]]:
    """A transient progress bar advanced by calling the function it yields (a no-op when no
    person is watching): for work that reports its steps through a callback."""
    if not progress_enabled():
        yield lambda: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("propensity: {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)
