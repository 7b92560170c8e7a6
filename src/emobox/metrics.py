"""Classification metrics for SER, with their label handling stated.

- **UA** (unweighted average recall): recall averaged over the classes present in `y_true`
  (classes only predicted, never true, are ignored) — equal to scikit-learn's
  ``balanced_accuracy_score``.
- **WA** (weighted accuracy): plain accuracy.
- **macro F1**: F1 averaged over the union of classes in `y_true` and `y_pred` (scikit-learn's
  ``f1_score(average="macro")`` default).

>>> r = evaluate(["a", "a", "b", "b"], ["a", "b", "b", "b"], labels=["a", "b"])
>>> round(r["ua"], 3), r["wa"], r["confusion"]
(0.75, 0.75, [[1, 1], [0, 2]])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def evaluate(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> dict[str, Any]:
    """UA, WA, macro F1, per-class recall and the confusion matrix (rows = true, in `labels`
    order; `labels` defaults to the sorted union of both sequences)."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {len(y_true)} items, y_pred {len(y_pred)}")
    if len(y_true) == 0:
        raise ValueError("cannot evaluate an empty set")
    present = np.union1d(y_true, y_pred)
    labels = list(labels) if labels is not None else list(present)
    extra = [x for x in present if x not in set(labels)]
    labels = labels + sorted(extra)
    index = {label: i for i, label in enumerate(labels)}
    confusion = np.zeros((len(labels), len(labels)), dtype=np.int64)
    np.add.at(confusion, ([index[t] for t in y_true], [index[p] for p in y_pred]), 1)

    support = confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)
    tp = np.diag(confusion)
    true_classes = support > 0
    recall = np.divide(tp, support, out=np.zeros(len(labels)), where=support > 0)
    precision = np.divide(tp, predicted, out=np.zeros(len(labels)), where=predicted > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(len(labels)), where=denom > 0)
    in_union = (support + predicted) > 0
    return {
        "ua": float(recall[true_classes].mean()),
        "wa": float(tp.sum() / len(y_true)),
        "macro_f1": float(f1[in_union].mean()),
        "n": int(len(y_true)),
        "labels": [str(x) for x in labels],
        "recall": {str(label): float(r) for label, r, s in zip(labels, recall, support) if s},
        "confusion": confusion.tolist(),
    }


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation (0 for a single value)."""
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std())


def cross_corpus_average(matrix: dict[tuple[str, str], float]) -> float:
    """EmoBox Eq. 1: the mean of Acc(i→j) over all ordered pairs with i ≠ j."""
    off = [v for (i, j), v in matrix.items() if i != j]
    if not off:
        raise ValueError("no off-diagonal pairs")
    return float(np.mean(off))
