"""A progress bar for long loops, drawn only for a person watching a terminal.

``track(items, total=n, description="...")`` yields the items of ``items`` and, when
``shows_progress()``, draws a transient rich bar on the console that Kedro's
``RichHandler`` logs to, so log lines print above the bar instead of through it.
Anywhere else (output redirected to a file or a pipe, Jupyter, ``TERM=dumb``, CI)
it yields the same items and writes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sized
from typing import TypeVar

from rich import get_console
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")


def shows_progress(console: Console | None = None) -> bool:
    """Whether ``console`` (rich's global one by default) is a terminal a person watches.

    Checks the stream itself (``isatty``): ``FORCE_COLOR`` makes rich colour a pipe
    but does not make a bar belong in it. Never in CI (``CI`` set) or Jupyter.
    """
    console = console or get_console()
    if os.environ.get("CI") or console.is_jupyter or console.is_dumb_terminal:
        return False
    isatty = getattr(console.file, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except (OSError, ValueError):  # a closed or detached stream
        return False


def track(
    items: Iterable[T],
    *,
    description: str,
    total: int | None = None,
    console: Console | None = None,
) -> Iterator[T]:
    """``items``, one by one, advancing a progress bar as each arrives (see module)."""
    console = console or get_console()
    if not shows_progress(console):
        yield from items
        return
    if total is None and isinstance(items, Sized):
        total = len(items)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            progress.advance(task)
            yield item
