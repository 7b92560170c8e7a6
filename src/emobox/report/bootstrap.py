"""Bootstrap replicates of a report cell, vectorised with numpy and paired by construction.

A *cell* is the number a table prints: one run's metric, or the mean of a metric over the fold
runs of an intra-corpus row. Its replicates resample every fold's test utterances within that
fold — each utterance (utterance level), or whole speakers (speaker level) — score each fold
and average over folds, as `metrics.fold_mean_ci` does. The resampling weights of a fold are
drawn from a generator seeded by the report seed, the level and the fold's sorted test
utterance ids, so two models scored on the same test utterances get the *same* resamples: the
difference of their replicate arrays is the paired bootstrap of their difference.

>>> fold = Fold(["u1", "u2", "u3", "u4"], ["a", "a", "b", "b"], ["a", "b", "b", "b"])
>>> reps = replicates([fold], "ua", n=200, seed=0)
>>> reps.shape, bool(0.4 < reps.mean() < 0.9)
((200,), True)
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emobox.metrics import BOOTSTRAP_RESAMPLES

#: Replicates scored per block (bounds the memory of each product to ~16 MB per class).
_BLOCK_CELLS = 4_000_000
#: The most recently used resampling weights kept (at most ~200 MB of float32).
_CACHE: OrderedDict[tuple[bytes, int, int], np.ndarray] = OrderedDict()
_CACHE_CELLS = 50_000_000


@dataclass(frozen=True)
class Fold:
    """The test predictions of one fold run: utterance ids, true and predicted labels, and
    each utterance's speaker (speaker-level resampling) or None (utterance level)."""

    ids: Sequence[str]
    true: Sequence[str]
    pred: Sequence[str]
    speakers: Sequence[str] | None = None

    def sorted(self) -> Fold:
        """The same fold in utterance-id order (the order resamples are drawn in)."""
        order = np.argsort(np.asarray(self.ids, dtype=object), kind="stable")
        pick = [int(i) for i in order]
        return Fold([self.ids[i] for i in pick], [self.true[i] for i in pick],
                    [self.pred[i] for i in pick],
                    None if self.speakers is None else [self.speakers[i] for i in pick])


def weights(fold: Fold, n: int, seed: int) -> np.ndarray:
    """(n, utterances) resampling counts of a fold: the utterances drawn with replacement,
    or the speakers (each utterance weighted by its speaker's count). Deterministic in
    (`seed`, level, the fold's utterance ids)."""
    m = len(fold.ids)
    level = "speaker" if fold.speakers is not None else "utterance"
    digest = hashlib.sha256("\n".join([level, *fold.ids]).encode()).digest()
    key = (digest, n, seed)
    if key in _CACHE:  # the models of one table row share their folds' resamples
        _CACHE.move_to_end(key)
        return _CACHE[key]
    rng = np.random.default_rng([seed, int.from_bytes(digest[:8], "little")])
    if fold.speakers is None:
        found = _counts(rng, n, m)
    else:
        names, of = np.unique(np.asarray(fold.speakers, dtype=str), return_inverse=True)
        found = _counts(rng, n, len(names))[:, of]
    _CACHE[key] = found
    while sum(w.size for w in _CACHE.values()) > _CACHE_CELLS and len(_CACHE) > 1:
        _CACHE.popitem(last=False)
    return found


def _counts(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """(n, k) counts of k draws with replacement from k items, per replicate."""
    draws = rng.integers(0, k, size=(n, k)) + (np.arange(n) * k)[:, None]
    return np.bincount(draws.ravel(), minlength=n * k).reshape(n, k).astype(np.float32)


def fold_scores(fold: Fold, metric: str, w: np.ndarray, labels: Sequence[str] | None = None
                ) -> np.ndarray:
    """`metric` (ua, wa, macro_f1; as `metrics.evaluate` defines them) of each weighted
    replicate (`w`: (n, utterances))."""
    names = list(labels) if labels is not None else []
    names += sorted({*fold.true, *fold.pred} - set(names))
    index = {x: i for i, x in enumerate(names)}
    t = np.array([index[x] for x in fold.true])
    p = np.array([index[x] for x in fold.pred])
    eye = np.eye(len(names), dtype=np.float32)
    support = w @ eye[t]
    hit = (t == p).astype(np.float32)
    tp = w @ (eye[t] * hit[:, None])
    if metric in ("wa", "micro_f1"):
        return (w @ hit) / w.sum(axis=1)
    if metric == "ua":
        recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
        return recall.sum(axis=1) / (support > 0).sum(axis=1)
    if metric == "macro_f1":
        denom = support + w @ eye[p]  # 2·tp / (support + predicted) = F1
        f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
        return f1.sum(axis=1) / (denom > 0).sum(axis=1)
    raise ValueError(f"unknown metric {metric!r}")


def replicates(folds: Sequence[Fold], metric: str = "ua", *, n: int = BOOTSTRAP_RESAMPLES,
               seed: int = 0, labels: Sequence[str] | None = None) -> np.ndarray:
    """(n,) bootstrap replicates of the mean of `metric` over `folds`."""
    total = np.zeros(n, dtype=np.float64)
    for fold in folds:
        fold = fold.sorted()
        w = weights(fold, n, seed)
        block = max(1, _BLOCK_CELLS // max(1, len(fold.ids)))
        for start in range(0, n, block):
            total[start:start + block] += fold_scores(fold, metric, w[start:start + block],
                                                      labels)
    return total / len(folds)


def percentile_interval(reps: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The percentile interval of replicates at confidence `level`."""
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(reps, [tail, 100 - tail])
    return float(low), float(high)


def two_sided_p(diff: np.ndarray) -> float:
    """Two-sided bootstrap p-value of a difference being 0 from its replicates:
    2·min(#{d ≤ 0}, #{d ≥ 0}) / n with the +1 correction (never 0), capped at 1."""
    n = len(diff)
    tail = min(int((diff <= 0).sum()), int((diff >= 0).sum()))
    return float(min(1.0, 2 * (tail + 1) / (n + 1)))
