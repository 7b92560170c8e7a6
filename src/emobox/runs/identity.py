"""The one place a `RunKey` is built: from the settings a protocol run resolved (its
description, the corpus's splits, the feature store and the recipe). Every protocol, the
per-configuration curves and `emobox.score` call `run_key`; nothing else constructs a key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from emobox.runs.key import RunKey


def run_key(protocol: str, *, train: str, test: str, model: str,
            features: Mapping[str, Any] | None, layer: int | None, recipe: Any,
            scheme: str, scheme_params: Mapping[str, Any] | None, label_space: str,
            prior: str, fold: str, seed: int, corpora: Sequence[str], labels: Sequence[str],
            no_valid: bool = False) -> RunKey:
    """The identity of one result. `recipe` is a `Recipe` (its id and every hyperparameter
    enter the key) or a plain name (``user`` for predictions scored with `emobox.score`);
    `no_valid` (train on train + valid, keep the last epoch) is a training choice, so it
    joins the hyperparameters, for every protocol alike."""
    if isinstance(recipe, str):
        recipe_id, hparams = recipe, {}
    else:
        recipe_id, hparams = recipe.id, recipe.hparams()
    if no_valid:
        hparams = {**hparams, "no_valid": True}
    return RunKey(protocol=protocol, train_corpus=train, test_corpus=test, model=model,
                  features=dict(features or {}), layer=layer, recipe=recipe_id,
                  hparams=hparams, scheme=scheme, scheme_params=dict(scheme_params or {}),
                  label_space=label_space, prior=prior, fold=fold, seed=seed,
                  corpora=tuple(sorted(corpora)), labels=tuple(labels))


def config_key(key: RunKey, config: Mapping[str, Any]) -> RunKey:
    """The identity of one grid configuration's validation curve within the run `key`
    (protocol ``<protocol>-config``, the configuration's hyperparameters, no grid)."""
    return key.with_(protocol=f"{key.protocol}-config",
                     hparams={**key.hparams, **config, "grid": None})
