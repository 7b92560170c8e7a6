"""Hidden states of a transformers speech model (hub id or local folder), all layers in one pass."""

from __future__ import annotations

import math

import numpy as np
import torch

from emobox.errors import EmoboxError
from emobox.features.base import Extractor, parse_layers

WHISPER_SECONDS = 30
MIN_SAMPLES = 400
WHISPER_HOP = 320  # encoder frames are 20 ms: 160-sample mel hop × stride-2 conv


class HFExtractor(Extractor):
    """Any `AutoModel` speech encoder: wav2vec 2.0, HuBERT, WavLM, data2vec-audio, Whisper.

    Whisper runs its encoder on 30 s of log-mel input (``pad30``, the protocol of EmoBox and
    SER Evals) and keeps the frames of the real audio.
    """

    norm = "layer"

    def __init__(self, model: str, *, layers: str | list[int] | None = "all",
                 device: str = "cpu") -> None:
        from transformers import AutoConfig, AutoModel

        try:
            config = AutoConfig.from_pretrained(model)
            net = AutoModel.from_pretrained(model)
        except (OSError, ValueError) as exc:
            raise EmoboxError(f"cannot load model {model!r}: {str(exc).splitlines()[0]}") from None
        self.name = model
        self.device = torch.device(device)
        self.is_whisper = config.model_type == "whisper"
        self.model = (net.encoder if self.is_whisper else net).to(self.device).eval()
        n_layers = config.num_hidden_layers + 1
        if self.is_whisper:
            n_layers = config.encoder_layers + 1
        self.layers = parse_layers(layers, n_layers)
        self.dim = config.d_model if self.is_whisper else config.hidden_size
        self.frame_rate = 50.0
        self._feature_extractor = _feature_extractor(model, self.is_whisper)
        self._normalize = bool(getattr(self._feature_extractor, "do_normalize", False)) or (
            getattr(config, "feat_extract_norm", "group") == "layer")

    @torch.inference_mode()
    def extract(self, audio: np.ndarray) -> np.ndarray:
        if self.is_whisper:
            inputs = self._feature_extractor(audio, sampling_rate=16000, return_tensors="pt")
            hidden = self.model(inputs.input_features.to(self.device),
                                output_hidden_states=True).hidden_states
            keep = max(1, math.ceil(len(audio) / WHISPER_HOP))
            keep = min(keep, hidden[0].shape[1])
        else:
            audio = np.asarray(audio, dtype=np.float32)
            if len(audio) < MIN_SAMPLES:  # the conv front end needs one 25 ms window
                audio = np.pad(audio, (0, MIN_SAMPLES - len(audio)))
            x = torch.from_numpy(audio)[None]
            if self._normalize:
                x = (x - x.mean()) / torch.sqrt(x.var() + 1e-7)
            hidden = self.model(x.to(self.device), output_hidden_states=True).hidden_states
            keep = hidden[0].shape[1]
        stacked = torch.stack([hidden[i][0, :keep] for i in self.layers])
        return stacked.float().cpu().numpy()


def _feature_extractor(model: str, is_whisper: bool):
    from transformers import AutoFeatureExtractor, WhisperFeatureExtractor

    try:
        return AutoFeatureExtractor.from_pretrained(model)
    except (OSError, ValueError):
        if is_whisper:
            return WhisperFeatureExtractor()
        return None

