"""One adapter per model family: what the registry's ``family`` field names.

An adapter holds everything that differs between families. Its class methods are the facts,
read without loading a model (sizing and cost plans): how the architecture is read from a
``config.json`` (`arch_from_config`), how many hidden states it gives and how wide they are,
its frame rate, its forward FLOPs per audio-second, whether bf16 stays faithful, the window it
encodes at once. An instance, made by `emobox.features.hf.HFExtractor` for a loaded model, is
its input handling: which module runs, the feature extractor, the patches that make a padded
batch exact, the cost of a segment for batching, and the forward pass that gives every hidden
state and each segment's frame count. torch is imported only by those methods.

Input handling per family:

* waveform models (wav2vec 2.0, HuBERT, WavLM, data2vec, MERT at 24 kHz): raw samples,
  normalised per utterance where the checkpoint's feature extractor says so;
* data2vec 2.0 / emotion2vec: raw samples, layer-normalised where the checkpoint's config says
  ``normalize``, as fairseq and FunASR do;
* Whisper: log-mel from `WhisperFeatureExtractor`, encoder only, ``pad30`` (pad to 30 s as both
  papers do, keep the frames of the real audio) or ``trim`` (encode only the real length);
  ``floor(samples / 320)`` frames of a clip, as the EmoBox and SER Evals references keep;
* w2v-BERT 2.0: fbank features from `SeamlessM4TFeatureExtractor`;
* CLAP: 48 kHz log-mel from `ClapFeatureExtractor`; the final HTSAT stage averaged over
  frequency, one layer.

>>> from emobox.features.registry import info
>>> adapter_of("wavlm").hidden_states(info("wavlm-base").arch)
13
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

from emobox.audio import TARGET_SAMPLE_RATE
from emobox.errors import EmoboxError
from emobox.features.registry import Arch

#: Seconds of context the attention cost is counted over (an EmoBox utterance is 4 s on average).
CONTEXT_SECONDS = 4.0
#: Samples of one conv front-end window (25 ms); shorter clips are padded to it.
MIN_SAMPLES = 400
#: Samples per Whisper encoder frame: the 160-sample mel hop × the stride-2 convolution.
WHISPER_HOP = 320
#: The positional convolution of the wav2vec 2.0 encoders: kernel and groups (transformers'
#: defaults; data2vec's stack of five 19-tap convolutions costs about as much).
POS_CONV = (128, 16)


def block_flop(dim: int, ffn: int, tokens: float) -> float:
    """FLOPs of one transformer block per token: q/k/v/out projections, the feed-forward pair,
    and attention over `tokens` (scores and weighted sum)."""
    return 2 * (4 * dim * dim + 2 * dim * ffn) + 4 * tokens * dim


class Family:
    """The facts of one family (class attributes and class methods; no model needed)."""

    name: ClassVar[str] = ""
    #: registry family names this adapter serves
    families: ClassVar[tuple[str, ...]] = ()
    #: seconds of audio encoded at once (longer audio is cut into windows)
    window_seconds: ClassVar[float] = 30.0
    #: every hidden state stays within cosine 0.999 of float32 with bf16 weights (see
    #: `emobox.features.precision`)
    bf16_faithful: ClassVar[bool] = False

    @classmethod
    def hidden_states(cls, arch: Arch) -> int:
        """Hidden states one forward pass gives (the embeddings, then one per block)."""
        return arch.blocks + 1

    @classmethod
    def width(cls, arch: Arch) -> int:
        """Width of a stored frame."""
        return arch.dim

    @classmethod
    def frame_rate(cls, arch: Arch, sample_rate: int) -> float:
        """Stored frames per audio-second."""
        return 50.0

    @classmethod
    def arch_from_config(cls, config: dict) -> Arch:
        """The architecture of a transformers ``config.json``."""
        return Arch(int(config["num_hidden_layers"]), int(config["hidden_size"]),
                    int(config["intermediate_size"]))

    @classmethod
    def flop_per_second(cls, arch: Arch, sample_rate: int,
                        context_seconds: float = CONTEXT_SECONDS) -> float:
        """Forward FLOPs per audio-second of the encoder."""
        rate = cls.frame_rate(arch, sample_rate)
        return rate * arch.blocks * block_flop(arch.dim, arch.ffn, context_seconds * rate)

    # -- input handling of a loaded model ----------------------------------------------------
    #: the first and last module of the feature encoder (timed as ``feature_encoder``)
    timing_span: ClassVar[tuple[str, str]] = ("feature_extractor", "feature_extractor")

    def __init__(self, config: Any, *, whisper_mode: str | None = None,
                 sample_rate: int = TARGET_SAMPLE_RATE) -> None:
        self.config = config
        self.arch = self.arch_from_config(config.to_dict())
        self.whisper_mode = whisper_mode
        self.sample_rate = int(getattr(config, "sample_rate", 0) or sample_rate)
        self.n_layers = self.hidden_states(self.arch)
        self.dim = self.width(self.arch)
        self.frames_per_second = self.frame_rate(self.arch, self.sample_rate)

    def encoder(self, net: Any) -> Any:
        """The module that runs (of the loaded `AutoModel`)."""
        return net

    def prepare(self, model: Any, valid: list) -> None:
        """Patch `model` (after it is on its device): hooks that make padded batches exact."""

    def feature_extractor(self, source: str) -> Any:
        """The checkpoint's feature extractor (None for raw waveform input)."""
        return _auto_feature_extractor(source)

    @property
    def padded(self) -> bool:
        """Every segment is encoded as one whole window, whatever its length."""
        return False

    def cost(self, ex: Any, n_samples: int) -> float:
        """Seconds a segment of `n_samples` costs in a batch."""
        return ex.window if self.padded else n_samples / self.sample_rate

    def forward(self, ex: Any, segments: Sequence[Any]) -> tuple[Sequence[Any], list[int]]:
        """Every hidden state of a batch of `segments` of extractor `ex`, and each segment's
        frame count."""
        raise NotImplementedError


class Waveform(Family):
    """wav2vec 2.0, HuBERT, WavLM, data2vec-audio, MERT: a conv feature encoder on raw samples,
    a projection, a positional convolution, then transformer blocks."""

    name = "waveform"
    families = ("wav2vec2", "hubert", "wavlm", "data2vec-audio", "mert")
    #: issue #12 measured cosine ≥ 0.9999 per layer on real WavLM base weights with bf16
    #: weights; bench/extract.py ≥ 0.9998 on every layer of a random WavLM base. Whisper is not
    #: faithful (real Whisper base: last layer 0.996 with bf16 weights, 0.9945 under autocast),
    #: and w2v-BERT and CLAP are not measured on real weights: ``auto`` keeps them float32.
    bf16_faithful = True

    @classmethod
    def frame_rate(cls, arch: Arch, sample_rate: int) -> float:
        return sample_rate / math.prod(s for _, _, s in arch.conv)

    @classmethod
    def arch_from_config(cls, config: dict) -> Arch:
        conv = tuple(zip(config["conv_dim"], config["conv_kernel"], config["conv_stride"]))
        return Arch(int(config["num_hidden_layers"]), int(config["hidden_size"]),
                    int(config["intermediate_size"]), inputs=int(config["conv_dim"][-1]),
                    conv=tuple((int(c), int(k), int(s)) for c, k, s in conv))

    @classmethod
    def flop_per_second(cls, arch: Arch, sample_rate: int,
                        context_seconds: float = CONTEXT_SECONDS) -> float:
        flop, rate, channels = 0.0, float(sample_rate), 1
        for out, kernel, stride in arch.conv:
            rate /= stride
            flop += 2 * kernel * channels * out * rate
            channels = out
        kernel, groups = POS_CONV
        flop += rate * (2 * arch.inputs * arch.dim + 2 * kernel * arch.dim * arch.dim / groups)
        return flop + super().flop_per_second(arch, sample_rate, context_seconds)

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self._hop = math.prod(s for _, _, s in self.arch.conv)  # samples per frame
        self.normalize = getattr(config, "feat_extract_norm", "group") == "layer"

    def prepare(self, model: Any, valid: list) -> None:
        from emobox.features import hf

        hf.install_padding_hooks(model, valid)
        if self.config.model_type == "wavlm":
            hf.fast_wavlm_attention(model)

    def feature_extractor(self, source: str) -> Any:
        fe = _auto_feature_extractor(source)
        self.normalize = self.normalize or bool(getattr(fe, "do_normalize", False))
        return fe

    def cost(self, ex: Any, n_samples: int) -> float:
        """At the feature encoder's rounding: segments of equal cost compute equal frame
        counts (a CPU batch holds only those)."""
        import torch

        frames = int(ex.model._get_feat_extract_output_lengths(
            torch.tensor(max(n_samples, MIN_SAMPLES))))
        return frames * self._hop / self.sample_rate

    @staticmethod
    def normalise(t: Any) -> Any:
        """Zero mean, unit variance, as transformers' ``Wav2Vec2FeatureExtractor`` does."""
        import torch

        return (t - t.mean()) / torch.sqrt(t.var(unbiased=False) + 1e-7)

    def forward(self, ex: Any, segments: Sequence[Any]) -> tuple[Sequence[Any], list[int]]:
        import torch

        lengths = [max(len(s), MIN_SAMPLES) for s in segments]
        x = torch.zeros(len(segments), max(lengths))
        mask = torch.zeros(len(segments), max(lengths), dtype=torch.long)
        for b, s in enumerate(segments):
            t = torch.from_numpy(s)
            if self.normalize:
                t = self.normalise(t)
            x[b, :len(s)] = t
            mask[b, :lengths[b]] = 1
        kwargs = {"attention_mask": ex._input(mask)} if len(segments) > 1 else {}
        frames = ex.model._get_feat_extract_output_lengths(torch.tensor(lengths)).tolist()
        ex._valid[:] = [torch.tensor(lengths), torch.tensor(frames)] if kwargs else []
        try:
            out = ex.model(ex._input(x), output_hidden_states=True, **kwargs)
        finally:
            ex._valid.clear()
        return out.hidden_states, [int(n) for n in frames]


class Data2Vec2(Waveform):
    """data2vec 2.0 and emotion2vec (fairseq ``data2vec_multi``, `emobox.features.data2vec2`):
    the waveform layout with ALiBi attention; the audio prenet's blocks count as blocks. The
    architecture is read from a fairseq ``model`` config or FunASR's ``model_conf``
    (`emobox.features.data2vec2_config.Data2Vec2Config`), the model from its checkpoint
    (`emobox.features.checkpoints`). The waveform is layer-normalised as fairseq and FunASR
    do (eps 1e-5) where the config says ``normalize``; padded batches are exact inside the
    model. Not measured in bf16 on real weights, so ``auto`` keeps it float32 on a CPU."""

    name = "data2vec2"
    families = ("data2vec2",)
    bf16_faithful = False

    @classmethod
    def arch_from_config(cls, config: dict) -> Arch:
        from emobox.features.data2vec2_config import Data2Vec2Config

        c = Data2Vec2Config.from_fairseq(config)
        return Arch(c.n_blocks, c.embed_dim, int(c.embed_dim * c.mlp_ratio),
                    inputs=c.conv_layers[-1][0], conv=c.conv_layers)

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.normalize = config.normalize

    def prepare(self, model: Any, valid: list) -> None:
        """Nothing to patch: `Data2Vec2Model` masks padding itself."""

    def feature_extractor(self, source: str) -> Any:
        return None

    @staticmethod
    def normalise(t: Any) -> Any:
        from emobox.features.data2vec2 import normalize_waveform

        return normalize_waveform(t)


class Whisper(Family):
    """Whisper's encoder: log-mel at 100 frames/s, two convolutions (the second of stride 2),
    transformer blocks; 30 s windows."""

    name = "whisper"
    families = ("whisper",)

    @classmethod
    def arch_from_config(cls, config: dict) -> Arch:
        return Arch(int(config["encoder_layers"]), int(config["d_model"]),
                    int(config["encoder_ffn_dim"]), inputs=int(config["num_mel_bins"]))

    @classmethod
    def flop_per_second(cls, arch: Arch, sample_rate: int,
                        context_seconds: float = CONTEXT_SECONDS) -> float:
        convs = 2 * 3 * arch.inputs * arch.dim * 100 + 2 * 3 * arch.dim * arch.dim * 50
        return convs + super().flop_per_second(arch, sample_rate, context_seconds)

    timing_span = ("conv1", "conv2")

    def encoder(self, net: Any) -> Any:
        return net.encoder

    def feature_extractor(self, source: str) -> Any:
        import transformers as tf

        return _auto_feature_extractor(source) or tf.WhisperFeatureExtractor(
            feature_size=self.config.num_mel_bins)

    @property
    def padded(self) -> bool:
        return self.whisper_mode == "pad30"

    def cost(self, ex: Any, n_samples: int) -> float:
        if self.padded:
            return ex.window
        return whisper_frames(n_samples) * WHISPER_HOP / self.sample_rate

    def forward(self, ex: Any, segments: Sequence[Any]) -> tuple[Sequence[Any], list[int]]:
        from emobox.features.hf import whisper_encode

        frames = [whisper_frames(len(s)) for s in segments]
        if self.padded:
            feats = ex._features(segments, sampling_rate=TARGET_SAMPLE_RATE, return_tensors="pt")
            out = ex.model(ex._input(feats.input_features), output_hidden_states=True)
            return out.hidden_states, frames
        longest = max(frames)
        feats = ex._input(ex._features(
            segments, sampling_rate=TARGET_SAMPLE_RATE, return_tensors="pt", padding="max_length",
            max_length=longest * WHISPER_HOP, truncation=True).input_features)
        return whisper_encode(ex.model, feats, frames), frames


def whisper_frames(n_samples: int) -> int:
    """Encoder frames kept of `n_samples` of 16 kHz audio: ``floor(n / 320)``, the frames
    wholly inside the clip (the EmoBox and SER Evals references trim to it), at least one."""
    return max(1, n_samples // WHISPER_HOP)


class W2vBert(Family):
    """w2v-BERT 2.0: stacked fbank features (50 frames/s), a projection, conformer blocks
    (two half feed-forwards, attention, a depthwise convolution module)."""

    name = "w2v-bert"
    families = ("w2v-bert",)
    depthwise_kernel: ClassVar[int] = 31

    @classmethod
    def arch_from_config(cls, config: dict) -> Arch:
        return Arch(int(config["num_hidden_layers"]), int(config["hidden_size"]),
                    int(config["intermediate_size"]),
                    inputs=int(config["feature_projection_input_dim"]))

    @classmethod
    def flop_per_second(cls, arch: Arch, sample_rate: int,
                        context_seconds: float = CONTEXT_SECONDS) -> float:
        d, rate = arch.dim, cls.frame_rate(arch, sample_rate)
        block = (8 * d * arch.ffn + 8 * d * d + 4 * context_seconds * rate * d  # FFNs, attention
                 + 6 * d * d + 2 * cls.depthwise_kernel * d)  # conv module
        return rate * (2 * arch.inputs * d + arch.blocks * block)

    timing_span = ("feature_projection", "feature_projection")

    def feature_extractor(self, source: str) -> Any:
        import transformers as tf

        return _auto_feature_extractor(source) or tf.SeamlessM4TFeatureExtractor(
            feature_size=self.config.feature_projection_input_dim // 2)

    def forward(self, ex: Any, segments: Sequence[Any]) -> tuple[Sequence[Any], list[int]]:
        import numpy as np

        padded = [s if len(s) >= MIN_SAMPLES else np.pad(s, (0, MIN_SAMPLES - len(s)))
                  for s in segments]
        feats = ex._features(padded, sampling_rate=TARGET_SAMPLE_RATE, return_tensors="pt",
                             padding=True, return_attention_mask=True)
        mask = feats.attention_mask
        out = ex.model(ex._input(feats.input_features), attention_mask=ex._input(mask),
                       output_hidden_states=True)
        return out.hidden_states, [int(n) for n in mask.sum(1)]


class Clap(Family):
    """CLAP's HTSAT audio encoder: 10 s windows of 48 kHz log-mel folded into a square
    spectrogram, Swin stages; the last stage averaged over frequency is the one stored layer."""

    name = "clap"
    families = ("clap",)
    window_seconds = 10.0
    patch: ClassVar[int] = 4

    @classmethod
    def hidden_states(cls, arch: Arch) -> int:
        return 1

    @classmethod
    def width(cls, arch: Arch) -> int:
        return arch.dim * 2 ** (len(arch.stages) - 1)  # each stage doubles the width

    @classmethod
    def frame_rate(cls, arch: Arch, sample_rate: int) -> float:
        side = arch.spec // cls.patch // 2 ** (len(arch.stages) - 1)  # last stage's grid
        freq_bins = side // (arch.spec // arch.inputs)
        return side * side / freq_bins / cls.window_seconds

    @classmethod
    def arch_from_config(cls, config: dict) -> Arch:
        audio = config["audio_config"]
        return Arch(1, int(audio["patch_embeds_hidden_size"]),
                    int(audio["patch_embeds_hidden_size"] * audio.get("mlp_ratio", 4.0)),
                    inputs=int(audio["num_mel_bins"]), stages=tuple(audio["depths"]),
                    spec=int(audio["spec_size"]), window=int(audio["window_size"]))

    @classmethod
    def flop_per_second(cls, arch: Arch, sample_rate: int,
                        context_seconds: float = CONTEXT_SECONDS) -> float:
        ratio = arch.ffn / arch.dim
        tokens, width, flop = (arch.spec / cls.patch) ** 2, arch.dim, 0.0
        for i, depth in enumerate(arch.stages):
            if i:  # patch merging: 4 tokens → 1, 4w → 2w
                tokens, width = tokens / 4, width * 2
                flop += tokens * 2 * (2 * width) * width
            flop += depth * tokens * block_flop(width, int(ratio * width), arch.window ** 2)
        return flop / cls.window_seconds

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.sample_rate = 48000

    def encoder(self, net: Any) -> Any:
        return net.audio_model

    def feature_extractor(self, source: str) -> Any:
        import transformers as tf

        audio = self.config.audio_config
        return _auto_feature_extractor(source) or tf.ClapFeatureExtractor(
            feature_size=audio.num_mel_bins,
            truncation="fusion" if audio.enable_fusion else "rand_trunc")

    @property
    def padded(self) -> bool:
        return True  # the feature extractor pads every clip to the 10 s window

    def forward(self, ex: Any, segments: Sequence[Any]) -> tuple[Sequence[Any], list[int]]:
        feats = ex._features(segments, sampling_rate=self.sample_rate, return_tensors="pt")
        out = ex.model(input_features=ex._input(feats.input_features),
                       is_longer=ex._input(feats.is_longer))
        frames = out.last_hidden_state.mean(dim=2).transpose(1, 2)  # (batch, time, dim)
        window = self.window_seconds * self.sample_rate
        n = [max(1, math.ceil(frames.shape[1] * len(s) / window)) for s in segments]
        return [frames], n


def _auto_feature_extractor(source: str) -> Any:
    """The feature extractor saved with a checkpoint, or None."""
    import transformers as tf

    try:
        return tf.AutoFeatureExtractor.from_pretrained(source)
    except (OSError, ValueError):
        return None


ADAPTERS: dict[str, type[Family]] = {f: a for a in (Waveform, Data2Vec2, Whisper, W2vBert,
                                                    Clap)
                                     for f in a.families}


def adapter_of(family: str) -> type[Family]:
    """The adapter of a registry family."""
    try:
        return ADAPTERS[family]
    except KeyError:
        raise EmoboxError(f"no adapter for the model family {family!r} "
                          f"(known: {', '.join(sorted(ADAPTERS))})") from None
