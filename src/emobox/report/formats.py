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
    by_setting,
    describe_setting,
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


def table4(rows: Sequence[IntraRow], metric: str = "ua", compare_paper: bool = False,
           ci: dict[str, tuple[float, float]] | None = None) -> list[Grid]:
    """EmoBox Table 4: per setting, corpora × models with `metric` mean ± std over folds; the
    best three models of each corpus marked ¹²³ (bold: the best); with `compare_paper` a
    "paper" column beside each model that the paper evaluated."""
    from emobox.report.paper import table4 as published

    paper = published() if compare_paper else {}
    grids = []
    for group in by_setting(rows).values():
        models = sorted({r.model for r in group})
        corpora = sorted({r.corpus for r in group})
        cell = {(r.model, r.corpus): r for r in group}
        columns = ["corpus"]
        for m in models:
            columns.append(m)
            if compare_paper:
                columns.append(f"{m} (paper)")
        out, bold = [], set()
        for i, corpus in enumerate(corpora):
            values = {m: cell[(m, corpus)].stats[metric][0] for m in models
                      if (m, corpus) in cell}
            ranked = sorted(values, key=lambda m: -values[m])
            line = [corpus]
            for m in models:
                r = cell.get((m, corpus))
                text = "" if r is None else (
                    f"{100 * r.stats[metric][0]:.1f} ± {100 * r.stats[metric][1]:.1f}")
                if r is not None and ci and r.run_ids[0] in ci:
                    low, high = ci[r.run_ids[0]]
                    text += f" [{100 * low:.1f}, {100 * high:.1f}]"
                if m in ranked[:3] and len(ranked) > 1:
                    rank = ranked.index(m) + 1
                    text += MARKS[rank]
                    if rank == 1:
                        bold.add((i, len(line)))
                line.append(text)
                if compare_paper:
                    line.append(_pct(paper.get((m, corpus), {}).get(metric)))
            out.append(line)
        grids.append(Grid(f"Intra-corpus {metric.upper() if metric != 'macro_f1' else 'F1'} "
                          "(EmoBox Table 4 layout)", describe_setting(group[0].key), columns,
                          out, bold))
    return grids


def table5(matrices: Sequence[CrossMatrix], compare_paper: bool = False) -> list[Grid]:
    """EmoBox Table 5: one row per train → test pair, one column per model, and the Eq. 1
    average; with `compare_paper` the published accuracy beside each model."""
    from emobox.report.paper import table5 as published

    paper = published() if compare_paper else {}
    groups: dict[str, list[CrossMatrix]] = defaultdict(list)
    for m in matrices:
        groups[describe_setting(m.key)].append(m)
    grids = []
    for note, group in groups.items():
        pairs = sorted({p for m in group for p in m.matrix})
        columns = ["train → test"]
        for m in group:
            columns += [m.model] + ([f"{m.model} (paper)"] if compare_paper else [])
        rows = []
        for i, j in pairs:
            line = [f"{i} → {j}"]
            for m in group:
                line.append(_pct(m.matrix.get((i, j))))
                if compare_paper:
                    line.append(_pct(paper.get((m.model, i, j))))
            rows.append(line)
        avg = ["average (Eq. 1)"]
        for m in group:
            avg.append(_pct(m.average))
            if compare_paper:
                vals = [paper[(m.model, i, j)] for i, j in pairs if (m.model, i, j) in paper]
                avg.append(_pct(sum(vals) / len(vals)) if vals else "")
        rows.append(avg)
        grids.append(Grid("Cross-corpus accuracy (EmoBox Table 5 layout)", note, columns, rows))
    return grids


def table3(matrices: Sequence[OodMatrix]) -> list[Grid]:
    """SER Evals Table 3: one row per model with ID mean/std, OOD mean/std, weighted score."""
    groups: dict[str, list[OodMatrix]] = defaultdict(list)
    for m in matrices:
        splits = "SER Evals random 80/20" if m.key.scheme == "serval" else "ours"
        groups[f"{m.metric} · prior {m.key.prior} · recipe {m.key.recipe} · splits "
               f"{splits}"].append(m)
    grids = []
    for note, group in groups.items():
        rows = []
        for m in sorted(group, key=lambda m: -m.summary["weighted"]):
            s = m.summary
            rows.append([m.model, *(f"{s[k]:.4f}" for k in ("id_mean", "id_std", "ood_mean",
                                                            "ood_std", "weighted"))])
        grids.append(Grid("In-domain / out-of-domain summary (SER Evals Table 3 layout)", note,
                          ["model", "ID mean", "ID std", "OOD mean", "OOD std", "weighted"],
                          rows))
    return grids
