"""Benchmark tables from the results database: the intra-corpus table (mean ± std over folds)
and the cross-corpus accuracy matrix with its EmoBox Eq. 1 average.

Results are grouped by their `RunKey`, so a table never mixes schemes, label spaces, recipes,
hyperparameters, priors or seeds: each such setting gets its own table, whose title says what
it shows; within a table, folds are aggregated only when everything else in the key is equal.
The report owns the JSON shape of what it prints (`intra_json`, `cross_json`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table

from emobox.metrics import cross_corpus_average, mean_std
from emobox.runs.key import RunKey
from emobox.runs.results import RunRecord

METRICS = ("ua", "wa", "macro_f1")
#: Key fields that define one table (a "setting"); the rest vary within it.
SETTING = ("protocol", "scheme", "label_space", "recipe", "hparams", "prior", "seed")


def setting_of(key: RunKey) -> str:
    """The canonical text of the fields that one table holds fixed."""
    data = key.to_dict()
    return json.dumps({k: data[k] for k in SETTING}, sort_keys=True)


def describe_hparams(recipe: str, hparams: dict[str, Any]) -> str:
    """The grid and the fields that differ from the named recipe's defaults."""
    from emobox.train.recipe import RECIPES

    base = RECIPES.get(recipe.rsplit("-v", 1)[0])
    defaults = base.hparams(with_grid=False) if base else {}
    grid = hparams.get("grid") or {}
    parts = [f"{k}∈{{{', '.join(f'{v:g}' if isinstance(v, float) else str(v) for v in vs)}}}"
             for k, vs in grid.items()]
    parts += [f"{k}={v}" for k, v in sorted(hparams.items())
              if k != "grid" and k not in grid and defaults.get(k, object()) != v]
    return ", ".join(parts) or "defaults"


def describe_setting(key: RunKey) -> str:
    """What a table shows, in words."""
    scheme = key.scheme_params.get("test_split") if key.protocol == "cross" else key.scheme
    what = "test split" if key.protocol == "cross" else "scheme"
    return (f"{what} {scheme} · labels {key.label_space} · recipe {key.recipe} "
            f"({describe_hparams(key.recipe, dict(key.hparams))}) · prior {key.prior} · "
            f"seed {key.seed}")


@dataclass
class IntraRow:
    """One (model, corpus) row of an intra-corpus table: folds aggregated."""

    model: str
    corpus: str
    folds: int
    stats: dict[str, tuple[float, float]]  # metric -> (mean, std)
    key: RunKey  # the fold-less identity (fold field of the first run)
    run_ids: list[str] = field(default_factory=list)

    @property
    def setting(self) -> str:
        return setting_of(self.key)


def intra_rows(records: Sequence[RunRecord]) -> list[IntraRow]:
    """Aggregate intra runs whose keys differ only in the fold; sorted by setting, model,
    corpus."""
    groups: dict[str, list[RunRecord]] = defaultdict(list)
    for r in records:
        if r.key.protocol == "intra":
            groups[r.key.group("fold")].append(r)
    rows = [IntraRow(runs[0].key.model, runs[0].key.train_corpus, len(runs),
                     {m: mean_std([r.metrics[m] for r in runs]) for m in METRICS},
                     runs[0].key, [r.run_id for r in sorted(runs, key=lambda r: r.key.fold)])
            for runs in groups.values()]
    return sorted(rows, key=lambda r: (r.setting, r.model, r.corpus))


def by_setting(rows: Sequence[IntraRow]) -> dict[str, list[IntraRow]]:
    out: dict[str, list[IntraRow]] = defaultdict(list)
    for row in rows:
        out[row.setting].append(row)
    return dict(out)


def intra_table(rows: Sequence[IntraRow], title: str = "Intra-corpus") -> Table:
    """One table of rows that share a setting (print `describe_setting` with it); an average
    row per model over its corpora."""
    table = Table(title=title)
    for col in ("model", "corpus", "folds", "UA", "WA", "macro-F1"):
        table.add_column(col, justify="right" if col == "folds" else "left")
    per_model: dict[str, list[IntraRow]] = defaultdict(list)
    for row in rows:
        per_model[row.model].append(row)
    for model, model_rows in per_model.items():
        for row in model_rows:
            table.add_row(row.model, row.corpus, str(row.folds),
                          *(_pct(*row.stats[m]) for m in METRICS))
        if len(model_rows) > 1:
            means = [sum(r.stats[m][0] for r in model_rows) / len(model_rows) for m in METRICS]
            table.add_row(model, f"average ({len(model_rows)} corpora)", "",
                          *(f"{100 * v:.1f}" for v in means), style="bold")
    return table


def print_tables(console: Any, rows: Sequence[IntraRow], matrices: Sequence[CrossMatrix],
                 title: str = "Intra-corpus", ood: Sequence[OodMatrix] = ()) -> None:
    """Print each setting's intra-corpus table, each cross-corpus matrix and each OOD
    matrix, every one with the line that says what it shows."""
    for group in by_setting(rows).values():
        console.print(intra_table(group, title))
        console.print(f"[dim]{describe_setting(group[0].key)}[/]", soft_wrap=True)
    for matrix in matrices:
        console.print(cross_table(matrix, title=f"Cross-corpus accuracy ({matrix.model})"))
        console.print(f"[dim]{describe_setting(matrix.key)}[/]", soft_wrap=True)
    for m in ood:
        console.print(ood_table(m))
        console.print(f"[dim]{describe_setting(m.key)} · splits "
                      f"{'SER Evals random 80/20' if m.key.scheme == 'serval' else 'ours'}[/]",
                      soft_wrap=True)


def intra_json(rows: Sequence[IntraRow]) -> list[dict[str, Any]]:
    """The intra-corpus rows as JSON: mean and std per metric, the setting, the run ids."""
    return [{"model": r.model, "corpus": r.corpus, "folds": r.folds,
             **{m: {"mean": s[0], "std": s[1]} for m, s in r.stats.items()},
             "scheme": r.key.scheme, "label_space": r.key.label_space, "recipe": r.key.recipe,
             "hparams": dict(r.key.hparams), "layer": r.key.layer, "prior": r.key.prior,
             "seed": r.key.seed, "runs": r.run_ids} for r in rows]


@dataclass
class CrossMatrix:
    """The train → test accuracy matrix of one model in one setting."""

    model: str
    key: RunKey
    matrix: dict[tuple[str, str], float]

    @property
    def average(self) -> float:
        return cross_corpus_average(self.matrix)


def cross_matrices(records: Sequence[RunRecord], metric: str = "wa") -> list[CrossMatrix]:
    """One matrix per (model, setting) of the cross runs (EmoBox Table 5 reports accuracy)."""
    groups: dict[str, list[RunRecord]] = defaultdict(list)
    for r in records:
        if r.key.protocol == "cross":
            groups[r.key.group("train_corpus", "test_corpus", "features")].append(r)
    out = [CrossMatrix(runs[0].key.model, runs[0].key,
                       {(r.key.train_corpus, r.key.test_corpus): float(r.metrics[metric])
                        for r in runs}) for runs in groups.values()]
    return sorted(out, key=lambda m: (setting_of(m.key), m.model))


@dataclass
class OodMatrix:
    """SER Evals' train × test matrix of one model and setting, with its reductions."""

    model: str
    key: RunKey  # an out-of-domain cell's key (prior = the OOD prior)
    matrix: dict[tuple[str, str], float]
    metric: str

    @property
    def summary(self) -> dict[str, Any]:
        from emobox.metrics import ood_summary

        return ood_summary(self.matrix)


def ood_matrices(records: Sequence[RunRecord], metric: str = "macro_f1") -> list[OodMatrix]:
    """One matrix per (model, recipe, seed, splits, OOD prior) of the ``ood`` runs; the
    in-domain cells (prior none) join every prior's matrix of their setting."""
    groups: dict[str, list[RunRecord]] = defaultdict(list)
    for r in records:
        if r.key.protocol == "ood":
            k = r.key
            setting = json.dumps([k.model, k.recipe, k.hparams, k.seed, k.layer,
                                  k.scheme == "serval"], sort_keys=True, default=str)
            groups[setting].append(r)
    out = []
    for runs in groups.values():
        diagonal = [r for r in runs if r.key.train_corpus == r.key.test_corpus]
        priors = sorted({r.key.prior for r in runs if r.key.train_corpus != r.key.test_corpus})
        for prior in priors or ["none"]:
            cells = diagonal + [r for r in runs if r.key.prior == prior
                                and r.key.train_corpus != r.key.test_corpus]
            key = next((r.key for r in cells if r.key.prior == prior), cells[0].key)
            out.append(OodMatrix(key.model, key, {(r.key.train_corpus, r.key.test_corpus):
                                                  float(r.metrics[metric]) for r in cells},
                                 metric))
    return sorted(out, key=lambda m: (m.model, m.key.prior))


def ood_table(m: OodMatrix) -> Table:
    """The matrix (rows: trained on, columns: tested on) with row and column means."""
    s = m.summary
    corpora = sorted({c for pair in m.matrix for c in pair})
    table = Table(title=f"In-domain / out-of-domain {m.metric} ({m.model})",
                  caption=f"ID {100 * s['id_mean']:.1f} ± {100 * s['id_std']:.1f} · OOD "
                  f"{100 * s['ood_mean']:.1f} ± {100 * s['ood_std']:.1f} · weighted "
                  f"{100 * s['weighted']:.1f} (λ = 1; prior {m.key.prior})")
    table.add_column("train ↓ / test →")
    for c in corpora:
        table.add_column(c, justify="right")
    table.add_column("OOD row mean", justify="right")
    for i in corpora:
        row = s["rows"].get(i)
        table.add_row(i, *(f"{100 * m.matrix[(i, j)]:.1f}" if (i, j) in m.matrix else ""
                           for j in corpora), "" if row is None else f"{100 * row:.1f}")
    table.add_row("unseen (column mean)", *(f"{100 * s['columns'][j]:.1f}"
                                             if j in s["columns"] else "" for j in corpora), "",
                  style="bold")
    return table


def ood_json(matrices: Sequence[OodMatrix]) -> list[dict[str, Any]]:
    return [{"model": m.model, "metric": m.metric, "prior": m.key.prior,
             "splits": "serval" if m.key.scheme == "serval" else "ours",
             "recipe": m.key.recipe, "summary": m.summary,
             "cells": [{"train": i, "test": j, "value": v}
                       for (i, j), v in sorted(m.matrix.items())]} for m in matrices]


def cross_table(matrix: CrossMatrix | dict[tuple[str, str], float],
                title: str = "Cross-corpus accuracy") -> Table:
    cells = matrix.matrix if isinstance(matrix, CrossMatrix) else matrix
    corpora = sorted({c for pair in cells for c in pair})
    caption = (f"Eq. 1 average over {sum(i != j for i, j in cells)} pairs: "
               f"{100 * cross_corpus_average(cells):.1f}")
    table = Table(title=title, caption=caption)
    table.add_column("train ↓ / test →")
    for c in corpora:
        table.add_column(c, justify="right")
    for i in corpora:
        table.add_row(i, *("—" if i == j else f"{100 * cells[(i, j)]:.1f}"
                           if (i, j) in cells else "" for j in corpora))
    return table


def cross_json(matrices: Sequence[CrossMatrix]) -> list[dict[str, Any]]:
    return [{"model": m.model, "test_split": m.key.scheme_params.get("test_split"),
             "label_space": m.key.label_space, "labels": m.key.scheme_params.get("labels"),
             "recipe": m.key.recipe, "hparams": dict(m.key.hparams), "seed": m.key.seed,
             "average": m.average,
             "pairs": [{"train": i, "test": j, "accuracy": v}
                       for (i, j), v in sorted(m.matrix.items())]} for m in matrices]


def _pct(mean: float, std: float) -> str:
    return f"{100 * mean:.1f} ± {100 * std:.1f}"


def layer_curves(records: Sequence[RunRecord], metric: str = "ua") -> list[dict[str, Any]]:
    """Per (model, corpus, setting): `metric` per layer (mean, std over folds) and the best
    layer."""
    groups: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    keys: dict[str, RunKey] = {}
    for r in records:
        if r.key.protocol == "layers":
            g = r.key.group("fold", "layer")
            groups[g][int(r.key.layer or 0)].append(float(r.metrics[metric]))
            keys[g] = r.key
    out = []
    for g, per_layer in groups.items():
        stats = {layer: mean_std(v) for layer, v in sorted(per_layer.items())}
        best = max(stats, key=lambda layer: stats[layer][0])
        out.append({"model": keys[g].model, "corpus": keys[g].train_corpus, "metric": metric,
                    "ua": stats, "best_layer": best,
                    "setting": describe_setting(keys[g])})
    return sorted(out, key=lambda c: (c["model"], c["corpus"]))
