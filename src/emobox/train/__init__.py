"""Downstream heads and their training on frozen features."""

from emobox.train.data import FeatureNorm, pad_batch
from emobox.train.head import HEADS, EmoBoxHead, build_head, masked_mean
from emobox.train.trainer import TrainConfig, TrainedHead, train_head

__all__ = ["HEADS", "EmoBoxHead", "FeatureNorm", "TrainConfig", "TrainedHead", "build_head",
           "masked_mean", "pad_batch", "train_head"]
