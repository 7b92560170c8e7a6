"""Figures from stored results, each written as PNG and SVG (matplotlib, no display needed):
cross-corpus heatmaps and Eq. 1 average bars (EmoBox Fig. 1), OOD bars given the training
set and per unseen dataset (SER Evals Figs. 2–3), confusion matrices, UA per layer, and the
validation curves of a sweep."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from emobox.report.tables import CrossMatrix, OodMatrix  # noqa: E402


def _save(fig: Any, path: Path) -> list[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    paths = [path.with_suffix(".png"), path.with_suffix(".svg")]
    for p in paths:
        fig.savefig(p, dpi=120)
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
                ax.text(j, i, f"{v:.1f}", ha="center", va="center", color="white", fontsize=8)
    eq1 = (f"Eq. 1: {100 * matrix.average:.1f}" if matrix.average is not None else
           f"incomplete: {len(matrix.missing)} pairs missing, no Eq. 1")
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


def ood_bars(matrix: OodMatrix, path: Path) -> list[Path]:
    """SER Evals Figs. 2–3: OOD performance given the training set (row means) and of each
    dataset when unseen (column means)."""
    s = matrix.summary
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, (title, values) in zip(axes, (("OOD given the training set", s["rows"]),
                                         ("dataset when unseen", s["columns"]))):
        ax.bar(list(values), [100 * v for v in values.values()], color="#d87a3b")
        ax.set_title(f"{title} ({matrix.metric}, %)", fontsize=9)
        ax.tick_params(axis="x", rotation=45)
    fig.suptitle(matrix.label, fontsize=9)
    return _save(fig, path)


def confusion(labels: Sequence[str], matrix: Sequence[Sequence[int]], path: Path,
              title: str) -> list[Path]:
    fig, ax = plt.subplots(figsize=(0.6 * len(labels) + 2.5, 0.6 * len(labels) + 2))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=8)
    ax.set_title(title)
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


def valid_curves(curves: Sequence[dict[str, Any]], path: Path, title: str) -> list[Path]:
    """Validation UA per epoch of every configuration of a sweep."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for c in curves:
        label = ", ".join(f"{k}={c['config'][k]}" for k in ("lr", "hidden") if k in c["config"])
        ax.plot(range(1, len(c["valid_ua"]) + 1), [100 * v for v in c["valid_ua"]],
                label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation UA (%)")
    ax.set_title(title)
    if curves:
        ax.legend(fontsize=7)
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
