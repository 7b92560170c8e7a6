"""Handcrafted features with openSMILE: eGeMAPS v02 functionals (one 88-dim frame)."""

from __future__ import annotations

import warnings

import numpy as np

from emobox.features.base import Extractor
from emobox.features.registry import HANDCRAFTED_SHAPES


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
        self.frame_rate = HANDCRAFTED_SHAPES[self.name][1]  # one frame per utterance

    def extract(self, audio: np.ndarray) -> np.ndarray:
        """The 88 functionals; NaN for a clip shorter than openSMILE's analysis window (the
        extraction loop then counts the utterance as failed instead of storing it)."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Segment too short")
            values = self._smile.process_signal(audio, self.sample_rate)
        return values.to_numpy(dtype=np.float32).reshape(1, 1, self.dim)
