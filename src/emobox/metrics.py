"""Classification metrics for SER, with their label handling stated.

- **UA** (unweighted average recall): recall averaged over the classes present in `y_true`
  (classes only predicted, never true, are ignored) — equal to scikit-learn's
  ``balanced_accuracy_score``.
- **WA** (weighted accuracy): plain accuracy.
- **macro F1**: F1 averaged over the union of classes in `y_true` and `y_pred` (scikit-learn's
  ``f1_score(average="macro")`` default); **micro F1** equals accuracy for single-label data.
- Per class: precision, recall, F1 and support over `labels` (0 where undefined, as
  scikit-learn's ``zero_division=0``).

>>> r = evaluate(["a", "a", "b", "b"], ["a", "b", "b", "b"], labels=["a", "b"])
>>> round(r["ua"], 3), r["wa"], r["confusion"]
(0.75, 0.75, [[1, 1], [0, 2]])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

#: The metrics a report or a matrix can be asked for.
METRICS = ("ua", "wa", "macro_f1")
#: Bootstrap resamples of every interval a report prints.
BOOTSTRAP_RESAMPLES = 1000
#: Significance level of a report's paired tests and ranks with ties (intervals: 1 − α).
SIGNIFICANCE_ALPHA = 0.05


def evaluate(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> dict[str, Any]:
    """UA, WA, macro and micro F1, per-class scores and the confusion matrix (rows = true, in
    `labels` order; `labels` defaults to the sorted union of both sequences; labels seen but
    not listed are appended)."""
    labels, t, p = _encode(y_true, y_pred, labels)
    confusion = _confusion(t, p, len(labels))
    scores = _scores(confusion)
    return {
        "ua": scores["ua"],
        "wa": scores["wa"],
        "macro_f1": scores["macro_f1"],
        "micro_f1": scores["wa"],
        "n": int(len(t)),
        "labels": [str(x) for x in labels],
        "recall": {str(label): float(r) for label, r, n in
                   zip(labels, scores["recall"], scores["support"]) if n},
        "per_class": {str(label): {"precision": float(pr), "recall": float(r), "f1": float(f),
                                   "support": int(n)}
                      for label, pr, r, f, n in zip(labels, scores["precision"],
                                                    scores["recall"], scores["f1"],
                                                    scores["support"])},
        "confusion": confusion.tolist(),
    }


def _encode(y_true: Sequence, y_pred: Sequence, labels: Sequence | None
            ) -> tuple[list, np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {len(y_true)} items, y_pred {len(y_pred)}")
    if len(y_true) == 0:
        raise ValueError("cannot evaluate an empty set")
    present = np.union1d(y_true, y_pred)
    labels = list(labels) if labels is not None else list(present)
    known = set(labels)
    labels = labels + sorted(x for x in present if x not in known)
    index = {label: i for i, label in enumerate(labels)}
    return (labels, np.array([index[v] for v in y_true.tolist()]),
            np.array([index[v] for v in y_pred.tolist()]))


def _confusion(t: np.ndarray, p: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(t * n + p, minlength=n * n).reshape(n, n)


def _scores(confusion: np.ndarray) -> dict[str, Any]:
    support = confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)
    tp = np.diag(confusion)
    c = len(confusion)
    recall = np.divide(tp, support, out=np.zeros(c), where=support > 0)
    precision = np.divide(tp, predicted, out=np.zeros(c), where=predicted > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(c), where=denom > 0)
    return {"ua": float(recall[support > 0].mean()), "wa": float(tp.sum() / support.sum()),
            "macro_f1": float(f1[(support + predicted) > 0].mean()), "recall": recall,
            "precision": precision, "f1": f1, "support": support}


def bootstrap_ci(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None, *,
                 metric: str = "ua", n: int = 1000, seed: int = 0,
                 speakers: Sequence | None = None, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of `metric` (default 95 %): utterances resampled with
    replacement, or whole speakers when `speakers` is given (speaker-level bootstrap)."""
    labels, t, p = _encode(y_true, y_pred, labels)
    metric = {"micro_f1": "wa"}.get(metric, metric)
    rng = np.random.default_rng(seed)
    if speakers is not None:
        speakers = np.asarray(speakers)
        groups = [np.flatnonzero(speakers == s) for s in np.unique(speakers)]
    values = []
    for _ in range(n):
        if speakers is None:
            idx = rng.integers(0, len(t), len(t))
        else:
            idx = np.concatenate([groups[i] for i in rng.integers(0, len(groups), len(groups))])
        values.append(_scores(_confusion(t[idx], p[idx], len(labels)))[metric])
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def fold_mean_ci(folds: Sequence[tuple[Sequence, Sequence]], labels: Sequence | None = None,
                 *, metric: str = "ua", n: int = BOOTSTRAP_RESAMPLES, seed: int = 0,
                 level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `metric` over folds: each replicate
    resamples every fold's test utterances within that fold, scores each fold, and averages —
    the interval of the number a table prints as "mean over folds"."""
    metric = {"micro_f1": "wa"}.get(metric, metric)
    rng = np.random.default_rng(seed)
    encoded = [_encode(t, p, labels) for t, p in folds]
    values = np.zeros(n)
    for lab, t, p in encoded:
        for b in range(n):
            idx = rng.integers(0, len(t), len(t))
            values[b] += _scores(_confusion(t[idx], p[idx], len(lab)))[metric]
    values /= len(encoded)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def weighted_score(id_mean: float, id_std: float, ood_mean: float, ood_std: float,
                   lam: float = 1.0) -> float:
    """SER Evals Table 3: (ID mean + OOD mean)/2 − λ·(ID std + OOD std)/2."""
    return (id_mean + ood_mean) / 2 - lam * (id_std + ood_std) / 2


def ood_summary(matrix: dict[tuple[str, str], float],
                eligible: Iterable[tuple[str, str]] | None = None, lam: float = 1.0
                ) -> dict[str, Any]:
    """SER Evals' Table 3 reductions of a train × test matrix (reconstructed from its released
    per-cell matrices, which they reproduce to 1e-6; serval.md §2.9):

    - in-domain: mean and **sample** std (ddof = 1) over **every** diagonal cell;
    - out-of-domain mean: over the off-diagonal cells in `eligible` (the pairs within the
      OOD cluster; default: every off-diagonal cell present);
    - out-of-domain std: the **sample** std of the row means (one per training corpus, over
      its eligible cells);
    - row means (OOD given the training set), column means (a dataset when unseen), and the
      weighted score (ID mean + OOD mean)/2 − λ·(ID std + OOD std)/2.

    ``missing`` lists the expected cells that are absent or NaN — the diagonal of every corpus
    named in the matrix or in `eligible`, and every eligible pair — and ``complete`` is False
    when there is any: the reductions are then over the cells present only, and are not SER
    Evals' numbers."""
    present = {pair: float(v) for pair, v in matrix.items() if not math.isnan(float(v))}
    pairs = {(i, j) for i, j in eligible if i != j} if eligible is not None else None
    corpora = {c for pair in [*matrix, *(pairs or ())] for c in pair}
    diag = [present[(c, c)] for c in sorted(corpora) if (c, c) in present]
    off = {p: v for p, v in present.items() if p[0] != p[1] and (pairs is None or p in pairs)}
    missing = sorted(({(c, c) for c in corpora} | (pairs or set())) - set(present))
    rows: dict[str, list[float]] = {}
    cols: dict[str, list[float]] = {}
    for (i, j), v in sorted(off.items()):
        rows.setdefault(i, []).append(v)
        cols.setdefault(j, []).append(v)
    row_means = {k: float(np.mean(v)) for k, v in sorted(rows.items())}
    id_mean, id_std = mean_std(diag, ddof=1)
    ood_mean = float(np.mean(list(off.values()))) if off else float("nan")
    ood_std = mean_std(list(row_means.values()), ddof=1)[1]
    return {"id_mean": id_mean, "id_std": id_std, "ood_mean": ood_mean, "ood_std": ood_std,
            "rows": row_means,
            "columns": {k: float(np.mean(v)) for k, v in sorted(cols.items())},
            "weighted": weighted_score(id_mean, id_std, ood_mean, ood_std, lam),
            "n_id": len(diag), "n_ood": len(off), "missing": missing,
            "complete": not missing}


def mean_std(values: Sequence[float], ddof: int = 0) -> tuple[float, float]:
    """Mean and standard deviation: population (``ddof=0``, 0 for a single value) or sample
    (``ddof=1``, NaN for a single value); NaN for no values."""
    arr = np.asarray(values, dtype=float)
    if len(arr) == 0:
        return float("nan"), float("nan")
    std = float(arr.std(ddof=ddof)) if len(arr) > ddof else float("nan")
    return float(arr.mean()), std


def cross_corpus_average(matrix: dict[tuple[str, str], float]) -> float:
    """EmoBox Eq. 1: the mean of Acc(i→j) over all ordered pairs with i ≠ j."""
    off = [v for (i, j), v in matrix.items() if i != j]
    if not off:
        raise ValueError("no off-diagonal pairs")
    return float(np.mean(off))
