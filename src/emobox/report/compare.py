"""`report --compare A B`: model A against model B on every corpus both were run on in the
same setting — the paired bootstrap of the difference of the means over folds per corpus, and
of its average over those corpora (replicate by replicate the mean of the per-corpus
differences)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from emobox.report.bootstrap import percentile_interval, two_sided_p
from emobox.report.tables import IntraRow, intra_caption

if TYPE_CHECKING:
    from emobox.report.formats import Grid
    from emobox.report.views import Views


def compare_grids(views: Views, a: str, b: str, metric: str = "ua") -> list[Grid]:
    """One grid per setting that both models were run in: a row per corpus (A, B, A − B with
    its interval, p, level) and the average over the compared corpora; a corpus that only one
    model has, or whose test utterances differ, is listed and left out of the average."""
    from emobox.report.formats import Grid, _metric_name

    stats = views.stats
    if stats is None:
        raise ValueError("compare needs views built with the results database")
    pairs: dict[str, dict[str, dict[str, IntraRow]]] = defaultdict(lambda: defaultdict(dict))
    for r in views.intra:
        if r.model in (a, b):
            pairs[r.key.group("model", "features", "train_corpus", "test_corpus", "fold",
                              "labels", "scheme_params", "corpora")][r.corpus][r.model] = r
    name = _metric_name(metric)
    grids = []
    for setting in pairs.values():
        rows, diffs, left = [], [], []
        for corpus, by_model in sorted(setting.items()):
            ra, rb = by_model.get(a), by_model.get(b)
            if ra is None or rb is None:
                left.append(f"{corpus} (only {a if rb is None else b})")
                continue
            d = stats.compare(ra.run_ids, rb.run_ids, metric)
            if d is None:
                left.append(f"{corpus} ({stats.unpaired(ra.run_ids, rb.run_ids)})")
                continue
            diffs.append(d)
            rows.append([corpus, ra.value(metric), rb.value(metric),
                         f"{100 * d.diff:+.1f}{_signed(d.low, d.high)}", f"{d.p:.3f}",
                         d.level, str(ra.folds)])
        if not diffs:
            continue
        reps = np.mean([d.replicates for d in diffs], axis=0)
        low, high = percentile_interval(reps, stats.resampling.level)
        mean = float(np.mean([d.diff for d in diffs]))
        rows.append([f"average ({len(diffs)} corpora)", "", "",
                     f"{100 * mean:+.1f}{_signed(low, high)}", f"{two_sided_p(reps):.3f}", "",
                     ""])
        shown = [r for by_model in setting.values() for r in by_model.values()]
        r = stats.resampling
        note = (f"{intra_caption(shown)} · {a} − {b}, {name} in percent, means over folds · "
                f"[low, high]: the {r.describe()} of the paired difference (the same "
                f"resamples of the same test utterances for both models), p: two-sided "
                f"bootstrap p-value, significant when p < α = {r.alpha:g} (no multiple-"
                f"comparison correction) · average: over the {len(diffs)} corpora compared, "
                f"its interval from the mean of their replicates")
        if left:
            note += f" · not compared, left out of the average: {', '.join(left)}"
        grids.append(Grid(f"{a} vs {b}: {name} difference per corpus", note,
                          ["corpus", a, b, f"{a} − {b}", "p", "level", "folds"], rows))
    return grids


def _signed(low: float, high: float) -> str:
    return f" [{100 * low:+.1f}, {100 * high:+.1f}]"
