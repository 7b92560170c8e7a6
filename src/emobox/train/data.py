"""Training data from a feature store: the chosen layer's frames (every layer for the
layer-weighted head), normalised once, held as float32 tensors on the training device (RAM, or
the GPU's memory) — or, for corpora that do not fit there, read from the memory-mapped store
batch by batch.

Normalisations (`NORMS`): ``utterance`` — ``F.layer_norm(x, (T, D))`` over the utterance's
frames and dims, as EmoBox's recipe does; ``frame`` — per frame over D; ``standard`` — per
dimension with the training set's statistics (handcrafted features); ``none``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from emobox.features.store import FeatureStore
from emobox.train.device import fits_on

NORMS = ("utterance", "frame", "standard", "none")
#: Bytes of float32 frames above which training streams from the store.
MEMORY_BUDGET = 4 * 2**30


@dataclass
class FeatureNorm:
    """A normalisation, with its statistics where it has any."""

    kind: str
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    @classmethod
    def fit(cls, kind: str, store: FeatureStore, keys: Sequence[str], layer: int | None
            ) -> FeatureNorm:
        if kind != "standard":
            return cls(kind)
        col = store.layers.index(store.layers[-1] if layer in (None, -1) else layer)
        pooled = np.stack([store.pooled(k)[col] for k in keys])  # (n, 2, dim)
        weights = np.array([store.n_frames(k) for k in keys], dtype=np.float64)[:, None]
        mean = (pooled[:, 0] * weights).sum(0) / weights.sum()
        second = ((pooled[:, 1] ** 2 + pooled[:, 0] ** 2) * weights).sum(0) / weights.sum()
        std = np.sqrt(np.maximum(second - mean**2, 0.0))
        return cls(kind, mean.astype(np.float32), np.where(std > 1e-8, std, 1.0).astype(np.float32))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "utterance":
            return F.layer_norm(x, x.shape[-2:])
        if self.kind == "frame":
            return F.layer_norm(x, x.shape[-1:])
        if self.kind == "standard":
            return ((x - torch.as_tensor(self.mean, device=x.device))
                    / torch.as_tensor(self.std, device=x.device))
        return x

    def to_dict(self) -> dict:
        return {"kind": self.kind,
                "mean": None if self.mean is None else self.mean.tolist(),
                "std": None if self.std is None else self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> FeatureNorm:
        def array(v: list | None) -> np.ndarray | None:
            return None if v is None else np.asarray(v, dtype=np.float32)

        return cls(d["kind"], array(d.get("mean")), array(d.get("std")))


class FrameSet:
    """Normalised frames of `keys` at `layers` (one layer, or all for layer-weighted heads) on
    `device`, each cut to its first `max_frames` when given; `packed(indices)` gives their
    frames concatenated, without padding.

    The frames are held on `device` when their float32 bytes fit (`emobox.train.device.fits_on`:
    `budget` of RAM on the CPU, the free memory on CUDA); otherwise every batch is read from the
    memory-mapped store — on CUDA through a pinned buffer, copied while the CPU reads the next."""

    def __init__(self, store: FeatureStore, keys: Sequence[str], layers: Sequence[int],
                 norm: FeatureNorm, *, budget: int = MEMORY_BUDGET,
                 max_frames: int | None = None, device: str | torch.device = "cpu") -> None:
        self.store, self.keys, self.layers, self.norm = store, list(keys), list(layers), norm
        self.max_frames = max_frames
        self.device = torch.device(device)
        self.lengths = [min(store.n_frames(k), max_frames or store.n_frames(k))
                        for k in self.keys]
        self.streaming = not fits_on(self.device, self.nbytes, budget=budget)
        self._frames: list[list[torch.Tensor]] = [] if self.streaming else [
            [self._load(k, layer) for layer in self.layers] for k in self.keys]
        self._staging: list[tuple[torch.Tensor, torch.cuda.Event | None]] = []
        self._turn = 0

    @property
    def nbytes(self) -> int:
        """Bytes of these frames in float32 (what holding them takes)."""
        return sum(self.lengths) * self.store.dim * 4 * len(self.layers)

    def __len__(self) -> int:
        return len(self.keys)

    def _load(self, key: str, layer: int) -> torch.Tensor:
        frames = np.asarray(self.store.frames(key, layer)[:self.max_frames],
                            dtype=np.float32)
        return self.norm(torch.from_numpy(frames).to(self.device))

    def _streamed(self, indices: Sequence[int]) -> list[list[torch.Tensor]]:
        """The frames of `indices` read from the store; on CUDA staged in one of two pinned
        buffers (the other may still be copying) and copied without blocking."""
        if self.device.type != "cuda":
            return [[self._load(self.keys[i], layer) for layer in self.layers] for i in indices]
        lengths = [self.lengths[i] for i in indices]
        rows = [np.asarray(self.store.frames(self.keys[i], layer)[:self.max_frames])
                for i in indices for layer in self.layers]
        total = sum(len(r) for r in rows)
        buffer = self._stage(total)
        np.concatenate(rows, out=buffer[:total].numpy())
        moved = buffer[:total].to(self.device, non_blocking=True).float()
        event = torch.cuda.Event()
        event.record()
        self._staging[self._turn] = (buffer, event)
        parts = iter(moved.split([n for n in lengths for _ in self.layers]))
        return [[self.norm(next(parts)) for _ in self.layers] for _ in indices]

    def _stage(self, rows: int) -> torch.Tensor:
        """A pinned float16 buffer of at least `rows` frames, the one not used last time,
        once its previous copy has finished."""
        while len(self._staging) < 2:
            self._staging.append((torch.empty(0, self.store.dim, dtype=torch.float16), None))
        self._turn = 1 - self._turn
        buffer, event = self._staging[self._turn]
        if event is not None:
            event.synchronize()
        if len(buffer) < rows:
            buffer = torch.empty(rows, self.store.dim, dtype=torch.float16).pin_memory()
        return buffer

    def packed(self, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The frames of `indices` concatenated, ``(N, D)`` (``(L, N, D)`` with several layers),
        each frame's position in the batch, and the lengths: no padding; all on the device."""
        items = self._streamed(indices) if self.streaming else [self._frames[i] for i in indices]
        lengths = torch.tensor([item[0].shape[0] for item in items])
        per_layer = [torch.cat([item[j] for item in items]) for j in range(len(self.layers))]
        x = per_layer[0] if len(per_layer) == 1 else torch.stack(per_layer)
        segments = torch.repeat_interleave(torch.arange(len(items)), lengths)
        return x, segments.to(self.device), lengths.to(self.device)

    def batches(self, size: int) -> list[list[int]]:
        """Index batches in length order (for evaluation: little padding)."""
        order = sorted(range(len(self.keys)), key=lambda i: self.lengths[i])
        return [order[i:i + size] for i in range(0, len(order), size)]
