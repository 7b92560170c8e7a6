"""Report tables as plain data (`Grid`), rendered as Markdown, CSV, LaTeX or a Rich table.

`table4` lays intra-corpus results out as EmoBox's Table 4 (corpora × models, the best three
per corpus marked 1–3), optionally with the published numbers beside ours; `table5` the
cross-corpus matrix as Table 5; `table3` SER Evals' Table 3 summary (one row per model).
Every grid carries the line that says what it shows.

>>> g = Grid("t", "setting", ["a", "b"], [["x", "1"]])
>>> print(g.markdown())
**t** — setting
<BLANKLINE>
| a | b |
|---|---|
| x | 1 |
<BLANKLINE>
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.table import Table

from emobox.report.tables import (
    CrossMatrix,
    IntraRow,
    OodMatrix,
    intra_caption,
)

FORMATS = ("rich", "md", "csv", "latex", "json")
MARKS = {1: "¹", 2: "²", 3: "³"}


@dataclass
class Grid:
    """A titled table of strings with a note saying what it shows."""

    title: str
    note: str
    columns: list[str]
    rows: list[list[str]]
    bold: set[tuple[int, int]] = field(default_factory=set)  # (row, column) cells to stress
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # cell -> its run id
    tips: dict[tuple[int, int], str] = field(default_factory=dict)  # cell -> hover text (HTML)

    def markdown(self) -> str:
        def cell(i: int, j: int, text: str) -> str:
            text = text.replace("|", "\\|")
            return f"**{text}**" if (i, j) in self.bold and text else text

        lines = [f"**{self.title}** — {self.note}", "",
                 "| " + " | ".join(self.columns) + " |",
                 "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(cell(i, j, c) for j, c in enumerate(row)) + " |"
                  for i, row in enumerate(self.rows)]
        return "\n".join(lines) + "\n"

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return buffer.getvalue()

    def latex(self) -> str:
        def esc(text: str) -> str:
            for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"),
                         ("_", r"\_"), ("#", r"\#"), ("$", r"\$"), ("{", r"\{"),
                         ("}", r"\}"), ("±", r"$\pm$"), ("¹", r"$^1$"), ("²", r"$^2$"),
                         ("³", r"$^3$"), ("→", r"$\rightarrow$"), ("↓", r"$\downarrow$"),
                         ("—", "--"), ("·", r"$\cdot$"), ("∈", r"$\in$")):
                text = text.replace(a, b)
            return text

        body = [" & ".join(rf"\textbf{{{esc(c)}}}" if (i, j) in self.bold and c else esc(c)
                           for j, c in enumerate(row)) + r" \\" for i, row in enumerate(self.rows)]
        return "\n".join([r"\begin{table}[t]", r"\centering", r"\small",
                          r"\begin{tabular}{l" + "r" * (len(self.columns) - 1) + "}",
                          r"\hline", " & ".join(esc(c) for c in self.columns) + r" \\",
                          r"\hline", *body, r"\hline", r"\end{tabular}",
                          rf"\caption{{{esc(self.title)}: {esc(self.note)}}}",
                          r"\end{table}"]) + "\n"

    def rich(self) -> Table:
        table = Table(title=self.title, caption=None)
        for i, c in enumerate(self.columns):
            table.add_column(c, justify="left" if i == 0 else "right")
        for i, row in enumerate(self.rows):
            table.add_row(*(f"[bold]{c}[/]" if (i, j) in self.bold else c
                            for j, c in enumerate(row)))
        return table

    def to_dict(self) -> dict:
        return {"title": self.title, "note": self.note, "columns": self.columns,
                "rows": self.rows}

    def render(self, fmt: str) -> str:
        return {"md": self.markdown, "csv": self.csv, "latex": self.latex}[fmt]()


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def paper_name(key) -> str | None:
    """The registry name of the paper model whose features a run used, or None (a paper
    figure sits only beside runs of the paper's own model)."""
    from emobox.features.registry import paper_model

    return paper_model(dict(key.features))


def table4(rows: Sequence[IntraRow], metric: str = "ua", compare_paper: bool = False,
           ci: dict[str, tuple[float, float]] | None = None, ci_note: str = "") -> list[Grid]:
    """EmoBox Table 4: corpora × settings (a column per model and per differing setting)
    with `metric` mean ± std over folds in percent; the best three of each corpus marked
    ¹²³ (bold: the best); with `ci` the interval of each mean (keyed by its first run id);
    with `compare_paper` a "paper" column beside each setting of a paper model."""
    from emobox.report.paper import table4 as published

    if not rows:
        return []
    paper = published() if compare_paper else {}
    labels = sorted({r.label for r in rows})
    corpora = sorted({r.corpus for r in rows})
    cell = {(r.label, r.corpus): r for r in rows}
    papers = {lab: paper_name(next(r.key for r in rows if r.label == lab)) for lab in labels}
    columns = ["corpus"]
    for lab in labels:
        columns.append(lab)
        if compare_paper:
            columns.append(f"{lab} (paper)")
    out, bold, links = [], set(), {}
    for i, corpus in enumerate(corpora):
        values = {lab: cell[(lab, corpus)].stats[metric][0] for lab in labels
                  if (lab, corpus) in cell}
        ranked = sorted(values, key=lambda lab: -values[lab])
        line = [corpus]
        for lab in labels:
            r = cell.get((lab, corpus))
            text = "" if r is None else r.value(metric)
            if r is not None:
                links[(i, len(line))] = r.run_ids[0]
            if r is not None and ci and r.run_ids[0] in ci:
                low, high = ci[r.run_ids[0]]
                text += f" [{100 * low:.1f}, {100 * high:.1f}]"
            if lab in ranked[:3] and len(ranked) > 1:
                rank = ranked.index(lab) + 1
                text += MARKS[rank]
                if rank == 1:
                    bold.add((i, len(line)))
            line.append(text)
            if compare_paper:
                line.append(_pct(paper.get((papers[lab], corpus), {}).get(metric))
                            if papers[lab] else "")
        out.append(line)
    name = metric.upper() if metric != "macro_f1" else "F1"
    note = f"{intra_caption(rows)} · percent, mean ± std over folds"
    if ci_note:
        note += f" · {ci_note}"
    if compare_paper:
        note += " · paper: EmoBox Table 4, beside runs of the paper's own model only"
    return [Grid(f"Intra-corpus {name} (EmoBox Table 4 layout)", note, columns, out, bold,
                 links)]


def table5(matrices: Sequence[CrossMatrix], compare_paper: bool = False) -> list[Grid]:
    """EmoBox Table 5: one row per train → test pair, one column per matrix (model and
    differing settings), and the Eq. 1 average of each complete matrix; with `compare_paper`
    the published accuracy beside each matrix of a paper model."""
    from emobox.report.paper import table5 as published

    if not matrices:
        return []
    paper = published() if compare_paper else {}
    pairs = sorted({p for m in matrices for p in m.expected})
    columns = ["train → test"]
    for m in matrices:
        columns += [m.label] + ([f"{m.label} (paper)"] if compare_paper else [])
    rows, links = [], {}
    for i, j in pairs:
        line = [f"{i} → {j}"]
        for m in matrices:
            value = m.matrix.get((i, j))
            if (i, j) in m.runs:
                links[(len(rows), len(line))] = m.runs[(i, j)]
            line.append(_pct(value) if value is not None else
                        "missing" if (i, j) in m.expected else "")
            if compare_paper:
                line.append(_pct(paper.get((paper_name(m.key), i, j))))
        rows.append(line)
    avg = ["average (Eq. 1)"]
    for m in matrices:
        avg.append(_pct(m.average) if m.complete else f"incomplete ({len(m.missing)} missing)")
        if compare_paper:
            vals = [paper[(paper_name(m.key), i, j)] for i, j in m.expected
                    if (paper_name(m.key), i, j) in paper]
            avg.append(_pct(sum(vals) / len(vals)) if vals else "")
    rows.append(avg)
    notes = sorted({m.caption for m in matrices})
    return [Grid("Cross-corpus accuracy, percent (EmoBox Table 5 layout)",
                 " | ".join(notes), columns, rows, links=links)]


def table3(matrices: Sequence[OodMatrix]) -> list[Grid]:
    """SER Evals Table 3: one row per matrix (model and differing settings) with ID mean/std,
    OOD mean/std and the weighted score in percent — for complete matrices; an incomplete
    one is listed with its missing cells and not reduced."""
    if not matrices:
        return []
    rows = []
    ranked = sorted(matrices, key=lambda m: -(m.summary or {}).get("weighted", -1e9))
    for m in ranked:
        s = m.summary
        if s is None:
            why = (f"incomplete: {len(m.missing)} of {len(m.expected)} cells missing"
                   if not m.complete else "no out-of-domain cell")
            rows.append([m.label, why, "", "", "", ""])
            continue
        rows.append([m.label, *(f"{100 * s[k]:.1f}" for k in ("id_mean", "id_std", "ood_mean",
                                                               "ood_std", "weighted"))])
    notes = sorted({f"{m.metric} · {m.caption}" for m in matrices})
    return [Grid("In-domain / out-of-domain summary, percent (SER Evals Table 3 layout)",
                 " | ".join(notes), ["setting", "ID mean", "ID std", "OOD mean", "OOD std",
                                     "weighted"], rows)]


def layer_grids(curves: Sequence[dict]) -> list[Grid]:
    """`run layers`: one layer × corpus table per setting (UA mean ± std over folds in
    percent; each corpus's best layer bold)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for c in curves:
        groups[c["setting"]].append(c)
    grids = []
    for setting, group in groups.items():
        layers = sorted({int(layer) for c in group for layer in c["ua"]})
        corpora = [c["corpus"] for c in group]
        rows, bold = [], set()
        for i, layer in enumerate(layers):
            line = [str(layer)]
            for j, c in enumerate(group, 1):
                stats = {int(k): v for k, v in c["ua"].items()}
                folds = {int(k): v for k, v in c.get("folds", {}).items()}
                if layer not in stats:
                    line.append("")
                    continue
                mean, std = stats[layer]
                line.append(f"{100 * mean:.1f}" if folds.get(layer, 2) == 1
                            else f"{100 * mean:.1f} ± {100 * std:.1f}")
                if layer == c["best_layer"]:
                    bold.add((i, j))
            rows.append(line)
        grids.append(Grid(f"UA per layer ({setting})", f"{group[0]['caption']} · percent, "
                          "mean ± std over folds; bold: each corpus's best layer",
                          ["layer", *corpora], rows, bold))
    return grids
