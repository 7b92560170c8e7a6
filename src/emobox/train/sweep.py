"""Train a recipe's whole grid at once: every configuration on the same batches, in one
process, as one stacked module (`StackedHeads`); validation of all of them every epoch; then
the selection — the best validation UA over (configuration, epoch), ties broken by the lower
validation loss (recipe ``select="best"``), or the last epoch (``select="last"``).

The sweep sees train and validation data only: test data is read afterwards, by the caller,
with the selected model (`TrainedModel.predict`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from emobox.errors import EmoboxError
from emobox.features.store import FeatureStore
from emobox.metrics import evaluate
from emobox.train.data import FeatureNorm, FrameSet
from emobox.train.device import matmul_precision, resolve_device
from emobox.train.head import StackedHeads
from emobox.train.lengths import max_frames
from emobox.train.optim import StackedAdam, clip_per_config, linear_warmup, onecycle
from emobox.train.recipe import Recipe

EVAL_BATCH = 64


@dataclass
class Curve:
    """One configuration's validation curve (per epoch) and its best epoch."""

    config: dict[str, Any]
    valid_ua: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"config": self.config, "valid_ua": self.valid_ua, "valid_loss": self.valid_loss,
                "train_loss": self.train_loss, "best_epoch": self.best_epoch}


@dataclass
class TrainedModel:
    """The selected head with everything needed to predict: labels, layers, normalisation,
    the recipe of its grid point."""

    head: StackedHeads
    labels: list[str]
    layers: list[int]
    norm: FeatureNorm
    recipe: Recipe
    config: dict[str, Any]
    epoch: int
    valid_ua: float
    curves: list[Curve]
    no_valid: bool = False
    #: Wall seconds of the whole sweep (every configuration) and the machine it ran on.
    train_seconds: float | None = None
    machine: str | None = None

    @property
    def best_epoch(self) -> int:
        return self.epoch

    @torch.inference_mode()
    def logits(self, store: FeatureStore, keys: Sequence[str]) -> np.ndarray:
        """Class logits ``(len(keys), n_classes)`` of stored utterances."""
        data = FrameSet(store, keys, self.layers, self.norm,
                        max_frames=max_frames(self.recipe, store.meta.get("frame_rate")))
        out = np.zeros((len(keys), len(self.labels)), dtype=np.float32)
        for idx in data.batches(EVAL_BATCH):
            out[idx] = self.head.packed(*data.packed(idx))[0].numpy()
        return out

    @torch.inference_mode()
    def logits_of(self, features: Sequence[np.ndarray]) -> np.ndarray:
        """Class logits of freshly extracted features, each ``(len(self.layers), T, D)``
        (the layers this model was trained on, in order)."""
        out = np.zeros((len(features), len(self.labels)), dtype=np.float32)
        for i, f in enumerate(features):
            layers = [self.norm(torch.from_numpy(np.array(f[j], dtype=np.float32)))
                      for j in range(len(self.layers))]
            x = layers[0] if len(layers) == 1 else torch.stack(layers)
            n = layers[0].shape[0]
            out[i] = self.head.packed(x, torch.zeros(n, dtype=torch.long),
                                      torch.tensor([n]))[0, 0].numpy()
        return out

    def predict(self, store: FeatureStore, keys: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Predicted labels and class probabilities."""
        logits = self.logits(store, keys)
        probs = torch.softmax(torch.from_numpy(logits), dim=-1).numpy()
        return [self.labels[i] for i in probs.argmax(axis=1)], probs


def train_sweep(
    store: FeatureStore,
    train: Sequence[tuple[str, str]],
    valid: Sequence[tuple[str, str]],
    recipe: Recipe,
    *,
    labels: Sequence[str],
    layer: int,
    seed: int = 0,
    device: str | torch.device | None = None,
    matmul: str = "fp32",
    on_epoch: Callable[[], None] | None = None,
) -> TrainedModel:
    """Train every configuration of `recipe`'s grid on `train` [(key, label)], validate on
    `valid` each epoch, and return the selected model (on the CPU) with every configuration's
    curve. `device`: ``cpu``, ``cuda``, ``cuda:N`` (default: CUDA when there is a GPU, else
    the CPU) — the same batches and arithmetic on either; `matmul`: ``fp32``, or on CUDA
    ``tf32`` / ``bf16`` (`emobox.train.device`). `on_epoch` is called after every epoch
    (progress; it may raise to stop)."""
    from emobox.machine import machine

    on = resolve_device(device)
    started = time.perf_counter()
    with matmul_precision(matmul, on):
        model = _sweep(store, train, valid, recipe, labels=labels, layer=layer, seed=seed,
                       device=on, on_epoch=on_epoch)
    model.train_seconds = round(time.perf_counter() - started, 3)
    model.machine = machine(on)
    return model


def _sweep(store: FeatureStore, train: Sequence[tuple[str, str]],
           valid: Sequence[tuple[str, str]], recipe: Recipe, *, labels: Sequence[str],
           layer: int, seed: int, device: torch.device,
           on_epoch: Callable[[], None] | None) -> TrainedModel:
    if not train:
        raise EmoboxError("empty training set")
    labels = list(labels)
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted({y for _, y in [*train, *valid]} - set(index))
    if unknown:
        raise EmoboxError(f"labels {unknown} are not in the label space {labels}")
    configs = recipe.configs()
    if len(configs) > 1 and not valid:
        raise EmoboxError("a grid of several configurations needs validation data to choose")
    layers = list(store.layers) if recipe.head == "layer-weighted" else [layer]
    norm = FeatureNorm.fit(recipe.norm, store, [k for k, _ in train], layer)
    cut = max_frames(recipe, store.meta.get("frame_rate"))
    train_set = FrameSet(store, [k for k, _ in train], layers, norm, max_frames=cut,
                         device=device)
    y_train = torch.tensor([index[y] for _, y in train], device=device)
    valid_set = FrameSet(store, [k for k, _ in valid], layers, norm, max_frames=cut,
                         device=device) if valid else None
    y_valid = [y for _, y in valid]

    torch.manual_seed(seed)
    heads = StackedHeads(recipe.head, store.dim, len(labels), [c["hidden"] for c in configs],
                         dropout=[float(c["dropout"]) for c in configs], n_layers=len(layers),
                         seed=seed).to(device)
    params = heads.trainable()
    optimiser = StackedAdam(params, [c["lr"] for c in configs],
                            weight_decay=[c["weight_decay"] for c in configs],
                            decoupled=recipe.optimizer == "adamw")
    batch_size = int(configs[0]["batch_size"])
    n_batches = len(train) // batch_size if recipe.drop_last and len(train) >= batch_size \
        else -(-len(train) // batch_size)
    epoch_factor = (linear_warmup(recipe.epochs, recipe.warmup_epochs)
                    if recipe.schedule == "linear-warmup" else [1.0] * recipe.epochs)
    step_factor, step_beta = (onecycle(recipe.epochs * n_batches, recipe.pct_start)
                              if recipe.schedule == "onecycle" else (None, None))
    smoothing = torch.tensor([c["label_smoothing"] for c in configs], device=device)
    generator = torch.Generator().manual_seed(seed)
    curves = [Curve(config=c) for c in configs]
    best = [(-1.0, float("inf"))] * len(configs)
    best_state: list[dict[str, torch.Tensor] | None] = [None] * len(configs)
    step = 0
    for epoch in range(1, recipe.epochs + 1):
        heads.train()
        order = torch.randperm(len(train), generator=generator).tolist()
        losses = torch.zeros(len(configs), device=device)
        for b in range(n_batches):
            idx = order[b * batch_size:(b + 1) * batch_size]
            factor, beta1 = ((step_factor[step], step_beta[step]) if step_factor is not None
                             else (epoch_factor[epoch - 1], None))
            loss = train_step(heads, optimiser, train_set.packed(idx), y_train[idx], smoothing,
                              grad_clip=recipe.grad_clip, factor=factor, beta1=beta1)
            step += 1
            losses += loss * len(idx)
        for k, curve in enumerate(curves):
            curve.train_loss.append(float(losses[k]) / (n_batches * batch_size or 1))
        if on_epoch is not None:
            on_epoch()
        if valid_set is None:
            continue
        uas, vlosses = _validate(heads, valid_set, y_valid, labels, index, smoothing)
        for k, curve in enumerate(curves):
            curve.valid_ua.append(uas[k])
            curve.valid_loss.append(vlosses[k])
            if recipe.select == "last" or (uas[k], -vlosses[k]) > (best[k][0], -best[k][1]):
                best[k] = (uas[k], vlosses[k])
                curve.best_epoch = epoch
                best_state[k] = {n: p.detach()[k].clone()
                                 for n, p in heads.named_parameters()}
    if valid_set is None:
        chosen = 0
        for curve in curves:
            curve.best_epoch = recipe.epochs
    else:
        chosen = max(range(len(configs)), key=lambda k: (best[k][0], -best[k][1], -k))
        with torch.no_grad():
            for name, param in heads.named_parameters():
                state = best_state[chosen]
                if state is not None:
                    param[chosen] = state[name]
    model = TrainedModel(heads.select(chosen).cpu(), labels, layers, norm,
                         recipe.point(configs[chosen]), configs[chosen],
                         curves[chosen].best_epoch, best[chosen][0], curves,
                         no_valid=valid_set is None)
    return model


def train_step(heads: StackedHeads, optimiser: StackedAdam,
               batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor], target: torch.Tensor,
               smoothing: torch.Tensor, *, grad_clip: float | None, factor: float,
               beta1: float | None = None) -> torch.Tensor:
    """One optimisation step of every configuration on one packed batch; the losses (K,)."""
    loss = _loss(heads.packed(*batch), target, smoothing)
    optimiser.zero_grad()
    loss.sum().backward()
    if grad_clip:
        clip_per_config(optimiser.params, float(grad_clip))
    optimiser.step(factor, beta1=beta1)
    return loss.detach()


def _loss(logits: torch.Tensor, target: torch.Tensor, smoothing: torch.Tensor) -> torch.Tensor:
    """Cross-entropy per configuration (mean over the batch), each with its label smoothing."""
    k, _, c = logits.shape
    logp = torch.log_softmax(logits, dim=-1)
    nll = -logp.gather(-1, target.expand(k, -1).unsqueeze(-1)).squeeze(-1)  # (K, B)
    uniform = -logp.mean(-1)
    s = smoothing.to(logits.dtype)[:, None]
    return ((1 - s) * nll + s * uniform).mean(-1)


@torch.no_grad()
def _validate(heads: StackedHeads, data: FrameSet, y: Sequence[str], labels: Sequence[str],
              index: dict[str, int], smoothing: torch.Tensor) -> tuple[list[float], list[float]]:
    heads.eval()
    logits = torch.zeros(heads.n_configs, len(data), len(labels), device=data.device)
    for idx in data.batches(EVAL_BATCH):
        logits[:, idx] = heads.packed(*data.packed(idx))
    target = torch.tensor([index[v] for v in y], device=data.device)
    losses = _loss(logits, target, smoothing).tolist()
    uas = [evaluate(list(y), [labels[i] for i in logits[k].argmax(-1).tolist()], labels)["ua"]
           for k in range(heads.n_configs)]
    return uas, losses


def train_head(store: FeatureStore, train: Sequence[tuple[str, str]],
               valid: Sequence[tuple[str, str]], recipe: Recipe, *,
               labels: Sequence[str] | None = None, layer: int | None = None,
               seed: int = 0, device: str | torch.device | None = None) -> TrainedModel:
    """`train_sweep` with defaults: labels from `train`, the last stored layer."""
    labels = sorted({y for _, y in train}) if labels is None else list(labels)
    layer = store.layers[-1] if layer in (None, -1) else layer
    return train_sweep(store, train, valid, recipe, labels=labels, layer=layer, seed=seed,
                       device=device)
