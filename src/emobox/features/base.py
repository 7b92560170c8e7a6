"""The extractor interface: audio in (16 kHz mono float32), every selected layer out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from emobox.audio import TARGET_SAMPLE_RATE
from emobox.errors import EmoboxError
from emobox.features.batching import ONE_AT_A_TIME, BatchPolicy

if TYPE_CHECKING:
    from emobox.features.settings import ExtractionSettings


class Extractor(ABC):
    """Turns one utterance into features of shape ``(n_layers, n_frames, dim)``.

    `name` is the feature store's folder name; `layers` are the indices whose frames are
    returned and stored (0 = the model's input embeddings for transformers, then one per
    block), `pooled_layers` those whose pooled statistics are stored (every layer); `norm` is
    the feature normalisation the trainer applies by default ("layer" for network features
    as in the EmoBox protocol, "standard" for handcrafted functionals); `settings` the
    resolved `ExtractionSettings`, which the store records.
    """

    name: str
    sample_rate: int = TARGET_SAMPLE_RATE
    layers: list[int]
    pooled_layers: list[int]
    settings: ExtractionSettings
    dim: int
    frame_rate: float | None = None
    norm: str = "layer"
    batch_policy: BatchPolicy = ONE_AT_A_TIME
    #: Seconds spent per stage of the last extraction (e.g. feature encoder, transformer).
    timings: dict[str, float]

    @abstractmethod
    def extract(self, audio: np.ndarray) -> np.ndarray:
        """Features of one utterance, ``(len(self.layers), n_frames, dim)`` float32."""

    def extract_batch(self, audios: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Features of several utterances (subclasses batch where it pays)."""
        return [self.extract(a) for a in audios]

    def extract_pooled(self, audios: Sequence[np.ndarray]
                       ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per utterance: the frames of `layers`, and the float32 ``(len(pooled_layers), 2,
        dim)`` mean and std over frames (here `pooled_layers` are `layers`)."""
        out = []
        for feats in self.extract_batch(audios):
            out.append((feats, np.stack([feats.mean(axis=1), feats.std(axis=1)], axis=1)))
        return out

    def store_meta(self) -> dict:
        """What the store records beside the model's identity (the resolved settings)."""
        return {"settings": self.settings.record()}


#: The layers whose frames `emobox extract` keeps unless told otherwise: the last, which the
#: EmoBox recipe trains on (pooled statistics of every layer are always kept).
DEFAULT_LAYERS = "last"


def parse_layers(spec: str | Sequence[int] | None, n_layers: int) -> list[int]:
    """``"all"`` → every layer, ``"last"`` (and ``"default"``, `DEFAULT_LAYERS`) → the last,
    ``"3,6"`` → those (negative counts from the end); indices checked against `n_layers`."""
    if spec == "default":
        spec = DEFAULT_LAYERS
    if spec is None or spec == "all":
        return list(range(n_layers))
    if spec == "last":
        return [n_layers - 1]
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    try:
        chosen = [int(x) for x in items]
    except ValueError:
        raise EmoboxError("--layers must be default, all, last or comma-separated integers, "
                          f"not {spec!r}") from None
    layers = []
    for layer in chosen:
        real = layer + n_layers if layer < 0 else layer
        if not 0 <= real < n_layers:
            raise EmoboxError(f"layer {layer} does not exist (the model has {n_layers} layers, "
                              f"0..{n_layers - 1})")
        layers.append(real)
    return sorted(set(layers))
