"""Train a head on frozen features with AdamW; keep the epoch with the best validation UA."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from emobox.errors import EmoboxError
from emobox.features.store import FeatureStore
from emobox.metrics import evaluate
from emobox.train.data import FeatureNorm, load_frames, pad_batch
from emobox.train.head import HEADS, build_head

#: The recipe name recorded in every run's identity (issue: recipes are versioned).
RECIPE = "emobox-head-v1"


@dataclass(frozen=True)
class TrainConfig:
    """EmoBox protocol defaults: 100 epochs, first 10 warm up linearly to `lr`.

    >>> TrainConfig(epochs=0)
    Traceback (most recent call last):
    ...
    emobox.errors.EmoboxError: epochs must be at least 1, not 0
    """

    head: str = "emobox"
    lr: float = 1e-3
    hidden: int = 128
    epochs: int = 100
    warmup_epochs: int = 10
    batch_size: int = 32
    weight_decay: float = 1e-2
    layer: int | None = None  # None: the last stored layer
    norm: str | None = None  # None: the store's default ("layer" or "standard")
    seed: int = 0

    def __post_init__(self) -> None:
        checks = [("epochs", self.epochs >= 1, "at least 1"),
                  ("warmup_epochs", self.warmup_epochs >= 0, "at least 0"),
                  ("batch_size", self.batch_size >= 1, "at least 1"),
                  ("hidden", self.hidden >= 1, "at least 1"),
                  ("lr", self.lr > 0, "positive"),
                  ("weight_decay", self.weight_decay >= 0, "at least 0")]
        for name, ok, rule in checks:
            if not ok:
                raise EmoboxError(f"{name} must be {rule}, not {getattr(self, name)}")
        if self.head not in HEADS:
            raise EmoboxError(f"unknown head {self.head!r} (available: {', '.join(HEADS)})")
        if self.norm not in (None, "layer", "standard", "none"):
            raise EmoboxError(f"norm must be layer, standard or none, not {self.norm!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    def hparams(self) -> dict:
        """Every training choice except layer and seed (which are fields of the run key)."""
        return {k: v for k, v in asdict(self).items() if k not in ("layer", "seed")}


@dataclass
class TrainedHead:
    """A trained head with everything needed to predict: labels, normalisation, config."""

    head: nn.Module
    labels: list[str]
    norm: FeatureNorm
    config: TrainConfig
    best_epoch: int
    valid_ua: float
    history: list[float] = field(default_factory=list)

    @torch.inference_mode()
    def predict_frames(self, frames: Sequence[torch.Tensor], batch_size: int = 64
                       ) -> tuple[list[str], np.ndarray]:
        """Predicted labels and class probabilities for normalised frame tensors."""
        self.head.eval()
        probs = []
        for i in range(0, len(frames), batch_size):
            x, mask = pad_batch(frames[i:i + batch_size])
            probs.append(torch.softmax(self.head(x, mask), dim=-1))
        p = torch.cat(probs).numpy() if probs else np.zeros((0, len(self.labels)))
        return [self.labels[i] for i in p.argmax(axis=1)], p

    def predict(self, store: FeatureStore, keys: Sequence[str]) -> tuple[list[str], np.ndarray]:
        return self.predict_frames(load_frames(store, keys, self.config.layer, self.norm))


def train_head(
    store: FeatureStore,
    train: Sequence[tuple[str, str]],
    valid: Sequence[tuple[str, str]],
    config: TrainConfig = TrainConfig(),
    *,
    labels: Sequence[str] | None = None,
) -> TrainedHead:
    """Train on `train` [(key, label)], pick the epoch with the best UA on `valid`.

    Without a validation set the last epoch is kept (never the test set)."""
    if not train:
        raise EmoboxError("empty training set")
    labels = sorted({y for _, y in train}) if labels is None else list(labels)
    index = {label: i for i, label in enumerate(labels)}
    unknown = {y for _, y in [*train, *valid]} - set(index)
    if unknown:
        raise EmoboxError(f"labels {sorted(unknown)} are not in the label space {labels}")
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    norm = FeatureNorm.fit(config.norm or store.meta.get("norm", "layer"), store,
                           [k for k, _ in train], config.layer)
    x_train = load_frames(store, [k for k, _ in train], config.layer, norm)
    y_train = torch.tensor([index[y] for _, y in train])
    x_valid = load_frames(store, [k for k, _ in valid], config.layer, norm)
    y_valid = [y for _, y in valid]

    head = build_head(config.head, store.dim, len(labels), config.hidden)
    optimiser = torch.optim.AdamW(head.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    steps_per_epoch = max(1, -(-len(x_train) // config.batch_size))
    warmup = max(1, config.warmup_epochs * steps_per_epoch)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / warmup))
    loss_fn = nn.CrossEntropyLoss()
    trained = TrainedHead(head, labels, norm, config, best_epoch=config.epochs, valid_ua=-1.0)
    best_state = None
    for epoch in range(1, config.epochs + 1):
        head.train()
        order = torch.randperm(len(x_train), generator=generator).tolist()
        for i in range(0, len(order), config.batch_size):
            idx = order[i:i + config.batch_size]
            x, mask = pad_batch([x_train[j] for j in idx])
            loss = loss_fn(head(x, mask), y_train[idx])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            scheduler.step()
        if x_valid:
            predicted, _ = trained.predict_frames(x_valid)
            ua = evaluate(y_valid, predicted, labels)["ua"]
            trained.history.append(ua)
            if ua > trained.valid_ua:
                trained.valid_ua, trained.best_epoch = ua, epoch
                best_state = copy.deepcopy(head.state_dict())
    if best_state is not None:
        head.load_state_dict(best_state)
    return trained
