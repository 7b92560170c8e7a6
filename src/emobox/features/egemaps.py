"""Handcrafted features with openSMILE: eGeMAPS v02 functionals (one 88-dim frame)."""

from __future__ import annotations

import numpy as np

from emobox.features.base import Extractor


class EgemapsExtractor(Extractor):
    """eGeMAPS v02 functionals; stored as one frame, one "layer"."""

    norm = "standard"

    def __init__(self) -> None:
        import opensmile

        self._smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                                      feature_level=opensmile.FeatureLevel.Functionals)
        self.name = "egemaps"
        self.layers = [0]
        self.dim = len(self._smile.feature_names)
        self.frame_rate = None

    def extract(self, audio: np.ndarray) -> np.ndarray:
        values = self._smile.process_signal(audio, self.sample_rate).to_numpy(dtype=np.float32)
        return values.reshape(1, 1, self.dim)
