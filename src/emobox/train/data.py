"""Feature batches for training: frames of one layer, normalised, padded with a mask."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from emobox.features.store import FeatureStore


@dataclass
class FeatureNorm:
    """How frames are normalised before the head: ``layer`` (per frame, as in the EmoBox
    protocol), ``standard`` (per dimension, statistics of the training set) or ``none``."""

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
        if self.kind == "layer":
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


def load_frames(store: FeatureStore, keys: Sequence[str], layer: int | None,
                norm: FeatureNorm) -> list[torch.Tensor]:
    """Normalised float32 frames of each key (copied out of the memory map)."""
    return [norm(torch.from_numpy(np.asarray(store.frames(k, layer), dtype=np.float32)))
            for k in keys]


def pad_batch(frames: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack variable-length frame matrices into (batch, max_frames, dim) plus a bool mask."""
    lengths = torch.tensor([f.shape[0] for f in frames])
    batch = torch.nn.utils.rnn.pad_sequence(list(frames), batch_first=True)
    mask = torch.arange(batch.shape[1])[None, :] < lengths[:, None]
    return batch, mask
