"""Intervals and paired significance of report cells, from the stored predictions.

`CellStats` reads the test predictions of each cell's runs once and gives

- `interval`: the percentile bootstrap interval of the cell (its mean over folds),
- `compare`: the paired bootstrap of the difference of two cells scored on the same test
  utterances (refused, with the reason, when they differ),
- `ranks`: EmoBox Table 4 ranks with ties (`rank_with_ties`).

The level of each cell: **speaker** (whole speakers resampled within each fold) where the
test speakers are unseen in training — an intra-corpus fold set that the splits file records
as speaker-independent, or a test corpus other than the training corpus — and the workspace
manifest of the test corpus names every test utterance's speaker, with at least two speakers
in every fold; **utterance** otherwise (the reason is kept and said in the caption).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from emobox.metrics import BOOTSTRAP_RESAMPLES, METRICS, SIGNIFICANCE_ALPHA, evaluate
from emobox.report.bootstrap import Fold, percentile_interval, replicates, two_sided_p
from emobox.runs.results import ResultsDB, RunRecord

#: Why a cell is resampled at the utterance level, when it is.
NO_MANIFEST = "no workspace manifest"
DEPENDENT = "speaker-dependent folds"
NO_SPLITS = "no splits file of the scheme"
ONE_SPEAKER = "a fold with one test speaker"
#: A cell whose stored predictions do not give its stored metrics gets no interval.
MISMATCH = "stored predictions do not reproduce the stored metrics: no interval"


@dataclass(frozen=True)
class Resampling:
    """The settings of every interval and test of a report (each said in its caption)."""

    n: int = BOOTSTRAP_RESAMPLES
    seed: int = 0
    alpha: float = SIGNIFICANCE_ALPHA

    @property
    def level(self) -> float:
        """The confidence level of the intervals, 1 − α (an interval excluding 0 ⇔ p < α)."""
        return 1 - self.alpha

    def describe(self) -> str:
        return (f"{100 * self.level:g} % percentile bootstrap interval ({self.n} resamples, "
                f"seed {self.seed})")


@dataclass(frozen=True)
class Difference:
    """A paired difference of two cells (a − b) with its interval and two-sided p-value."""

    diff: float
    low: float
    high: float
    p: float
    level: str  # "speaker" or "utterance"
    replicates: np.ndarray

    def significant(self, alpha: float) -> bool:
        return self.p < alpha


@dataclass
class _Cell:
    folds: dict[str, Fold]  # fold name -> predictions (speakers set at speaker level)
    labels: list[str]
    level: str
    why: str  # why utterance level ("" at speaker level)
    scores: dict[str, dict[str, Any]]  # fold name -> `metrics.evaluate` of its predictions


class CellStats:
    """Bootstrap intervals and paired tests of cells (tuples of run ids) of one report."""

    def __init__(self, db: ResultsDB, records: Sequence[RunRecord], workspace: Any = None,
                 resampling: Resampling | None = None) -> None:
        self.db = db
        self.by_id = {r.run_id: r for r in records}
        self.workspace = workspace
        self.resampling = resampling or Resampling()
        self._cells: dict[tuple[str, ...], _Cell | None] = {}
        self._reps: dict[tuple[tuple[str, ...], str], np.ndarray] = {}
        self._speakers: dict[str, dict[str, str] | None] = {}

    # -- reading ---------------------------------------------------------------------------
    def cell(self, run_ids: Sequence[str]) -> _Cell | None:
        """The test predictions of a cell's runs; None when a run has none stored."""
        ids = tuple(run_ids)
        if ids not in self._cells:
            self._cells[ids] = self._read(ids)
        return self._cells[ids]

    def _read(self, ids: tuple[str, ...]) -> _Cell | None:
        records = [self.by_id.get(i) or next(iter(self.db.find(i)), None) for i in ids]
        if not records or any(r is None for r in records):
            return None
        folds: dict[str, Fold] = {}
        for r in records:
            rows = self.db.predictions(r.id)
            if not rows:
                return None
            folds[r.key.fold] = Fold([x[0] for x in rows], [x[1] for x in rows],
                                     [x[2] for x in rows])
        labels = list(records[0].metrics.get("labels") or [])
        scores = {}
        for r in records:  # the predictions must reproduce the number the table prints
            f = folds[r.key.fold]
            scores[r.key.fold] = got = evaluate(f.true, f.pred, labels or None)
            if any(m in r.metrics and abs(got[m] - float(r.metrics[m])) > 1e-6
                   for m in METRICS):
                return _Cell(folds, labels, "none", MISMATCH, scores)
        speakers, why = self._speaker_level(records[0], folds)
        if speakers is not None:
            folds = {k: Fold(f.ids, f.true, f.pred, [speakers[i] for i in f.ids])
                     for k, f in folds.items()}
        return _Cell(folds, labels, "utterance" if why else "speaker", why, scores)

    def _speaker_level(self, record: RunRecord, folds: Mapping[str, Fold]
                       ) -> tuple[dict[str, str] | None, str]:
        key = record.key
        speakers = self._manifest(key.test_corpus)
        if speakers is None or any(i not in speakers for f in folds.values() for i in f.ids):
            return None, NO_MANIFEST
        if key.train_corpus == key.test_corpus:  # unseen speakers only if the folds say so
            independent = self._independent(key.train_corpus, key.scheme)
            if independent is None:
                return None, NO_SPLITS
            if not independent:
                return None, DEPENDENT
        if any(len({speakers[i] for i in f.ids}) < 2 for f in folds.values()):
            return None, ONE_SPEAKER
        return speakers, ""

    def _independent(self, corpus: str, scheme: str | None) -> bool | None:
        """Whether the splits file of the scheme records speaker-independent folds (None:
        no readable splits file)."""
        if self.workspace is None or not scheme:
            return None
        from emobox.errors import EmoboxError
        from emobox.partition.core import Splits

        path = self.workspace.splits(corpus, scheme)
        try:
            return bool(Splits.load(path).speaker_independent) if path.is_file() else None
        except (EmoboxError, OSError, ValueError):  # unreadable: utterance level, said so
            return None

    def _manifest(self, corpus: str) -> dict[str, str] | None:
        if corpus not in self._speakers:
            found = None
            if self.workspace is not None and self.workspace.manifest(corpus).is_file():
                from emobox.manifest import iter_manifest

                found = {u.key: str(u.speaker) for u in iter_manifest(
                    self.workspace.manifest(corpus)) if u.speaker is not None}
            self._speakers[corpus] = found
        return self._speakers[corpus]

    def usable(self, run_ids: Sequence[str]) -> _Cell | None:
        """The cell, when its stored predictions are there and reproduce its metrics."""
        cell = self.cell(run_ids)
        return None if cell is None or cell.why == MISMATCH else cell

    # -- numbers ---------------------------------------------------------------------------
    def replicates(self, run_ids: Sequence[str], metric: str) -> np.ndarray | None:
        """The bootstrap replicates of a cell's mean over folds (None: no predictions, or
        predictions that do not reproduce the stored metrics)."""
        ids = tuple(run_ids)
        if (ids, metric) not in self._reps:
            cell = self.usable(ids)
            if cell is None:
                return None
            self._reps[(ids, metric)] = replicates(
                [cell.folds[k] for k in sorted(cell.folds)], metric, n=self.resampling.n,
                seed=self.resampling.seed, labels=cell.labels)
        return self._reps[(ids, metric)]

    def ood_replicates(self, m: Any) -> list[dict[str, Any]] | None:
        """SER Evals' reductions (`metrics.ood_summary`) of every replicate matrix of a
        complete `OodMatrix`: each cell it reduces (`kept`: less the cells
        `--exclude-contaminated` drops) resampled, as `m.summary` reduces the observed one
        (None: a cell without usable predictions)."""
        from emobox.metrics import ood_summary

        reps = {}
        for pair in m.kept:
            run = m.runs.get(pair)
            reps[pair] = None if run is None else self.replicates([run], m.metric)
            if reps[pair] is None:
                return None
        eligible = m.eligible - m.dropped
        return [ood_summary({p: float(r[b]) for p, r in reps.items()}, eligible)
                for b in range(self.resampling.n)]

    def interval(self, run_ids: Sequence[str], metric: str) -> tuple[float, float] | None:
        reps = self.replicates(run_ids, metric)
        return None if reps is None else percentile_interval(reps, self.resampling.level)

    def level(self, run_ids: Sequence[str]) -> str | None:
        """"speaker", "utterance (<why>)", or None (no predictions)."""
        cell = self.cell(run_ids)
        if cell is None or cell.why == MISMATCH:
            return None if cell is None else MISMATCH
        return cell.level + (f" ({cell.why})" if cell.why else "")

    def unpaired(self, a: Sequence[str], b: Sequence[str]) -> str:
        """Why two cells cannot be compared ("" when they can)."""
        ca, cb = self.cell(a), self.cell(b)
        if ca is None or cb is None:
            return "no stored predictions"
        if MISMATCH in (ca.why, cb.why):
            return "stored predictions do not reproduce the stored metrics"
        if set(ca.folds) != set(cb.folds):
            return "different folds"
        for name, fa in ca.folds.items():
            if sorted(fa.ids) != sorted(cb.folds[name].ids):
                return f"different test utterances in fold {name}"
        return ""

    def compare(self, a: Sequence[str], b: Sequence[str], metric: str) -> Difference | None:
        """The paired bootstrap of cell a − cell b (None when `unpaired` says why not)."""
        if self.unpaired(a, b):
            return None
        ca, cb = self.cell(a), self.cell(b)
        assert ca is not None and cb is not None
        if ca.level == cb.level:
            ra, rb = self.replicates(a, metric), self.replicates(b, metric)
            level = ca.level
        else:  # one level for both, so both see the same resamples
            def plain(c: _Cell) -> list[Fold]:
                return [Fold(f.ids, f.true, f.pred) for _, f in sorted(c.folds.items())]

            ra, rb = (replicates(plain(c), metric, n=self.resampling.n,
                                 seed=self.resampling.seed, labels=c.labels) for c in (ca, cb))
            level = "utterance"
        diff = ra - rb
        observed = _observed(ca, metric) - _observed(cb, metric)
        low, high = percentile_interval(diff, self.resampling.level)
        return Difference(observed, low, high, two_sided_p(diff), level, diff)

    def ranks(self, cells: Mapping[str, Sequence[str]], values: Mapping[str, float],
              metric: str) -> tuple[dict[str, int], int]:
        """`rank_with_ties` of the cells of one table row; also how many comparisons could
        not be tested (their cell is then ranked by its value alone)."""
        alpha = self.resampling.alpha
        untested = 0

        def tie(a: str, b: str) -> bool | None:
            nonlocal untested
            d = self.compare(cells[a], cells[b], metric)
            if d is None:
                untested += 1
                return None
            return not d.significant(alpha)

        return rank_with_ties(values, tie), untested


def _observed(cell: _Cell, metric: str) -> float:
    return float(np.mean([s[metric] for s in cell.scores.values()]))


def rank_with_ties(values: Mapping[str, float], tie: Any) -> dict[str, int]:
    """Competition ranks with ties by significance. The best remaining entry (highest value)
    leads a tier; the next entries in value order join it while their difference to that
    leader is not significant (``tie(leader, other)`` is True) — the first significant one
    ends the tier; every entry of a tier gets rank 1 + the number of entries in earlier
    tiers; repeat on the rest. So rank 1 is the best and
    all not significantly worse than it, rank 2 exists only when rank 1 is a single entry, and
    an entry is never ranked above one with a higher value. ``tie`` returning None (not
    testable) counts as significant: the entry is ranked by its value alone.

    >>> rank_with_ties({"a": .8, "b": .79, "c": .5, "d": .49}, lambda x, y: abs(
    ...     {"a": .8, "b": .79, "c": .5, "d": .49}[x] - {"a": .8, "b": .79, "c": .5,
    ...     "d": .49}[y]) < .05)
    {'a': 1, 'b': 1, 'c': 3, 'd': 3}
    """
    order = sorted(values, key=lambda k: (-values[k], k))
    ranks: dict[str, int] = {}
    while len(ranks) < len(order):
        rest = [k for k in order if k not in ranks]
        leader, rank = rest[0], len(ranks) + 1
        ranks[leader] = rank
        for other in rest[1:]:
            if tie(leader, other):
                ranks[other] = rank
            else:
                break  # keep ranks monotone in value: a tier is a run of the ordering
    return ranks
