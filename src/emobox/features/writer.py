"""Store writes beside the model: one background thread runs a `StoreWriter`'s calls in order.

The float16 conversion, the pooled statistics and the file writes of a batch overlap the next
batch's forward pass (torch and numpy release the GIL). The queue holds at most `depth`
batches, so memory stays flat; a write error (a full disk) is raised in the caller at its next
call, and `finish` waits until everything submitted is written.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from emobox.features.store import StoreWriter


class BackgroundWriter:
    """`add_batch` / `commit` of a `StoreWriter`, run in order on a background thread."""

    def __init__(self, writer: StoreWriter, *, depth: int = 2) -> None:
        self.writer = writer
        self.seconds = 0.0  # time spent writing (in the background thread)
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="emobox-store-writer",
                                        daemon=True)
        self._thread.start()

    def add_batch(self, items: Sequence[tuple[str, np.ndarray] |
                                        tuple[str, np.ndarray, np.ndarray]]) -> None:
        """Append ``(key, features)`` or ``(key, frames, pooled)`` items (in the background;
        see `StoreWriter.add`)."""
        def write() -> None:
            for key, *feats in items:
                self.writer.add(key, *feats)

        self._submit(write)

    def commit(self) -> None:
        """Make everything submitted so far durable (in the background, in order)."""
        self._submit(self.writer.commit)

    def finish(self, *, raise_errors: bool = True) -> None:
        """Wait until every submitted write is done and stop the thread (idempotent); raise
        the first write error unless `raise_errors` is false."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if raise_errors:
            self._raise()

    def _submit(self, job: Callable[[], None]) -> None:
        self._raise()
        self._queue.put(job)

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            if self._error is not None:
                continue  # after a failure nothing more is written; the caller is told
            start = time.perf_counter()
            try:
                job()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self._error = exc
            self.seconds += time.perf_counter() - start
