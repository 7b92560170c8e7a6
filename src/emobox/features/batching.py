"""Batches by total audio seconds from length-sorted buckets, decoded ahead in background threads.

>>> plan_batches([3.0, 1.0, 2.0, 1.0], max_seconds=4.0)
[[1, 3], [2], [0]]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
_END = object()


def plan_batches(lengths: Sequence[float], *, max_seconds: float = 60.0,
                 max_items: int = 64) -> list[list[int]]:
    """Indices grouped into batches: sorted by length (stable), a batch closes when its padded
    size (``n × longest``) would exceed `max_seconds` or it holds `max_items`. An item longer
    than `max_seconds` forms a batch of its own. Deterministic, so every executor (single
    process, Ray shards) computes exactly the same batches."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        longest = max(lengths[i], lengths[current[-1]] if current else 0.0)
        if current and ((len(current) + 1) * longest > max_seconds
                        or len(current) >= max_items):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def prefetch(items: Sequence[T], work: Callable[[T], R], *, workers: int = 2,
             ahead: int = 4) -> Iterator[tuple[T, R]]:
    """``(item, work(item))`` in order, with up to `ahead` items computed in background
    threads while the caller consumes (bounded, so memory stays flat)."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        pending: deque[tuple[T, Future[R]]] = deque()
        it = iter(items)
        for item in it:
            pending.append((item, pool.submit(work, item)))
            if len(pending) >= ahead:
                break
        while pending:
            item, future = pending.popleft()
            nxt = next(it, _END)
            if nxt is not _END:
                pending.append((nxt, pool.submit(work, nxt)))  # type: ignore[arg-type]
            yield item, future.result()
