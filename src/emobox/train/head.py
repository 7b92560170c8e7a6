"""Downstream heads on frozen frame features."""

from __future__ import annotations

import torch
from torch import nn


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over frames of ``x`` (batch, frames, dim) where ``mask`` (batch, frames) is true."""
    weights = mask.unsqueeze(-1).to(x.dtype)
    return (x * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


class EmoBoxHead(nn.Module):
    """The EmoBox head: Linear → ReLU → masked mean pooling over frames → Linear."""

    def __init__(self, dim: int, n_classes: int, hidden: int = 128) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, hidden)
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.out(masked_mean(torch.relu(self.proj(frames)), mask))


#: The head registry: name → class taking (dim, n_classes, hidden). Recipes choose by name.
HEADS: dict[str, type[nn.Module]] = {"emobox": EmoBoxHead}


def build_head(name: str, dim: int, n_classes: int, hidden: int) -> nn.Module:
    """A head from the registry."""
    from emobox.errors import EmoboxError

    if name not in HEADS:
        raise EmoboxError(f"unknown head {name!r} (available: {', '.join(HEADS)})")
    return HEADS[name](dim, n_classes, hidden)
