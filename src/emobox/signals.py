"""Stop long stages cleanly on Ctrl-C (SIGINT) and SIGTERM.

Inside `stop_requests()` the signals only raise a flag; the stage checks it between units of
work, saves what it has and raises `Interrupted`. This matters where a signal would otherwise
arrive inside C code (openSMILE's ctypes callbacks swallow a ``KeyboardInterrupt`` and carry
on), and it means no unit is ever half-written.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from emobox.errors import Interrupted

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopFlag:
    """Set once a stop signal arrived; `check` raises `Interrupted` then."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __bool__(self) -> bool:
        return self.signal is not None

    def check(self, what: str) -> None:
        if self.signal is not None:
            raise Interrupted(f"interrupted ({signal.Signals(self.signal).name}); {what} — "
                              "rerun the same command to resume", self.signal)


@contextmanager
def stop_requests() -> Iterator[StopFlag]:
    """Catch SIGINT/SIGTERM as a flag for the duration (main thread only; elsewhere the flag
    simply never rises)."""
    flag = StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum: int, _frame: object) -> None:
        if flag.signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        flag.signal = signum

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield flag
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
