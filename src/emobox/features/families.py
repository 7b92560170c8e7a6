"""One adapter per model family: what the registry's ``family`` field names.

An adapter holds everything that differs between families: how its architecture is read from a
``config.json`` (`arch_from_config`), how many hidden states it stores and how wide they are, its
frame rate, its forward FLOPs per audio-second, whether bf16 stays faithful, the window it
encodes at once, and (`emobox.features.hf`) its input handling. This module is torch-free, so
sizing and cost plans read it without loading a model.

>>> from emobox.features.registry import info
>>> adapter_of("wavlm").hidden_states(info("wavlm-base").arch)
13
"""

from __future__ import annotations

import math
from typing import ClassVar

from emobox.errors import EmoboxError
from emobox.features.registry import Arch

#: Seconds of context the attention cost is counted over (an EmoBox utterance is 4 s on average).
CONTEXT_SECONDS = 4.0
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


class Waveform(Family):
    """wav2vec 2.0, HuBERT, WavLM, data2vec-audio, MERT: a conv feature encoder on raw samples,
    a projection, a positional convolution, then transformer blocks."""

    name = "waveform"
    families = ("wav2vec2", "hubert", "wavlm", "data2vec-audio", "mert")
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


class Data2Vec2(Waveform):
    """data2vec 2.0 and emotion2vec (fairseq ``data2vec_multi``, `emobox.features.data2vec2`):
    the waveform layout with ALiBi attention; the audio prenet's blocks count as blocks. Its
    architecture comes from a fairseq ``model`` config or FunASR's ``model_conf``. Not
    measured in bf16 on real weights, so ``auto`` keeps it in float32 on a CPU."""

    name = "data2vec2"
    families = ("data2vec2",)
    bf16_faithful = False

    @classmethod
    def arch_from_config(cls, config: dict) -> Arch:
        from emobox.features.data2vec2_config import Data2Vec2Config

        c = Data2Vec2Config.from_fairseq(config)
        return Arch(c.n_blocks, c.embed_dim, int(c.embed_dim * c.mlp_ratio),
                    inputs=c.conv_layers[-1][0], conv=c.conv_layers)


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
