"""Benchmark tables from the results database: the intra-corpus table (mean ± std over folds)
and the cross-corpus accuracy matrix with its EmoBox Eq. 1 average."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rich.table import Table

from emobox.metrics import cross_corpus_average, mean_std
from emobox.runs.results import RunRecord

METRICS = ("ua", "wa", "macro_f1")


@dataclass
class IntraRow:
    """One corpus of the intra-corpus table."""

    model: str
    corpus: str
    folds: int
    stats: dict[str, tuple[float, float]]  # metric -> (mean, std)


def intra_rows(records: Sequence[RunRecord]) -> list[IntraRow]:
    """Aggregate intra runs per (model, corpus); the newest run of each fold counts."""
    latest: dict[tuple[str, str, str], RunRecord] = {}
    for r in records:
        if r.protocol == "intra":
            latest[(r.model, r.train_corpus, r.fold)] = r
    groups: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for (model, corpus, _), r in sorted(latest.items()):
        groups[(model, corpus)].append(r)
    return [IntraRow(model, corpus, len(runs),
                     {m: mean_std([r.metrics[m] for r in runs]) for m in METRICS})
            for (model, corpus), runs in groups.items()]


def cross_matrix(records: Sequence[RunRecord], model: str | None = None,
                 metric: str = "wa") -> dict[tuple[str, str], float]:
    """{(train, test): accuracy} of cross runs (EmoBox Table 5 reports accuracy)."""
    return {(r.train_corpus, r.test_corpus): float(r.metrics[metric]) for r in records
            if r.protocol == "cross" and (model is None or r.model == model)}


def intra_table(rows: Sequence[IntraRow], title: str = "Intra-corpus") -> Table:
    table = Table(title=title)
    for col in ("model", "corpus", "folds", "UA", "WA", "macro-F1"):
        table.add_column(col, justify="right" if col in ("folds",) else "left")
    for row in rows:
        table.add_row(row.model, row.corpus, str(row.folds),
                      *(_pct(*row.stats[m]) for m in METRICS))
    if len(rows) > 1:
        means = [sum(r.stats[m][0] for r in rows) / len(rows) for m in METRICS]
        table.add_row("", "average", "", *(f"{100 * v:.1f}" for v in means), style="bold")
    return table


def cross_table(matrix: dict[tuple[str, str], float], title: str = "Cross-corpus accuracy"
                ) -> Table:
    corpora = sorted({c for pair in matrix for c in pair})
    table = Table(title=title, caption=f"average over {sum(i != j for i, j in matrix)} "
                  f"off-diagonal pairs (EmoBox Eq. 1): {100 * cross_corpus_average(matrix):.1f}")
    table.add_column("train ↓ / test →")
    for c in corpora:
        table.add_column(c, justify="right")
    for i in corpora:
        table.add_row(i, *("—" if i == j else f"{100 * matrix[(i, j)]:.1f}"
                           if (i, j) in matrix else "" for j in corpora))
    return table


def _pct(mean: float, std: float) -> str:
    return f"{100 * mean:.1f} ± {100 * std:.1f}"
