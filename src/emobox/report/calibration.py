"""Calibration of stored runs: expected calibration error and reliability diagrams.

ECE (Guo et al. 2017): the test utterances are put into `bins` equal-width bins of their
confidence (the highest class probability; bin b holds confidences in ((b−1)/B, b/B], the
first bin also 0), and ECE = Σ_b (n_b / n) · |accuracy_b − mean confidence_b|, where
accuracy_b is the share of the bin whose most probable class is the true one. OOD cells store
the probabilities after logit adjustment and before it (`ResultsDB.unadjusted_probabilities`),
so their calibration is given both ways.

>>> probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
>>> round(ece(probs, np.array([0, 1, 1]), bins=10), 4)
0.3
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from emobox.runs.results import ResultsDB, RunRecord

if TYPE_CHECKING:
    from emobox.report.formats import Grid
    from emobox.report.views import Views

#: Equal-width confidence bins of every ECE and reliability diagram.
BINS = 15


@dataclass(frozen=True)
class Reliability:
    """The bins of a reliability diagram: per bin its count, mean confidence and accuracy
    (NaN for an empty bin), and the ECE they add up to."""

    counts: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    ece: float
    bins: int

    @property
    def n(self) -> int:
        return int(self.counts.sum())


def reliability(probs: np.ndarray, true: np.ndarray, bins: int = BINS) -> Reliability:
    """The reliability bins of probabilities (n, C) against true class indices (n,)."""
    probs = np.asarray(probs, dtype=np.float64)
    true = np.asarray(true)
    conf = probs.max(axis=1)
    hit = (probs.argmax(axis=1) == true).astype(np.float64)
    which = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, conf, minlength=bins) / counts
        accuracy = np.bincount(which, hit, minlength=bins) / counts
    gap = np.where(counts > 0, np.abs(np.nan_to_num(accuracy) - np.nan_to_num(mean_conf)), 0)
    return Reliability(counts, mean_conf, accuracy, float((counts * gap).sum() / len(conf)),
                       bins)


def ece(probs: np.ndarray, true: np.ndarray, bins: int = BINS) -> float:
    """Expected calibration error of probabilities (n, C) against true class indices."""
    return reliability(probs, true, bins).ece


def run_calibration(db: ResultsDB, record: RunRecord, bins: int = BINS
                    ) -> dict[str, Reliability]:
    """The reliability of a stored run: ``{"stored": …}`` from its probabilities (after logit
    adjustment for an OOD cell), and ``"before adjustment"`` where those are stored too;
    empty for a run stored without probabilities."""
    rows = db.predictions(record.id)
    labels = list(record.metrics.get("labels") or record.info.get("labels") or [])
    index = {x: i for i, x in enumerate(labels)}
    if not rows or any(r[1] not in index for r in rows):
        return {}
    true = np.array([index[r[1]] for r in rows])
    found = {}
    for name, probs in (("stored", db.probabilities(record.id)),
                        ("before adjustment", db.unadjusted_probabilities(record.id))):
        if probs and all(p is not None for p in probs):
            found[name] = reliability(np.asarray(probs), true, bins)
    return found


def ece_grids(views: Views, db: ResultsDB, bins: int = BINS) -> list[Grid]:
    """One table of the ECE of every cell a report shows (intra rows: the mean over folds),
    with the ECE before logit adjustment beside each OOD cell that stored it."""
    from emobox.report.formats import Grid

    by_id = views.stats.by_id if views.stats is not None else {}
    rows: list[list[str]] = []

    def add(kind: str, setting: str, cell: str, run_ids: Sequence[str]) -> None:
        found = [run_calibration(db, by_id[i], bins) for i in run_ids if i in by_id]
        if not found or any(not f for f in found):
            rows.append([kind, setting, cell, "no stored probabilities", "", ""])
            return
        after = np.mean([f["stored"].ece for f in found])
        before = [f["before adjustment"].ece for f in found if "before adjustment" in f]
        rows.append([kind, setting, cell, f"{100 * after:.1f}",
                     f"{100 * np.mean(before):.1f}" if len(before) == len(found) else "",
                     str(sum(f["stored"].n for f in found))])

    for r in views.intra:
        add("intra", r.label, r.corpus, r.run_ids)
    for m in views.cross:
        for (i, j), run in sorted(m.runs.items()):
            add("cross", m.label, f"{i} → {j}", [run])
    for m in views.ood:
        for (i, j), run in sorted(m.runs.items()):
            add("ood", m.label, f"{i} → {j}", [run])
    if not rows:
        return []
    note = (f"percent; ECE over {bins} equal-width bins of the confidence (the highest class "
            "probability), Σ n_b/n · |accuracy_b − confidence_b|, from the stored test "
            "probabilities; intra: the mean over folds; OOD cells: after logit adjustment "
            "(the stored predictions) and before it")
    return [Grid("Calibration: expected calibration error", note,
                 ["protocol", "setting", "cell", "ECE", "ECE before adjustment",
                  "utterances"], rows)]
