"""Benchmark tables from the results database: the intra-corpus table (mean ± std over folds)
and the cross-corpus accuracy matrix with its EmoBox Eq. 1 average.

Results are grouped by their whole `RunKey`: folds are aggregated only when everything else in
the key is equal, a cross or OOD matrix holds the cells of one corpus set in one setting, and
every identity field that differs among the rows of a table labels its row or column
(`report.settings`), the constant ones its caption. An incomplete matrix is shown with its
missing cells named and is never reduced (no Eq. 1, no OOD summary). Numbers are percent.
The report owns the JSON shape of what it prints (`intra_json`, `cross_json`, `ood_json`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table

from emobox.metrics import METRICS, cross_corpus_average, mean_std
from emobox.report.settings import (
    caption,
    per_row_caption,
    per_row_fields,
    variant_label,
    varying_fields,
)
from emobox.runs.key import RunKey
from emobox.runs.results import RunRecord

#: Identity fields of an OOD cell that belong to its training corpus, not to the matrix's
#: setting: its features, and the fold and scheme parameters of its own in-domain split.
OOD_PER_CELL = ("train_corpus", "test_corpus", "features", "fold", "scheme_params")
#: The mark of a cell whose test data the model may have seen (`report.contamination`).
MARK = "†"


def describe_hparams(recipe: str, hparams: dict[str, Any], show: Collection[str] = ()) -> str:
    """The grid and the fields that differ from the named recipe's defaults (and those in
    `show`, whatever their value)."""
    from emobox.train.probe import PROBE
    from emobox.train.recipe import RECIPES

    base = RECIPES.get(recipe.rsplit("-v", 1)[0])
    defaults = base.hparams(with_grid=False) if base else (
        PROBE.hparams() if recipe == PROBE.id else {})
    grid = hparams.get("grid") or {}
    parts = [f"{k}∈{{{', '.join(f'{v:g}' if isinstance(v, float) else str(v) for v in vs)}}}"
             for k, vs in grid.items()]
    parts += [f"{k}={v}" for k, v in sorted(hparams.items())
              if k != "grid" and k not in grid
              and (k in show or defaults.get(k, object()) != v)]
    return ", ".join(parts) or "defaults"


@dataclass
class IntraRow:
    """One (setting, corpus) row of an intra-corpus table: folds aggregated."""

    model: str
    corpus: str
    folds: int
    stats: dict[str, tuple[float, float]]  # metric -> (mean, std)
    key: RunKey  # the fold-less identity (fold field of the first run)
    run_ids: list[str] = field(default_factory=list)
    label: str = ""  # the model and every setting that differs among the table's rows
    n_classes: int | None = None  # the run's label count (its stored labels)
    mark: str = ""  # why the model may have seen the test data (`report.contamination`)
    dropped: bool = False  # left out of averages (`report --exclude-contaminated`)

    def value(self, metric: str) -> str:
        """Mean ± std over folds in percent (the mean alone for one fold)."""
        mean, std = self.stats[metric]
        return f"{100 * mean:.1f}" if self.folds == 1 else f"{100 * mean:.1f} ± {100 * std:.1f}"


def intra_rows(records: Sequence[RunRecord], protocol: str = "intra") -> list[IntraRow]:
    """Aggregate runs of `protocol` whose keys differ only in the fold; each row labelled by
    its model and every identity field that differs among the rows."""
    groups: dict[str, list[RunRecord]] = defaultdict(list)
    for r in records:
        if r.key.protocol == protocol:
            groups[r.key.group("fold")].append(r)
    rows = [IntraRow(runs[0].key.model, runs[0].key.train_corpus, len(runs),
                     {m: mean_std([r.metrics[m] for r in runs]) for m in METRICS},
                     runs[0].key, [r.run_id for r in sorted(runs, key=lambda r: r.key.fold)],
                     n_classes=_n_classes(runs[0]))
            for runs in groups.values()]
    within, _ = per_row_fields([r.key for r in rows], _corpus, skip=("corpora",))
    for row in rows:
        row.label = variant_label(row.key, within, among=[r.key for r in rows])
    return sorted(rows, key=lambda r: (r.label, r.corpus))


def _n_classes(record: RunRecord) -> int | None:
    """How many classes a run was trained and tested on: its key's labels, else the labels
    its metrics or info record."""
    labels = (record.key.labels or record.metrics.get("labels") or record.info.get("labels"))
    return len(labels) if labels else None


def _corpus(key: RunKey) -> str:
    return key.train_corpus


def intra_caption(rows: Sequence[IntraRow]) -> str:
    """What every row of an intra-corpus table shares, in words, and what differs only from
    corpus to corpus (e.g. each corpus's default scheme)."""
    if not rows:
        return ""
    keys = [r.key for r in rows]
    within, across = per_row_fields(keys, _corpus, skip=("corpora",))
    shared = caption(keys, skip=("model", "corpora", *within, *across))
    per_corpus = per_row_caption(keys, [f for f in across if f != "model"], _corpus)
    return " · ".join(p for p in (shared, per_corpus) if p)


def intra_table(rows: Sequence[IntraRow], title: str = "Intra-corpus") -> Table:
    """The rows (print `intra_caption` with it); an average row per setting over its
    corpora."""
    table = Table(title=title)
    for col in ("setting", "corpus", "folds", "UA", "WA", "macro-F1"):
        table.add_column(col, justify="right" if col == "folds" else "left")
    per_label: dict[str, list[IntraRow]] = defaultdict(list)
    for row in rows:
        per_label[row.label].append(row)
    for label, label_rows in per_label.items():
        for row in label_rows:
            mark = MARK if row.mark else ""
            table.add_row(label, row.corpus, str(row.folds),
                          *(row.value(m) + mark for m in METRICS))
        kept = [r for r in label_rows if not r.dropped]
        if len(label_rows) > 1 and kept:
            means = [sum(r.stats[m][0] for r in kept) / len(kept) for m in METRICS]
            left = len(label_rows) - len(kept)
            mark = MARK if any(r.mark for r in kept) else ""
            table.add_row(label, f"average ({len(kept)} corpora"
                          + (f"; {left} {MARK} left out" if left else "") + ")", "",
                          *(f"{100 * v:.1f}{mark}" for v in means), style="bold")
    return table


def print_tables(console: Any, rows: Sequence[IntraRow], matrices: Sequence[CrossMatrix],
                 title: str = "Intra-corpus", ood: Sequence[OodMatrix] = (),
                 layers: Sequence[dict[str, Any]] = ()) -> None:
    """Print the intra-corpus table, each cross-corpus matrix, each OOD matrix and each
    layer table, every one with the caption that says what it shows."""
    if rows:
        console.print(intra_table(rows, title))
        console.print(f"[dim]{intra_caption(rows)} · percent, mean ± std over folds[/]",
                      soft_wrap=True)
    for matrix in matrices:
        console.print(cross_table(matrix, title=f"Cross-corpus accuracy ({matrix.label})"))
        console.print(f"[dim]{matrix.caption}[/]", soft_wrap=True)
    for m in ood:
        console.print(ood_table(m))
        console.print(f"[dim]{m.caption}[/]", soft_wrap=True)
    if layers:
        from emobox.report.formats import layer_grids

        for grid in layer_grids(layers):
            console.print(grid.rich())
            console.print(f"[dim]{grid.note}[/]", soft_wrap=True)


def intra_json(rows: Sequence[IntraRow]) -> list[dict[str, Any]]:
    """The intra-corpus rows as JSON: mean and std per metric, the setting, the run ids."""
    return [{"model": r.model, "corpus": r.corpus, "folds": r.folds, "setting": r.label,
             **{m: {"mean": s[0], "std": s[1]} for m, s in r.stats.items()},
             "scheme": r.key.scheme, "label_space": r.key.label_space, "recipe": r.key.recipe,
             "hparams": dict(r.key.hparams), "layer": r.key.layer, "prior": r.key.prior,
             "seed": r.key.seed, "labels": list(r.key.labels), "runs": r.run_ids,
             "contamination": r.mark or None, "excluded": r.dropped}
            for r in rows]


@dataclass(kw_only=True)
class Cells:
    """A matrix of cells that knows the cells its grid should have (`expected`): what every
    matrix has, keyword-only (each kind adds its own fields)."""

    key: RunKey
    matrix: dict[tuple[str, str], float]  # (train, test) -> the cell's metric
    runs: dict[tuple[str, str], str] = field(default_factory=dict)  # the run id of each cell
    label: str = ""
    caption: str = ""
    #: cell -> why the model may have seen its test data (`report.contamination`)
    marks: dict[tuple[str, str], str] = field(default_factory=dict)
    #: the marked cells left out of the reductions (`--exclude-contaminated`)
    dropped: set[tuple[str, str]] = field(default_factory=set)

    @property
    def expected(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    @property
    def corpora(self) -> list[str]:
        """The corpus set of the grid (its key's; else the corpora of the cells present)."""
        return list(self.key.corpora) or sorted({c for p in self.matrix for c in p})

    @property
    def missing(self) -> list[tuple[str, str]]:
        return [p for p in self.expected if p not in self.matrix]

    @property
    def kept(self) -> dict[tuple[str, str], float]:
        """The cells its reductions average: all, less those `dropped` (marked cells that
        `report --exclude-contaminated` leaves out)."""
        return {p: v for p, v in self.matrix.items() if p not in self.dropped}

    def text(self, pair: tuple[str, str]) -> str:
        """A present cell in percent, with the contamination mark where it has one."""
        return f"{100 * self.matrix[pair]:.1f}" + (MARK if pair in self.marks else "")

    @property
    def complete(self) -> bool:
        return not self.missing

    def completeness(self) -> str:
        """" · complete (n cells)", or which cells are missing."""
        if self.complete:
            return f" · complete ({len(self.expected)} cells)"
        shown = ", ".join(f"{i}→{j}" for i, j in self.missing[:6])
        more = f" and {len(self.missing) - 6} more" if len(self.missing) > 6 else ""
        return (f" · INCOMPLETE: {len(self.missing)} of {len(self.expected)} cells missing "
                f"({shown}{more}), so it is not reduced")


@dataclass
class CrossMatrix(Cells):
    """The train → test accuracy matrix of one model on one corpus set in one setting."""

    model: str

    @property
    def expected(self) -> list[tuple[str, str]]:
        """Every ordered pair of the corpus set."""
        return [(i, j) for i in self.corpora for j in self.corpora if i != j]

    @property
    def average(self) -> float | None:
        """EmoBox Eq. 1 — of a complete matrix only (None otherwise)."""
        return cross_corpus_average(self.kept) if self.complete and self.kept else None


def cross_matrices(records: Sequence[RunRecord], metric: str = "wa") -> list[CrossMatrix]:
    """One matrix per (model, corpus set, setting) of the cross runs (EmoBox Table 5 reports
    accuracy), labelled by the fields that differ among the matrices."""
    groups: dict[str, list[RunRecord]] = defaultdict(list)
    for r in records:
        if r.key.protocol == "cross":
            groups[r.key.group("train_corpus", "test_corpus", "features")].append(r)
    out = [CrossMatrix(runs[0].key.model, key=runs[0].key, **_cells(runs, metric))
           for runs in groups.values()]
    _label(out, skip=("features",))
    return sorted(out, key=lambda m: m.label)


def _cells(runs: Sequence[RunRecord], metric: str) -> dict[str, dict[tuple[str, str], Any]]:
    """A matrix's `matrix` (`metric` per (train, test)) and `runs` (run id per cell)."""
    return {"matrix": {(r.key.train_corpus, r.key.test_corpus): float(r.metrics[metric])
                       for r in runs},
            "runs": {(r.key.train_corpus, r.key.test_corpus): r.run_id for r in runs}}


def _label(items: Sequence[Any], skip: Sequence[str]) -> None:
    """Give each matrix its label (model + differing fields) and caption (the rest)."""
    keys = [m.key for m in items]
    varying = varying_fields(keys, skip=skip)
    for m in items:
        m.label = variant_label(m.key, varying, among=keys)
        m.caption = caption([m.key], skip=(*skip, "model", *varying)) + m.completeness()


@dataclass
class OodMatrix(Cells):
    """SER Evals' train × test matrix of one model, corpus set and setting, with its
    reductions (for a complete matrix only)."""

    model: str  # (its `key` is an out-of-domain cell's: prior = the OOD prior)
    metric: str
    clusters: dict[str, str | None] = field(default_factory=dict)

    @property
    def expected(self) -> list[tuple[str, str]]:
        """The diagonal of every corpus of the set, and each pair within a cluster."""
        return [(i, j) for i in self.corpora for j in self.corpora if i == j or (
            self.clusters.get(i) and self.clusters.get(i) == self.clusters.get(j))]

    @property
    def eligible(self) -> set[tuple[str, str]]:
        """The off-diagonal cells Table 3 reduces: those within SER Evals' OOD cluster."""
        from emobox.runs.spec import SERVAL_OOD_CLUSTER

        return {(i, j) for i, j in self.expected if i != j
                and self.clusters.get(i) == self.clusters.get(j) == SERVAL_OOD_CLUSTER}

    @property
    def summary(self) -> dict[str, Any] | None:
        """SER Evals' reductions — of a complete matrix with out-of-domain cells only."""
        from emobox.metrics import ood_summary

        eligible = self.eligible - self.dropped
        if not self.complete or not eligible:
            return None
        return ood_summary(self.kept, eligible)


def ood_matrices(records: Sequence[RunRecord], metric: str = "macro_f1") -> list[OodMatrix]:
    """One matrix per (model, corpus set, setting, OOD prior) of the ``ood`` runs; the
    in-domain cells (prior none) join every prior's matrix of their setting."""
    groups: dict[str, list[RunRecord]] = defaultdict(list)
    for r in records:
        if r.key.protocol == "ood":
            groups[r.key.group(*OOD_PER_CELL, "prior")].append(r)
    out = []
    for runs in groups.values():
        diagonal = [r for r in runs if r.key.train_corpus == r.key.test_corpus]
        priors = sorted({r.key.prior for r in runs if r.key.train_corpus != r.key.test_corpus})
        clusters = {c: k for r in runs for c, k in (r.info.get("clusters") or {}).items()}
        for prior in priors or ["none"]:
            cells = diagonal + [r for r in runs if r.key.prior == prior
                                and r.key.train_corpus != r.key.test_corpus]
            key = next((r.key for r in cells if r.key.prior == prior), cells[0].key)
            out.append(OodMatrix(key.model, metric, clusters, key=key,
                                 **_cells(cells, metric)))
    _label(out, skip=("features", "fold", "scheme_params"))
    return sorted(out, key=lambda m: m.label)


def ood_table(m: OodMatrix) -> Table:
    """The matrix (rows: trained on, columns: tested on) with row and column means."""
    from emobox.runs.spec import SERVAL_OOD_CLUSTER

    s = m.summary
    corpora = sorted({c for pair in m.expected for c in pair})
    reduced = (f"ID {100 * s['id_mean']:.1f} ± {100 * s['id_std']:.1f} · OOD "
               f"{100 * s['ood_mean']:.1f} ± {100 * s['ood_std']:.1f} · weighted "
               f"{100 * s['weighted']:.1f} (λ = 1; OOD over {s['n_ood']} cells of "
               f"{SERVAL_OOD_CLUSTER})") if s else "not reduced: incomplete" \
        if not m.complete else f"no out-of-domain cell within {SERVAL_OOD_CLUSTER}"
    table = Table(title=f"In-domain / out-of-domain {m.metric}, percent ({m.label})",
                  caption=reduced)
    table.add_column("train ↓ / test →")
    for c in corpora:
        table.add_column(c, justify="right")
    table.add_column("OOD row mean", justify="right")
    rows = s["rows"] if s else {}
    columns = s["columns"] if s else {}
    for i in corpora:
        row = rows.get(i)
        table.add_row(i, *(m.text((i, j)) if (i, j) in m.matrix else
                           "missing" if (i, j) in m.expected else "" for j in corpora),
                      "" if row is None else f"{100 * row:.1f}")
    if columns:
        table.add_row("unseen (column mean)", *(f"{100 * columns[j]:.1f}"
                                                 if j in columns else "" for j in corpora), "",
                      style="bold")
    return table


def ood_json(matrices: Sequence[OodMatrix]) -> list[dict[str, Any]]:
    return [{"model": m.model, "setting": m.label, "metric": m.metric, "prior": m.key.prior,
             "scheme": m.key.scheme, "corpora": list(m.key.corpora),
             "recipe": m.key.recipe, "complete": m.complete,
             "missing": [{"train": i, "test": j} for i, j in m.missing],
             "summary": m.summary,
             "cells": [{"train": i, "test": j, "value": v,
                        "contamination": m.marks.get((i, j)), "excluded": (i, j) in m.dropped}
                       for (i, j), v in sorted(m.matrix.items())]} for m in matrices]


def cross_table(matrix: CrossMatrix, title: str = "Cross-corpus accuracy") -> Table:
    """The matrix (rows: trained on, columns: tested on), missing cells named."""
    cells = matrix.matrix
    corpora = sorted({c for pair in matrix.expected for c in pair})
    avg = matrix.average
    caption_ = (f"Eq. 1 average over {len(matrix.kept)} pairs: {100 * avg:.1f}"
                if avg is not None
                else "incomplete: no Eq. 1")
    table = Table(title=title, caption=caption_)
    table.add_column("train ↓ / test →")
    for c in corpora:
        table.add_column(c, justify="right")
    for i in corpora:
        table.add_row(i, *("—" if i == j else matrix.text((i, j))
                           if (i, j) in cells else "missing" for j in corpora))
    return table


def cross_json(matrices: Sequence[CrossMatrix]) -> list[dict[str, Any]]:
    return [{"model": m.model, "setting": m.label,
             "test_split": m.key.scheme_params.get("test_split"),
             "label_space": m.key.label_space, "labels": list(m.key.labels),
             "corpora": list(m.key.corpora), "recipe": m.key.recipe,
             "hparams": dict(m.key.hparams), "seed": m.key.seed, "layer": m.key.layer,
             "complete": m.complete, "missing": [{"train": i, "test": j} for i, j in m.missing],
             "average": m.average,
             "pairs": [{"train": i, "test": j, "accuracy": v,
                        "contamination": m.marks.get((i, j)), "excluded": (i, j) in m.dropped}
                       for (i, j), v in sorted(m.matrix.items())]} for m in matrices]


def layer_curves(records: Sequence[RunRecord], metric: str = "ua") -> list[dict[str, Any]]:
    """Per (model, corpus, setting): `metric` per layer (mean, std over folds) and the best
    layer; `setting` labels the fields that differ among the curves, `caption` the rest."""
    groups: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    runs: dict[str, dict[int, list[RunRecord]]] = defaultdict(lambda: defaultdict(list))
    keys: dict[str, RunKey] = {}
    for r in records:
        if r.key.protocol == "layers":
            g = r.key.group("fold", "layer", "features")
            groups[g][int(r.key.layer or 0)].append(float(r.metrics[metric]))
            runs[g][int(r.key.layer or 0)].append(r)
            keys[g] = r.key
    varying = varying_fields(list(keys.values()), skip=("layer", "features", "corpora"))
    out = []
    for g, per_layer in groups.items():
        stats = {layer: mean_std(v) for layer, v in sorted(per_layer.items())}
        best = max(stats, key=lambda layer: stats[layer][0])
        folds = {layer: len(v) for layer, v in per_layer.items()}
        out.append({"model": keys[g].model, "corpus": keys[g].train_corpus, "metric": metric,
                    "ua": stats, "folds": folds, "best_layer": best,
                    "runs": {layer: [r.run_id for r in sorted(rs, key=lambda r: r.key.fold)]
                             for layer, rs in sorted(runs[g].items())},
                    "setting": variant_label(keys[g], varying, among=list(keys.values())),
                    "caption": caption([keys[g]], skip=("layer", "features", "corpora",
                                                        "model", *varying))})
    return sorted(out, key=lambda c: (c["setting"], c["corpus"]))
