"""Figures from stored results, each written as PNG and SVG (matplotlib, no display needed):
cross-corpus heatmaps and Eq. 1 average bars (EmoBox Fig. 1), OOD bars given the training
set and per unseen dataset with their intervals (SER Evals Figs. 2–3), the setting × corpus
heatmap of the intra-corpus table, UA per layer, and a run's reliability diagram. (The run
pages of the HTML site draw their small figures as inline SVG: `report.site.svg`.)"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"  # SVG text stays text: searchable, smaller
import matplotlib.pyplot as plt  # noqa: E402

from emobox.report.tables import CrossMatrix, IntraRow, OodMatrix  # noqa: E402


def _save(fig: Any, path: Path) -> list[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    # appended, not with_suffix: a setting's slug has dots ("dropout=0.0") that are no suffix
    paths = [path.with_name(f"{path.name}.png"), path.with_name(f"{path.name}.svg")]
    for p in paths:
        fig.savefig(p, dpi=120, bbox_inches="tight")  # long labels widen the image
    plt.close(fig)
    return paths


def cross_heatmap(matrix: CrossMatrix, path: Path) -> list[Path]:
    corpora = sorted({c for pair in matrix.expected for c in pair})
    values = [[100 * matrix.matrix.get((i, j), float("nan")) if i != j else float("nan")
               for j in corpora] for i in corpora]
    fig, ax = plt.subplots(figsize=(1.2 * len(corpora) + 2, 1.0 * len(corpora) + 1.5))
    image = ax.imshow(values, cmap="viridis", vmin=0, vmax=100)
    ax.set_xticks(range(len(corpora)), corpora, rotation=45, ha="right")
    ax.set_yticks(range(len(corpora)), corpora)
    ax.set_xlabel("test")
    ax.set_ylabel("train")
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            if v == v:
                mark = "†" if (corpora[i], corpora[j]) in matrix.marks else ""
                ax.text(j, i, f"{v:.1f}{mark}", ha="center", va="center", color="white",
                        fontsize=8)
    eq1 = (f"Eq. 1: {100 * matrix.average:.1f}" if matrix.average is not None else
           f"incomplete: {len(matrix.missing)} pairs missing, no Eq. 1")
    if matrix.marks:
        eq1 += (f" over {len(matrix.kept)} pairs, {len(matrix.dropped)}† left out"
                if matrix.dropped else f", {len(matrix.marks)}† included")
    ax.set_title(f"Cross-corpus accuracy ({matrix.label}); {eq1}", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046)
    return _save(fig, path)


def eq1_bars(matrices: Sequence[CrossMatrix], path: Path) -> list[Path]:
    """EmoBox Fig. 1: the Eq. 1 cross-corpus average per complete matrix (its label)."""
    matrices = [m for m in matrices if m.average is not None]
    fig, ax = plt.subplots(figsize=(max(4, 0.8 * len(matrices) + 2), 3.5))
    ax.bar([m.label for m in matrices], [100 * m.average for m in matrices], color="#3b7dd8")
    ax.set_ylabel("Eq. 1 average accuracy (%)")
    ax.tick_params(axis="x", rotation=45)
    return _save(fig, path)


def ood_bars(matrix: OodMatrix, path: Path, stats: Any = None) -> list[Path]:
    """SER Evals Figs. 2–3: OOD performance given the training set (row means) and of each
    dataset when unseen (column means) — of a complete matrix only. With `stats`
    (`report.significance.CellStats`) each bar has its bootstrap interval: that row or column
    mean of every replicate matrix (`CellStats.ood_replicates`, as Table 3's intervals);
    without, or when a cell has no usable predictions, ± the sample std over the n cells it
    averages. The axis label says which."""
    from emobox.metrics import mean_std
    from emobox.report.bootstrap import percentile_interval

    s = matrix.summary
    if s is None:
        raise ValueError(f"{matrix.label}: not reduced (incomplete or no OOD cell)")
    cells = {p: v for p, v in matrix.kept.items() if p in matrix.eligible}
    summaries = stats.ood_replicates(matrix) if stats is not None else None
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, (title, values, side, reduction) in zip(axes, (
            ("OOD given the training set (row mean)", s["rows"], 0, "rows"),
            ("dataset when unseen (column mean)", s["columns"], 1, "columns"))):
        members = {k: [p for p in cells if p[side] == k] for k in values}
        if summaries is not None:
            bounds = [percentile_interval(np.array([r[reduction][k] for r in summaries]),
                                          stats.resampling.level) for k in values]
            errors = [[max(100 * (v - lo), 0) for v, (lo, _) in zip(values.values(), bounds)],
                      [max(100 * (hi - v), 0) for v, (_, hi) in zip(values.values(), bounds)]]
            what = stats.resampling.describe()
        else:
            stds = [mean_std([cells[p] for p in members[k]], ddof=1)[1] for k in values]
            errors = [100 * e if e == e else 0 for e in stds]
            what = "± sample std over the n cells"
        ax.bar([f"{k}\n(n={len(members[k])})" for k in values],
               [100 * v for v in values.values()], yerr=errors, capsize=3, color="#d87a3b")
        ax.set_title(f"{title}, {matrix.metric} %", fontsize=9)
        ax.set_ylabel(f"{matrix.metric} (%)\n{_wrap(what, 64)}", fontsize=7)
        ax.tick_params(axis="x", rotation=45, labelsize=8)
    excluded = f"; {len(matrix.dropped)} marked cells left out" if matrix.dropped else ""
    fig.suptitle(f"{matrix.label} · OOD cells within SER Evals' cluster{excluded}\n"
                 f"{_wrap(matrix.caption)}", fontsize=8)
    return _save(fig, path)


def _wrap(text: str, width: int = 140) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def intra_heatmap(rows: Sequence[IntraRow], path: Path, metric: str = "ua") -> list[Path]:
    """Setting × corpus heatmap of the intra-corpus means over folds of `metric`, annotated
    (a blank cell: the setting has no run on that corpus; † marked: the model may have seen
    the test data); the settings they share in the title (`intra_caption`)."""
    from emobox.report.tables import MARK, intra_caption

    labels = sorted({r.label for r in rows})
    corpora = sorted({r.corpus for r in rows})
    cell = {(r.label, r.corpus): r for r in rows}
    values = [[100 * cell[(lab, c)].stats[metric][0] if (lab, c) in cell else float("nan")
               for c in corpora] for lab in labels]
    fig, ax = plt.subplots(figsize=(0.8 * len(corpora) + 3.5, 0.6 * len(labels) + 2.2))
    image = ax.imshow(values, cmap="viridis", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(corpora)), corpora, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), [_wrap(lab, 48) for lab in labels], fontsize=7)
    for i, lab in enumerate(labels):
        for j, c in enumerate(corpora):
            if (lab, c) in cell:
                mark = MARK if cell[(lab, c)].mark else ""
                ax.text(j, i, f"{values[i][j]:.1f}{mark}", ha="center", va="center",
                        color="white", fontsize=7)
    name = metric.upper() if metric != "macro_f1" else "F1"
    marked = " · †: the model may have seen the test data" if any(r.mark for r in rows) else ""
    ax.set_title(f"Intra-corpus {name} (%), mean over folds{marked}\n"
                 f"{_wrap(intra_caption(rows), 80)}", fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.046)
    return _save(fig, path)


def slug(text: str) -> str:
    """A file-name-safe form of a setting label (every differing field stays in it)."""
    import hashlib
    import re

    name = re.sub(r"[^A-Za-z0-9._=+-]+", "_", text).strip("_")
    if len(name) <= 160:
        return name
    return f"{name[:150]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"  # still unique


def layer_curve(curve: dict[str, Any], path: Path) -> list[Path]:
    layers = sorted(int(k) for k in curve["ua"])
    means = [100 * curve["ua"][k][0] for k in layers]
    stds = [100 * curve["ua"][k][1] for k in layers]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.errorbar(layers, means, yerr=stds, marker="o", capsize=3)
    ax.set_xlabel("layer")
    ax.set_xticks(layers)
    ax.set_ylabel("UA (%)")
    ax.set_title(f"{curve['corpus']} ({curve['setting']}): best layer {curve['best_layer']}",
                 fontsize=9)
    return _save(fig, path)


def reliability(curves: dict[str, Any], path: Path, title: str) -> list[Path]:
    """A reliability diagram (PNG + SVG) of one run: accuracy against mean confidence per
    bin for each named `report.calibration.Reliability` (e.g. ``run_calibration(db,
    record)``: the stored probabilities and, for an OOD cell, those before logit
    adjustment), the diagonal of perfect calibration, and each curve's ECE and bins."""
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label="calibrated")
    for name, r in curves.items():
        seen = r.counts > 0
        ax.plot(r.confidence[seen], r.accuracy[seen], marker="o",
                label=f"{name}: ECE {100 * r.ece:.1f} % ({r.bins} bins, n = {r.n})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (highest class probability), bin mean")
    ax.set_ylabel("accuracy in the bin")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    return _save(fig, path)
