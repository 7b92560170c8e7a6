"""Handcrafted features: eGeMAPS v02 functionals and low-level descriptors (openSMILE), log-mel.

>>> import numpy as np
>>> LogMelExtractor().extract(np.zeros(TARGET_SAMPLE_RATE, dtype=np.float32)).shape
(1, 101, 80)
"""

from __future__ import annotations

import numpy as np
import torch

from emobox.audio import TARGET_SAMPLE_RATE
from emobox.errors import EmoboxError
from emobox.features.base import Extractor
from emobox.features.egemaps import EgemapsExtractor
from emobox.features.registry import HANDCRAFTED_SHAPES


class EgemapsLLDExtractor(Extractor):
    """eGeMAPS v02 low-level descriptors: 25 per 10 ms frame, one "layer"."""

    norm = "standard"

    def __init__(self) -> None:
        import opensmile

        self._smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                                      feature_level=opensmile.FeatureLevel.LowLevelDescriptors)
        self.name = "egemaps-lld"
        self.layers = [0]
        self.dim = len(self._smile.feature_names)
        self.frame_rate = HANDCRAFTED_SHAPES[self.name][1]

    def extract(self, audio: np.ndarray) -> np.ndarray:
        values = self._smile.process_signal(audio, self.sample_rate).to_numpy(dtype=np.float32)
        if len(values) == 0:  # shorter than one analysis window
            values = np.zeros((1, self.dim), dtype=np.float32)
        return values[None]


class LogMelExtractor(Extractor):
    """Log-mel filterbank energies: 80 bands, 25 ms windows every 10 ms, one "layer"."""

    norm = "standard"

    def __init__(self, n_mels: int = 80) -> None:
        from transformers.audio_utils import mel_filter_bank

        self.name = "logmel" if n_mels == 80 else f"logmel{n_mels}"
        self.layers = [0]
        self.dim = n_mels
        self.frame_rate = HANDCRAFTED_SHAPES["logmel"][1]
        self._filters = torch.from_numpy(mel_filter_bank(
            num_frequency_bins=201, num_mel_filters=n_mels, min_frequency=0.0,
            max_frequency=TARGET_SAMPLE_RATE / 2, sampling_rate=TARGET_SAMPLE_RATE, norm="slaney",
            mel_scale="slaney",
        )).float()
        self._window = torch.hann_window(400)

    def extract(self, audio: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.asarray(audio, dtype=np.float32))
        if len(x) < 400:
            x = torch.nn.functional.pad(x, (0, 400 - len(x)))
        spec = torch.stft(x, 400, 160, window=self._window, return_complex=True).abs() ** 2
        mel = self._filters.T @ spec
        return torch.log(mel.clamp_min(1e-10)).T[None].numpy()


def handcrafted(name: str) -> Extractor:
    """The handcrafted extractor called `name`."""
    if name == "egemaps":
        return EgemapsExtractor()
    if name == "egemaps-lld":
        return EgemapsLLDExtractor()
    if name == "logmel":
        return LogMelExtractor()
    raise EmoboxError(f"unknown handcrafted feature set {name!r} (egemaps, egemaps-lld, logmel)")
