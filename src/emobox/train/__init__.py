"""Downstream heads and their training on frozen features: recipes (named, versioned sets of
choices), stacked heads, the concurrent grid sweep with selection on validation (on the CPU or a
CUDA GPU), and logit adjustment."""

from emobox.train.adjust import PRIORS, adjust_logits, class_prior, estimate_prior, target_prior
from emobox.train.data import FeatureNorm, FrameSet
from emobox.train.device import resolve_device
from emobox.train.head import HEADS, StackedHeads, masked_mean
from emobox.train.recipe import (
    EMOBOX,
    RECIPES,
    SERVAL,
    Recipe,
    get_recipe,
    parse_grid,
    parse_settings,
)
from emobox.train.sweep import Curve, TrainedModel, train_head, train_sweep

__all__ = [
    "EMOBOX",
    "HEADS",
    "PRIORS",
    "RECIPES",
    "SERVAL",
    "Curve",
    "FeatureNorm",
    "FrameSet",
    "Recipe",
    "StackedHeads",
    "TrainedModel",
    "adjust_logits",
    "class_prior",
    "estimate_prior",
    "get_recipe",
    "masked_mean",
    "parse_grid",
    "parse_settings",
    "resolve_device",
    "target_prior",
    "train_head",
    "train_sweep",
]
