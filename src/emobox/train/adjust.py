"""Logit adjustment at evaluation time (Menon et al.; SER Evals §2.7): logits − log(train
prior) + log(target prior), with the target prior ``oracle`` (the target's label frequencies —
what SER Evals does, labelled so), ``uniform``, ``none`` or ``em`` (estimated from the
unlabelled target predictions by the Saerens–Latinne–Decaestecker EM; no test labels).

Which priors `ood_logits` takes is a recipe's choice (``oracle_prior``): ``split`` — the
training split's label frequencies and the scored target's; ``corpus`` — SER Evals'
(``models/main.py`` reads ``DATASET_DISTRIBUTIONS`` of ``constants.py`` for both sides): each
corpus's whole label distribution, ``other`` included.

Classes that cannot be predicted — outside the target's label space, without a training
example, or ``other`` in out-of-domain scoring — are masked to −inf *before* the argmax
(``unseen_classes="mask"``, the default of both recipes: a departure from SER Evals). SER Evals
instead adds log(π + 1e−12) terms, which give a class the source never saw a +27.6 bonus (its
MESD model predicts 'surprise' for every out-of-domain clip), and only pushes ``other`` down;
``unseen_classes="epsilon"`` does exactly that, to reproduce its published cells.

>>> import numpy as np
>>> logits = np.log(np.array([[0.6, 0.3, 0.1]]))
>>> int(adjust_logits(logits, np.array([0.6, 0.3, 0.1]), np.array([1/3, 1/3, 1/3])).argmax())
0
>>> float(adjust_logits(logits, np.array([0.5, 0.5, 0.0]), np.array([0.2, 0.2, 0.6]))[0, 2])
-inf
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from emobox.train.recipe import Recipe

PRIORS = ("none", "oracle", "uniform", "em")
#: SER Evals' smoothing of log-priors (``models/main.py``).
EPSILON = 1e-12


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax that keeps masked classes (``-inf`` logits) at probability 0."""
    finite = np.where(np.isfinite(logits), logits, -np.inf)
    shifted = finite - finite.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def class_prior(labels: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    """Label frequencies of `labels` over `classes` (zeros where absent)."""
    counts = np.array([sum(1 for y in labels if y == c) for c in classes], dtype=np.float64)
    return counts / max(counts.sum(), 1.0)


def adjust_logits(logits: np.ndarray, train_prior: np.ndarray, target_prior: np.ndarray | None,
                  mask: np.ndarray | None = None) -> np.ndarray:
    """Adjusted logits ``(n, C)``; classes with a zero train or target prior, or False in
    `mask`, become −inf (never predicted). ``target_prior=None``: no adjustment, only the mask
    and the train-prior mask."""
    logits = np.asarray(logits, dtype=np.float64)
    train_prior = np.asarray(train_prior, dtype=np.float64)
    allowed = train_prior > 0
    if mask is not None:
        allowed &= np.asarray(mask, dtype=bool)
    out = logits.copy()
    if target_prior is not None:
        target_prior = np.asarray(target_prior, dtype=np.float64)
        allowed &= target_prior > 0
        with np.errstate(divide="ignore"):
            out = out - np.log(np.where(train_prior > 0, train_prior, 1.0)) \
                + np.log(np.where(target_prior > 0, target_prior, 1.0))
    out[:, ~allowed] = -np.inf
    return out


def estimate_prior(probs: np.ndarray, train_prior: np.ndarray, iters: int = 100,
                   tol: float = 1e-8) -> np.ndarray:
    """The target's class prior from a model's probabilities on unlabelled target data
    (Saerens, Latinne & Decaestecker 2002): alternate re-weighting the posteriors by the prior
    ratio and averaging them."""
    probs = np.asarray(probs, dtype=np.float64)
    train_prior = np.asarray(train_prior, dtype=np.float64)
    support = train_prior > 0
    prior = train_prior.copy()
    for _ in range(iters):
        ratio = np.where(support, prior / np.where(support, train_prior, 1.0), 0.0)
        weighted = probs * ratio
        weighted /= weighted.sum(axis=1, keepdims=True).clip(min=1e-300)
        new = weighted.mean(axis=0)
        if np.abs(new - prior).max() < tol:
            return new
        prior = new
    return prior


def target_prior(kind: str, *, classes: Sequence[str], test_labels: Sequence[str] | None = None,
                 probs: np.ndarray | None = None, train_prior: np.ndarray | None = None
                 ) -> np.ndarray | None:
    """The target prior of `kind` (``none`` → None)."""
    if kind == "none":
        return None
    if kind == "uniform":
        return np.full(len(classes), 1.0 / len(classes))
    if kind == "oracle":
        return class_prior(list(test_labels or []), classes)
    if kind == "em":
        return estimate_prior(probs, train_prior)
    raise ValueError(f"prior must be one of {', '.join(PRIORS)}, not {kind!r}")


def epsilon_adjust(logits: np.ndarray, train_prior: np.ndarray,
                   target_prior: np.ndarray | None, other: int | None) -> np.ndarray:
    """SER Evals' adjustment exactly: z − log(π_train + 1e−12) + log(π_test + 1e−12), and the
    `other` class never predicted (it subtracts 1e12); no other class is masked."""
    out = np.asarray(logits, dtype=np.float64).copy()
    if target_prior is not None:
        out = out - np.log(np.asarray(train_prior, dtype=np.float64) + EPSILON) \
            + np.log(np.asarray(target_prior, dtype=np.float64) + EPSILON)
    if other is not None:
        out[:, other] = -np.inf
    return out


def ood_logits(logits: np.ndarray, prior: str, recipe: Recipe, classes: Sequence[str], *,
               train: Sequence[str], test: Sequence[str], source: Sequence[str],
               target: Sequence[str], other: str) -> np.ndarray:
    """The adjusted logits of one out-of-domain cell, as `recipe` says: `train` / `test` are
    the labels of the training split and of the scored target utterances, `source` / `target`
    those of the two whole corpora (SER Evals' priors, ``oracle_prior="corpus"``)."""
    split_prior = class_prior(train, classes)
    if prior == "oracle" and recipe.oracle_prior == "corpus":
        source_p, target_p = class_prior(source, classes), class_prior(target, classes)
    else:
        source_p = split_prior
        probs = softmax(np.where(split_prior > 0, logits, -np.inf))
        target_p = target_prior(prior, classes=classes, test_labels=list(test), probs=probs,
                                train_prior=split_prior)
    if recipe.unseen_classes == "epsilon":
        return epsilon_adjust(logits, source_p, target_p,
                              list(classes).index(other) if other in classes else None)
    present = set(test)
    mask = np.array([c in present and c != other for c in classes]) & (split_prior > 0)
    return adjust_logits(logits, source_p, target_p, mask=mask)
