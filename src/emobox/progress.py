"""Progress shared by every long stage: a Rich bar on a terminal, and a plain line at least
every 30 s (``EMOBOX_PROGRESS_SECONDS``) when stderr is a log file — so a long run is never
silent. A unit is counted once it is done, never before (a bar stopped by Ctrl-C shows what
was finished)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")
console = Console(stderr=True)
#: Seconds between the plain progress lines printed when stderr is not a terminal.
PLAIN_INTERVAL = 30.0


def new_progress(*extra_columns) -> Progress:
    """A progress display on stderr: description, bar, n/N, %, elapsed, ETA (+ extra columns)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        *extra_columns,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


class Bar:
    """One task's progress: `advance` when units are done; `total` may grow."""

    def __init__(self, description: str, total: float | None, unit: str) -> None:
        self.description, self.total, self.unit = description, total, unit
        self.done = 0.0
        self.started = time.monotonic()
        self._progress: Progress | None = None
        self._task = None
        self._last_line = 0.0
        self.interval = float(os.environ.get("EMOBOX_PROGRESS_SECONDS", PLAIN_INTERVAL))

    def __enter__(self) -> Bar:
        if console.is_terminal:
            self._progress = new_progress()
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=self.total)
        else:
            self._line(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
        else:
            self._line(force=True)

    def advance(self, amount: float = 1.0) -> None:
        self.done += amount
        if self.total is not None:
            self.done = min(self.done, self.total)
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done)
        else:
            self._line()

    def _line(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_line < self.interval:
            return
        self._last_line = now
        elapsed = now - self.started
        if self.total:
            share = self.done / self.total
            eta = elapsed / share - elapsed if share > 0 else None
            text = (f"{self.description}: {self.done:g}/{self.total:g} {self.unit} "
                    f"({100 * share:.0f} %), {elapsed:.0f} s elapsed"
                    + (f", about {eta:.0f} s left" if eta is not None else ""))
        else:
            text = f"{self.description}: {self.done:g} {self.unit}, {elapsed:.0f} s elapsed"
        print(text, file=sys.stderr, flush=True)


@contextmanager
def progress_bar(description: str, total: float | None, unit: str = "items",
                 enabled: bool = True) -> Iterator[Bar | None]:
    """A `Bar` for the duration (None when not `enabled`)."""
    if not enabled:
        yield None
        return
    with Bar(description, total, unit) as bar:
        yield bar


def track(items: Iterable[T], description: str, total: int | None = None,
          unit: str = "items") -> Iterator[T]:
    """Iterate with a progress bar; an item counts once its body has finished."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with Bar(description, total, unit) as bar:
        for item in items:
            yield item
            bar.advance()
