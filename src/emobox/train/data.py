"""Training data from a feature store: the chosen layer's frames (every layer for the
layer-weighted head), normalised once, held in RAM as float32 tensors — or, for corpora that do
not fit the memory budget, read from the memory-mapped store batch by batch.

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
            return (x - torch.from_numpy(self.mean)) / torch.from_numpy(self.std)
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
    """Normalised frames of `keys` at `layers` (one layer, or all for layer-weighted heads),
    each cut to its first `max_frames` when given; `packed(indices)` gives their frames
    concatenated, without padding."""

    def __init__(self, store: FeatureStore, keys: Sequence[str], layers: Sequence[int],
                 norm: FeatureNorm, *, budget: int = MEMORY_BUDGET,
                 max_frames: int | None = None) -> None:
        self.store, self.keys, self.layers, self.norm = store, list(keys), list(layers), norm
        self.max_frames = max_frames
        self.lengths = [min(store.n_frames(k), max_frames or store.n_frames(k))
                        for k in self.keys]
        size = sum(self.lengths) * store.dim * 4 * len(self.layers)
        self.streaming = size > budget
        self._frames: list[list[torch.Tensor]] = [] if self.streaming else [
            [self._load(k, layer) for layer in self.layers] for k in self.keys]

    def __len__(self) -> int:
        return len(self.keys)

    def _load(self, key: str, layer: int) -> torch.Tensor:
        frames = np.asarray(self.store.frames(key, layer)[:self.max_frames], dtype=np.float32)
        return self.norm(torch.from_numpy(frames))

    def packed(self, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The frames of `indices` concatenated, ``(N, D)`` (``(L, N, D)`` with several layers),
        each frame's position in the batch, and the lengths: no padding."""
        items = ([[self._load(self.keys[i], layer) for layer in self.layers] for i in indices]
                 if self.streaming else [self._frames[i] for i in indices])
        lengths = torch.tensor([item[0].shape[0] for item in items])
        per_layer = [torch.cat([item[j] for item in items]) for j in range(len(self.layers))]
        x = per_layer[0] if len(per_layer) == 1 else torch.stack(per_layer)
        return x, torch.repeat_interleave(torch.arange(len(items)), lengths), lengths

    def batches(self, size: int) -> list[list[int]]:
        """Index batches in length order (for evaluation: little padding)."""
        order = sorted(range(len(self.keys)), key=lambda i: self.lengths[i])
        return [order[i:i + size] for i in range(0, len(order), size)]
