"""Batches that waste no work, decoded ahead in background threads.

A `BatchPolicy` groups length-sorted items; a batch closes when its padded size (``n ×
longest``) would exceed ``max_seconds``, it holds ``max_items``, or more than ``max_padding``
of it would be padding. The policy depends on the device (`batch_policy`), decided by
measurement (README, "Performance"):

* CPU: only segments of *equal* length after the feature encoder's rounding share a batch
  (``max_padding`` 0 over frame counts). On a 2-core AVX-512 CPU, WavLM base in float32, eight
  2–4 s clips padded into one batch took 2.15 s against 1.76 s one at a time (padding and
  masked attention are wasted work), while eight equal 3 s clips batched took 1.70 s against
  1.76 s; a new input shape per call cost ≈ 5 % (no shape bucketing needed).
* CUDA: length-bucketed batches with at most 5 % padding, as many padded seconds as the GPU's
  free memory holds (`cuda_batch_seconds`), so the device is kept full.

>>> plan_batches([3.0, 1.0, 2.0, 1.0], max_seconds=4.0)
[[1, 3], [2], [0]]
>>> plan_batches([2.0, 2.0, 2.02, 3.0], max_seconds=60.0, max_padding=0.0)
[[0, 1], [2], [3]]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
_END = object()

#: Audio seconds per batch on a CPU (equal lengths only, so no padding): one 30 s window.
#: Batching equal lengths gains only 3–6 % on a CPU, and memory grows with the batch.
CPU_BATCH_SECONDS = 30.0
#: Share of a CUDA batch that may be padding.
CUDA_MAX_PADDING = 0.05
#: Device memory one padded audio-second needs at most, for the CUDA batch budget: a large
#: model (1024-d, 25 hidden states kept, 50 frames/s) in 16-bit, × 4 for activations in flight.
CUDA_BYTES_PER_SECOND = 50 * 1024 * 25 * 2 * 4


def plan_batches(lengths: Sequence[float], *, max_seconds: float = 60.0,
                 max_items: int = 64, max_padding: float = 1.0) -> list[list[int]]:
    """Indices grouped into batches (see the module docstring). An item longer than
    `max_seconds` forms a batch of its own. Deterministic, so every executor (single process,
    Ray shards) computes exactly the same batches."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    total = 0.0
    for i in order:
        longest = max(lengths[i], lengths[current[-1]] if current else 0.0)
        padded = (len(current) + 1) * longest
        if current and (padded > max_seconds or len(current) >= max_items
                        or padded - total - lengths[i] > max_padding * padded + 1e-12):
            batches.append(current)
            current, total = [], 0.0
        current.append(i)
        total += lengths[i]
    if current:
        batches.append(current)
    return batches


@dataclass(frozen=True)
class BatchPolicy:
    """How items are grouped into batches (`plan_batches` parameters)."""

    max_seconds: float = CPU_BATCH_SECONDS
    max_items: int = 64
    max_padding: float = 0.0

    def plan(self, lengths: Sequence[float]) -> list[list[int]]:
        return plan_batches(lengths, max_seconds=self.max_seconds, max_items=self.max_items,
                            max_padding=self.max_padding)


#: One item per batch (handcrafted extractors, which gain nothing from batching).
ONE_AT_A_TIME = BatchPolicy(max_items=1)


def cuda_batch_seconds(device: str) -> float:
    """Padded audio seconds per batch that half of `device`'s free memory holds (30–1800;
    600 where this process sees no GPU, e.g. a Ray driver planning for GPU workers)."""
    import torch

    if not torch.cuda.is_available():
        return 600.0
    free, _ = torch.cuda.mem_get_info(torch.device(device))
    return float(min(max(0.5 * free / CUDA_BYTES_PER_SECOND, 30.0), 1800.0))


def batch_policy(device: str = "cpu", batch_seconds: float | None = None) -> BatchPolicy:
    """The batching of `device` (module docstring); `batch_seconds` overrides the size."""
    if device.startswith("cuda"):
        return BatchPolicy(batch_seconds or cuda_batch_seconds(device), 256, CUDA_MAX_PADDING)
    return BatchPolicy(batch_seconds or CPU_BATCH_SECONDS)


#: Planning granularity of utterance lengths (one 20 ms encoder frame): utterances whose
#: lengths round to the same frame count are planned into one batch; the extractor then
#: groups the decoded segments by their exact frame counts.
PLAN_FRAME_SECONDS = 0.02


def plan_utterances(seconds: Sequence[float], policy: BatchPolicy) -> list[list[int]]:
    """The batch plan of utterances of `seconds` lengths under `policy` (the one plan every
    executor computes, so a Ray shard runs exactly the batches a single process would)."""
    return policy.plan([round(s / PLAN_FRAME_SECONDS) * PLAN_FRAME_SECONDS for s in seconds])


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
