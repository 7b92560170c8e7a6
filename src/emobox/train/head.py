"""Downstream heads on frozen frame features, stacked: K configurations of one head kind are
one module whose parameters carry a leading configuration axis, so a whole grid trains on the
same batches in one pass. Configuration k uses the first ``hidden[k]`` of the H hidden units;
the others are masked to zero (zero output, zero gradient, so they never move).

Kinds (`HEADS`):

* ``emobox`` — Linear D→h, ReLU, masked mean over frames, Linear h→C (EmoBox §3.1);
* ``frame-mlp`` — SER Evals' ``ImprovedMLPHead`` on every frame: Linear D→h (Xavier), LayerNorm,
  GELU, dropout, Linear h→C (normal, std 1/√h), frame logits averaged — computed as the last
  Linear of the averaged hidden frames, which is the same number;
* ``linear`` — Linear on the utterance's pooled mean and std (2D → C);
* ``layer-weighted`` — learned softmax weights over every stored layer (SUPERB), then the
  EmoBox head.

>>> _ = torch.manual_seed(0)
>>> heads = StackedHeads("emobox", 4, 3, [2, 5])
>>> heads(torch.randn(6, 7, 4), torch.ones(6, 7, dtype=torch.bool)).shape
torch.Size([2, 6, 3])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from emobox.errors import EmoboxError

HEADS = ("emobox", "frame-mlp", "linear", "layer-weighted")
LN_EPS = 1e-5


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over frames of ``x`` (..., batch, frames, dim) where ``mask`` (batch, frames)."""
    weights = mask.unsqueeze(-1).to(x.dtype)
    return (x * weights).sum(dim=-2) / weights.sum(dim=-2).clamp(min=1.0)


class StackedHeads(nn.Module):
    """K heads of one kind, one per configuration (hidden sizes may differ)."""

    def __init__(self, kind: str, dim: int, n_classes: int, hidden: Sequence[int], *,
                 dropout: float | Sequence[float] = 0.0, n_layers: int = 1,
                 seed: int = 0) -> None:
        super().__init__()
        if kind not in HEADS:
            raise EmoboxError(f"unknown head {kind!r} (available: {', '.join(HEADS)})")
        self.kind, self.hidden = kind, list(hidden)
        self.dropout = ([float(dropout)] * len(self.hidden) if isinstance(dropout, float | int)
                        else [float(p) for p in dropout])
        k, h_max = len(hidden), max(hidden)
        d_in = 2 * dim if kind == "linear" else dim
        h_out = d_in if kind == "linear" else h_max
        self.w1 = nn.Parameter(torch.zeros(k, dim, h_max))
        self.b1 = nn.Parameter(torch.zeros(k, h_max))
        self.w2 = nn.Parameter(torch.zeros(k, h_out, n_classes))
        self.b2 = nn.Parameter(torch.zeros(k, n_classes))
        self.ln_g = nn.Parameter(torch.ones(k, h_max))
        self.ln_b = nn.Parameter(torch.zeros(k, h_max))
        self.layer_w = nn.Parameter(torch.zeros(k, n_layers))
        with torch.no_grad():
            for i, h in enumerate(hidden):  # each config initialised as a standalone head
                torch.manual_seed(seed)
                self._init(i, dim, d_in, h, n_classes)

    def _init(self, i: int, dim: int, d_in: int, h: int, n_classes: int) -> None:
        if self.kind == "linear":
            out = nn.Linear(d_in, n_classes)
            self.w2[i] = out.weight.T
            self.b2[i] = out.bias
            return
        first, out = nn.Linear(dim, h), nn.Linear(h, n_classes)
        if self.kind == "frame-mlp":
            nn.init.xavier_uniform_(first.weight)
            nn.init.zeros_(first.bias)
            nn.init.normal_(out.weight, std=1 / math.sqrt(h))
            nn.init.zeros_(out.bias)
        self.w1[i, :, :h] = first.weight.T
        self.b1[i, :h] = first.bias
        self.w2[i, :h] = out.weight.T
        self.b2[i] = out.bias

    @property
    def n_configs(self) -> int:
        return len(self.hidden)

    def trainable(self) -> list[nn.Parameter]:
        """The parameters this kind uses (the others stay at their initial values)."""
        names = {"emobox": ("w1", "b1", "w2", "b2"), "linear": ("w2", "b2"),
                 "frame-mlp": ("w1", "b1", "ln_g", "ln_b", "w2", "b2"),
                 "layer-weighted": ("layer_w", "w1", "b1", "w2", "b2")}[self.kind]
        return [getattr(self, n) for n in names]

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Logits (K, batch, classes) of padded frames `x` (batch, frames, dim) — for
        ``layer-weighted`` (layers, batch, frames, dim) — and their mask (batch, frames)."""
        lengths = mask.sum(1)
        segments = torch.repeat_interleave(torch.arange(len(lengths), device=x.device),
                                           lengths)
        packed = x[..., mask, :]
        return self.packed(packed, segments, lengths)

    def packed(self, x: torch.Tensor, segments: torch.Tensor, lengths: torch.Tensor
               ) -> torch.Tensor:
        """Logits (K, batch, classes) of packed frames `x` (frames, dim) — (layers, frames,
        dim) for ``layer-weighted`` — where `segments` gives each frame's utterance and
        `lengths` each utterance's frame count: no padding is ever computed."""
        n = len(lengths)
        counts = lengths.clamp(min=1).to(x.dtype)[:, None]

        def mean(h: torch.Tensor) -> torch.Tensor:
            return h.new_zeros(n, h.shape[-1]).index_add_(0, segments, h) / counts

        if self.kind == "linear":
            mu = mean(x)
            std = mean((x - mu[segments]) ** 2).sqrt()
            pooled = torch.cat([mu, std], dim=-1)
            return torch.einsum("bd,kdc->kbc", pooled, self.w2) + self.b2[:, None]
        mixed = torch.einsum("kl,lnd->knd", torch.softmax(self.layer_w, dim=-1), x) \
            if self.kind == "layer-weighted" else None
        out = []
        for k, h_k in enumerate(self.hidden):
            inputs = mixed[k] if mixed is not None else x
            h = inputs @ self.w1[k, :, :h_k] + self.b1[k, :h_k]
            if self.kind == "frame-mlp":
                h = F.gelu(F.layer_norm(h, (h_k,), self.ln_g[k, :h_k], self.ln_b[k, :h_k],
                                        LN_EPS))
            else:
                h = torch.relu(h)
            if self.training and self.dropout[k]:
                h = F.dropout(h, self.dropout[k])
            out.append(mean(h) @ self.w2[k, :h_k] + self.b2[k])
        return torch.stack(out)

    def select(self, i: int) -> StackedHeads:
        """A copy holding configuration `i` only, at its own hidden size (for prediction and
        export)."""
        h = self.hidden[i]
        one = StackedHeads.__new__(StackedHeads)
        nn.Module.__init__(one)
        one.kind, one.dropout, one.hidden = self.kind, [self.dropout[i]], [h]
        sizes = {"w1": (slice(None), slice(None, h)), "b1": (slice(None, h),),
                 "ln_g": (slice(None, h),), "ln_b": (slice(None, h),),
                 "w2": (slice(None) if self.kind == "linear" else slice(None, h),)}
        for name, param in self.named_parameters():
            value = param.detach()[i]
            value = value[sizes[name]] if name in sizes else value
            setattr(one, name, nn.Parameter(value.unsqueeze(0).clone()))
        return one.eval()
