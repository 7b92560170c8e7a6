"""A trained head on disk: ``model.safetensors`` (the weights, loaded without pickle) and
``config.json`` (head kind and size, labels, layers, normalisation, recipe, the features it was
trained on and the run that produced it) — everything `emobox predict` needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from emobox.errors import EmoboxError
from emobox.manifest import atomic_write_text
from emobox.train.data import FeatureNorm
from emobox.train.head import StackedHeads
from emobox.train.recipe import Recipe
from emobox.train.sweep import TrainedModel

WEIGHTS, CONFIG = "model.safetensors", "config.json"


def save_model(trained: TrainedModel, folder: str | Path, **facts: Any) -> Path:
    """Write `trained` to `folder` (weights, then its config last: the config marks it done);
    `facts` (run id, model, features, corpus, metrics…) go into the config."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {name: p.detach().contiguous() for name, p in trained.head.named_parameters()}
    save_file(tensors, str(folder / WEIGHTS))
    config = {"head": trained.head.kind, "hidden": trained.head.hidden[0],
              "dropout": trained.head.dropout[0], "labels": trained.labels,
              "layers": trained.layers, "norm": trained.norm.to_dict(),
              "n_layers": int(trained.head.layer_w.shape[1]), "dim": int(trained.head.w1.shape[1]),
              "recipe": trained.recipe.id, "hparams": trained.recipe.hparams(),
              "config": trained.config, "epoch": trained.epoch, "valid_ua": trained.valid_ua,
              **facts}
    atomic_write_text(folder / CONFIG, json.dumps(config, indent=1, default=str) + "\n")
    return folder


def load_model(folder: str | Path) -> tuple[TrainedModel, dict[str, Any]]:
    """A model written by `save_model`, and its config."""
    folder = Path(folder)
    if not (folder / CONFIG).is_file() or not (folder / WEIGHTS).is_file():
        raise EmoboxError(f"no trained head in {folder} (expected {WEIGHTS} and {CONFIG})")
    try:
        config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        tensors = load_file(str(folder / WEIGHTS))
        head = StackedHeads(config["head"], int(config["dim"]), len(config["labels"]),
                            [int(config["hidden"])], dropout=float(config["dropout"]),
                            n_layers=int(config["n_layers"]))
        with torch.no_grad():
            for name, param in head.named_parameters():
                param.copy_(tensors[name])
    except (KeyError, ValueError, RuntimeError, json.JSONDecodeError) as exc:
        raise EmoboxError(f"{folder}: not a valid emobox head ({exc})") from None
    hp = dict(config["hparams"])
    hp.pop("grid", None)
    recipe = Recipe(name=config["recipe"].rsplit("-v", 1)[0],
                    version=int(config["recipe"].rsplit("-v", 1)[1]), **hp)
    model = TrainedModel(head.eval(), list(config["labels"]), list(config["layers"]),
                         FeatureNorm.from_dict(config["norm"]), recipe, config["config"],
                         int(config["epoch"]), float(config["valid_ua"]), [])
    return model, config
