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
        units = torch.zeros(k, h_max)
        for i, h in enumerate(hidden):
            units[i, :h] = 1.0
        self.register_buffer("units", units)
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
        """Logits (K, batch, classes) of frames `x` (batch, frames, dim) — for
        ``layer-weighted`` (layers, batch, frames, dim) — and their mask (batch, frames)."""
        if self.kind == "linear":
            m = mask.unsqueeze(-1).to(x.dtype)
            n = m.sum(1).clamp(min=1.0)
            mean = (x * m).sum(1) / n
            std = ((((x - mean[:, None]) ** 2) * m).sum(1) / n).sqrt()
            pooled = torch.cat([mean, std], dim=-1)
            return torch.einsum("bd,kdc->kbc", pooled, self.w2) + self.b2[:, None]
        if self.kind == "layer-weighted":
            weights = torch.softmax(self.layer_w, dim=-1)
            mixed = torch.einsum("kl,lbtd->kbtd", weights, x)
            b, t = mixed.shape[1:3]
            h = torch.bmm(mixed.reshape(len(weights), b * t, -1), self.w1)
        else:
            b, t = x.shape[:2]
            h = torch.matmul(x.reshape(1, b * t, -1), self.w1)
        h = (h + self.b1[:, None]).reshape(self.n_configs, b, t, -1)
        units = self.units[:, None, None]
        if self.kind == "frame-mlp":
            n = units.sum(-1, keepdim=True)
            mu = (h * units).sum(-1, keepdim=True) / n
            var = (((h - mu) ** 2) * units).sum(-1, keepdim=True) / n
            h = (h - mu) / torch.sqrt(var + LN_EPS) * self.ln_g[:, None, None] \
                + self.ln_b[:, None, None]
            h = F.gelu(h)
        else:
            h = torch.relu(h)
        h = h * units
        if self.training and any(self.dropout):
            p = torch.tensor(self.dropout, dtype=h.dtype)[:, None, None, None]
            h = h * (torch.rand_like(h) >= p).to(h.dtype) / (1 - p)
        pooled = masked_mean(h, mask)  # (K, batch, H)
        return torch.bmm(pooled, self.w2) + self.b2[:, None]

    def select(self, i: int) -> StackedHeads:
        """A copy holding configuration `i` only (for prediction and export)."""
        one = StackedHeads.__new__(StackedHeads)
        nn.Module.__init__(one)
        one.kind, one.dropout, one.hidden = self.kind, [self.dropout[i]], [self.hidden[i]]
        for name, param in self.named_parameters():
            setattr(one, name, nn.Parameter(param.detach()[i:i + 1].clone()))
        one.register_buffer("units", self.units[i:i + 1].clone())
        return one.eval()
