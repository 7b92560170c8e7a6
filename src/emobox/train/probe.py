"""A linear probe of one layer on its pooled statistics: seconds per layer, for every layer.

The store keeps the pooled mean and std of every layer (`FeatureStore.pooled_matrix`) even
when it keeps the frames of only the last, so `run layers` can rank every layer without its
frames: the ``[mean, std]`` vector of each utterance, standardised with the training part's
statistics, into a multinomial logistic regression (L2 weight ``l2``, full-batch L-BFGS, a
fixed seed). The full recipe then runs on the layers whose frames are stored.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from emobox.errors import EmoboxError
from emobox.metrics import evaluate

#: L2 weight of the probe (on standardised inputs) and its L-BFGS iterations.
L2 = 1e-3
MAX_ITER = 200


class ProbeRecipe:
    """The probe as a recipe of a run's identity: its name, version and every choice."""

    name, version = "linear-probe", 1

    @property
    def id(self) -> str:
        return f"{self.name}-v{self.version}"

    def hparams(self) -> dict[str, Any]:
        return {"inputs": "pooled mean+std, standardised on train", "l2": L2,
                "max_iter": MAX_ITER, "optimizer": "lbfgs"}


PROBE = ProbeRecipe()


def pooled_inputs(store: Any, keys: Sequence[str], layer: int) -> np.ndarray:
    """``(len(keys), 2 * dim)``: the pooled mean and std of `layer` per utterance."""
    return np.hstack([store.pooled_matrix(keys, layer, "mean"),
                      store.pooled_matrix(keys, layer, "std")])


def linear_probe(store: Any, train: Sequence[str], test: Sequence[str], layer: int,
                 labels: Mapping[str, str], seed: int = 0, *, l2: float = L2) -> dict[str, Any]:
    """Train a logistic regression on the pooled statistics of `layer` for the `train` keys
    and evaluate it on the `test` keys (`labels`: key → label). Returns the layer, UA, WA,
    macro F1, the per-utterance ``predictions`` (key → label), the ``classes`` and the
    ``seconds`` it took."""
    import torch

    start = time.perf_counter()
    classes = sorted({labels[k] for k in train})
    if len(classes) < 2:
        raise EmoboxError(f"a linear probe needs at least two classes in its training part "
                          f"(found {classes})")
    x_train = pooled_inputs(store, train, layer).astype(np.float64)
    x_test = pooled_inputs(store, test, layer).astype(np.float64)
    mean, std = x_train.mean(0), x_train.std(0)
    std[std < 1e-8] = 1.0
    x = torch.from_numpy((x_train - mean) / std)
    y = torch.tensor([classes.index(labels[k]) for k in train])
    generator = torch.Generator().manual_seed(seed)
    weight = (0.01 * torch.randn(x.shape[1], len(classes), generator=generator,
                                 dtype=torch.float64)).requires_grad_()
    bias = torch.zeros(len(classes), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=MAX_ITER,
                                  line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ weight + bias, y) + l2 * (weight ** 2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        logits = torch.from_numpy((x_test - mean) / std) @ weight + bias
    predicted = [classes[i] for i in logits.argmax(1).tolist()]
    scores = evaluate([labels[k] for k in test], predicted, labels=classes)
    return {"layer": layer, "ua": scores["ua"], "wa": scores["wa"],
            "macro_f1": scores["macro_f1"], "classes": classes,
            "predictions": dict(zip(test, predicted)),
            "seconds": time.perf_counter() - start}
