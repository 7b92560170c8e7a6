"""The data2vec 2.0 audio encoder (fairseq ``data2vec_multi``; emotion2vec), in plain torch.

The same network as fairseq's ``Data2VecMultiModel`` with its audio modality encoder, as
emotion2vec (FunASR ``Emotion2vec``) reuses it, in inference mode: a local convolutional feature
encoder (per-frame layer norms), a projection, a stack of grouped convolutions as relative
positional encoder added to its input, optional learned extra tokens prepended, then
post-norm transformer blocks with ALiBi attention biases (learned per-head scales): the
modality's "prenet" blocks, then the shared blocks. Masking, the EMA teacher and the decoders
are training-only and absent.

`Data2Vec2Model.forward` returns every hidden state as transformers does with
``output_hidden_states``: the input of the first block, then each block's output (extra tokens
removed); the last one is the encoder output fairseq's ``extract_features`` returns as ``x``.
Only the post-norm blocks every audio checkpoint uses are built. Padded batches compute what
each utterance computes alone: the positional convolutions see zeros past each utterance's
end, and attention ignores padded frames.

The architecture is `emobox.features.data2vec2_config.Data2Vec2Config`; the checkpoint readers
live in `emobox.features.checkpoints`.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn

from emobox.features.data2vec2_config import INPUT_NORM_EPS, Data2Vec2Config


class ConvLayer(nn.Module):
    """Conv1d (no bias), layer norm over channels per frame (in float32), GELU."""

    def __init__(self, n_in: int, n_out: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(n_in, n_out, kernel, stride=stride, bias=False)
        self.layer_norm = nn.LayerNorm(n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x).transpose(1, 2)
        x = F.layer_norm(x.float(), x.shape[-1:], self.layer_norm.weight.float(),
                         self.layer_norm.bias.float(), self.layer_norm.eps).to(x.dtype)
        return F.gelu(x.transpose(1, 2))


class FeatureExtractor(nn.Module):
    """The local encoder: raw samples ``(batch, time)`` → ``(batch, channels, frames)``."""

    def __init__(self, spec: tuple[tuple[int, int, int], ...]) -> None:
        super().__init__()
        dims = [1] + [d for d, _, _ in spec]
        self.conv_layers = nn.ModuleList(ConvLayer(dims[i], d, k, s)
                                         for i, (d, k, s) in enumerate(spec))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, None]
        for layer in self.conv_layers:
            x = layer(x)
        return x


class FeatureProjection(nn.Module):
    def __init__(self, n_in: int, dim: int) -> None:
        super().__init__()
        self.layer_norm = nn.LayerNorm(n_in)
        self.projection = nn.Linear(n_in, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(self.layer_norm(x.transpose(1, 2)))


class PositionalConv(nn.Module):
    """The relative positional encoder: `conv_pos_depth` grouped convolutions, each with
    "same" padding, a non-affine layer norm and GELU; its output is added to its input."""

    def __init__(self, config: Data2Vec2Config) -> None:
        super().__init__()
        dim, depth = config.embed_dim, config.conv_pos_depth
        self.kernel = max(3, config.conv_pos_width // depth)
        self.pre_norm = nn.LayerNorm(dim) if config.conv_pos_pre_ln else None
        self.blocks = nn.ModuleList(
            nn.Conv1d(dim, dim, self.kernel, padding=self.kernel // 2,
                      groups=config.conv_pos_groups) for _ in range(depth))

    def forward(self, x: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
        """`x` ``(batch, frames, dim)``; `keep` ``(batch, frames)`` marks real frames (None:
        all are)."""
        if self.pre_norm is not None:
            x = self.pre_norm(x)
        x = x.transpose(1, 2)
        for conv in self.blocks:
            if keep is not None:
                x = x * keep[:, None, :].to(x.dtype)
            x = conv(x)
            if self.kernel % 2 == 0:  # fairseq's SamePad drops the extra last frame
                x = x[..., :-1]
            x = F.gelu(F.layer_norm(x.transpose(1, 2), x.shape[1:2]).transpose(1, 2))
        return x.transpose(1, 2)


class Attention(nn.Module):
    """Multi-head self-attention with an additive bias (ALiBi plus key padding); the scores
    and softmax are computed in float32 whatever the weights' dtype, as fairseq does once a
    bias is present (an ALiBi bias of hundreds has no useful bf16 resolution)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        b, t, d = x.shape
        qkv = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = (p.float() for p in qkv)
        with torch.autocast(x.device.type, enabled=False):  # CUDA autocast would cast to bf16
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.proj(out.to(x.dtype).transpose(1, 2).reshape(b, t, d))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """fairseq's ``AltBlock`` in its post-norm form (``layer_norm_first=False``, every audio
    checkpoint's): attention, residual, norm; MLP, residual, norm."""

    def __init__(self, config: Data2Vec2Config) -> None:
        super().__init__()
        dim = config.embed_dim
        self.norm1 = nn.LayerNorm(dim, eps=config.norm_eps,
                                  elementwise_affine=config.norm_affine)
        self.attn = Attention(dim, config.num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=config.norm_eps,
                                  elementwise_affine=config.norm_affine)
        self.mlp = Mlp(dim, int(dim * config.mlp_ratio))

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        x = self.norm1(x + self.attn(x, bias))
        return self.norm2(x + self.mlp(x))


def alibi_slopes(heads: int) -> torch.Tensor:
    """ALiBi's per-head slopes (geometric; for a head count that is not a power of two, the
    interleaving of fairseq's ``get_alibi``)."""

    def power_of_2(n: int) -> list[float]:
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start ** i for i in range(n)]

    if math.log2(heads).is_integer():
        return torch.tensor(power_of_2(heads))
    closest = 2 ** math.floor(math.log2(heads))
    rest = alibi_slopes(2 * closest)[0::2][:heads - closest]
    return torch.cat([torch.tensor(power_of_2(closest)), rest])


def alibi_bias(heads: int, frames: int, device: torch.device | None = None) -> torch.Tensor:
    """The symmetric ALiBi bias ``(heads, frames, frames)``: ``-slope × |i - j|``."""
    pos = torch.arange(frames, device=device)
    distance = -(pos[None, :] - pos[:, None]).abs().float()
    return alibi_slopes(heads).to(distance.device)[:, None, None] * distance


class Encoder(nn.Module):
    """Positional convolution, extra tokens, the input norm and every
    block (the audio prenet's, then the shared ones)."""

    def __init__(self, config: Data2Vec2Config) -> None:
        super().__init__()
        self.config = config
        dim = config.embed_dim
        self.pos_conv_embed = PositionalConv(config)
        self.extra_tokens = (nn.Parameter(torch.zeros(1, config.num_extra_tokens, dim))
                             if config.num_extra_tokens else None)
        self.layer_norm = nn.LayerNorm(dim, eps=config.norm_eps,
                                       elementwise_affine=config.norm_affine)
        heads = config.num_alibi_heads or config.num_heads
        self.alibi_heads = heads
        shape = (config.n_blocks if config.learned_alibi_scale_per_layer else 1, 1,
                 heads if config.learned_alibi_scale_per_head else 1, 1, 1)
        self.alibi_scale = nn.Parameter(torch.ones(shape)) if config.use_alibi_encoder else None
        self.layers = nn.ModuleList(Block(config) for _ in range(config.n_blocks))

    def _biases(self, x: torch.Tensor, keep: torch.Tensor | None) -> list[torch.Tensor | None]:
        """One additive attention bias per block: ALiBi (scaled per layer or once, clamped
        at 0, zero rows and columns for extra tokens) and −inf on padded keys."""
        b, t = x.shape[0], x.shape[1] - self.config.num_extra_tokens
        base: torch.Tensor | None = None
        scales: list[torch.Tensor | None] = [None] * len(self.layers)
        if self.alibi_scale is not None:
            base = alibi_bias(self.alibi_heads, t, x.device)[None]
            scale = self.alibi_scale.float().clamp_min(0)
            if scale.shape[0] == 1:
                base = base * scale[0]
            else:
                scales = list(scale)
            n = self.config.num_extra_tokens
            if n:
                base = F.pad(base, (n, 0, n, 0))
            if base.shape[1] < self.config.num_heads:  # ALiBi on the first heads only
                base = F.pad(base, (0, 0, 0, 0, 0, self.config.num_heads - base.shape[1]))
        pad: torch.Tensor | None = None
        if keep is not None and not bool(keep.all()):
            keep = F.pad(keep, (self.config.num_extra_tokens, 0), value=True)
            pad = torch.zeros(b, 1, 1, keep.shape[1], device=x.device)
            pad = pad.masked_fill(~keep[:, None, None, :], float("-inf"))
        out: list[torch.Tensor | None] = []
        for s in scales:
            bias = base if s is None or base is None else base * s
            if pad is not None:
                bias = pad if bias is None else bias + pad
            out.append(bias)
        return out

    def forward(self, x: torch.Tensor, keep: torch.Tensor | None) -> list[torch.Tensor]:
        x = x + self.pos_conv_embed(x, keep)
        n = self.config.num_extra_tokens
        if self.extra_tokens is not None:
            x = torch.cat([self.extra_tokens.to(x.dtype).expand(x.shape[0], -1, -1), x], 1)
        x = self.layer_norm(x)
        states = [x]
        for block, bias in zip(self.layers, self._biases(x, keep)):
            x = block(x, bias)
            states.append(x)
        return [s[:, n:] for s in states]


class Data2Vec2Model(nn.Module):
    """The data2vec 2.0 / emotion2vec audio encoder, every hidden state out.

    >>> m = Data2Vec2Model(Data2Vec2Config(embed_dim=32, depth=1, num_heads=2,
    ...                    feature_encoder_spec="[(16, 10, 5)] + [(16, 3, 2)] * 6"))
    >>> out = m(torch.zeros(1, 16000), output_hidden_states=True)
    >>> len(out.hidden_states), tuple(out.last_hidden_state.shape)
    (2, (1, 49, 32))
    """

    def __init__(self, config: Data2Vec2Config) -> None:
        super().__init__()
        self.config = config
        spec = config.conv_layers
        self.feature_extractor = FeatureExtractor(spec)
        self.feature_projection = FeatureProjection(spec[-1][0], config.embed_dim)
        self.encoder = Encoder(config)

    def _get_feat_extract_output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames of the local encoder for `lengths` samples (transformers' name, which
        `emobox.features.hf` calls for every waveform family)."""
        lengths = torch.as_tensor(lengths)
        for _, kernel, stride in self.config.conv_layers:
            lengths = torch.div(lengths - kernel, stride, rounding_mode="floor") + 1
        return lengths

    def forward(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None,
                output_hidden_states: bool = True) -> SimpleNamespace:
        """`input_values` ``(batch, samples)`` (normalised already where the config says so:
        see `normalize_waveform`); `attention_mask` 1 on real samples. Returns
        ``hidden_states`` (input of the first block, then each block's output, each
        ``(batch, frames, dim)``) and ``last_hidden_state``."""
        feats = self.feature_projection(self.feature_extractor(input_values))
        keep = None
        if attention_mask is not None:
            frames = self._get_feat_extract_output_lengths(attention_mask.long().sum(-1))
            keep = torch.arange(feats.shape[1], device=feats.device)[None] < frames[:, None]
        states = self.encoder(feats, keep)
        return SimpleNamespace(hidden_states=tuple(states) if output_hidden_states else None,
                               last_hidden_state=states[-1])


def normalize_waveform(audio: torch.Tensor) -> torch.Tensor:
    """fairseq's and FunASR's input normalisation: a layer norm over the whole utterance
    (zero mean, unit variance, eps 1e-5)."""
    return F.layer_norm(audio, audio.shape, eps=INPUT_NORM_EPS)
