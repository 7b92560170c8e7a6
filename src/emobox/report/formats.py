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
from typing import TYPE_CHECKING

import numpy as np
from rich.markup import escape
from rich.table import Table

from emobox.report.bootstrap import percentile_interval
from emobox.report.tables import (
    CrossMatrix,
    IntraRow,
    OodMatrix,
    intra_caption,
)

if TYPE_CHECKING:
    from emobox.report.significance import CellStats

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
    #: cell -> its bootstrap interval (fractions); CSV and JSON also give it as numbers
    intervals: dict[tuple[int, int], tuple[float, float]] = field(default_factory=dict)

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
        """The cells as shown, and after each column with intervals its bounds in percent
        as two numeric columns (``<column> low``, ``<column> high``)."""
        with_ci = {j for _, j in self.intervals}
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([x for j, c in enumerate(self.columns)
                         for x in ([c, f"{c} low", f"{c} high"] if j in with_ci else [c])])
        for i, row in enumerate(self.rows):
            line = []
            for j, c in enumerate(row):
                line.append(c)
                if j in with_ci:
                    ci = self.intervals.get((i, j))
                    line += [f"{100 * ci[0]:.2f}", f"{100 * ci[1]:.2f}"] if ci else ["", ""]
            writer.writerow(line)
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
        table = Table(title=escape(self.title), caption=None)
        for i, c in enumerate(self.columns):
            table.add_column(escape(c), justify="left" if i == 0 else "right")
        for i, row in enumerate(self.rows):
            table.add_row(*(f"[bold]{escape(c)}[/]" if (i, j) in self.bold else escape(c)
                            for j, c in enumerate(row)))
        return table

    def to_dict(self) -> dict:
        return {"title": self.title, "note": self.note, "columns": self.columns,
                "rows": self.rows,
                "intervals": [{"row": i, "column": j, "low": lo, "high": hi}
                              for (i, j), (lo, hi) in sorted(self.intervals.items())]}

    def render(self, fmt: str) -> str:
        return {"md": self.markdown, "csv": self.csv, "latex": self.latex}[fmt]()


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def paper_name(key) -> str | None:
    """The registry name of the paper model whose features a run used, or None (a paper
    figure sits only beside runs of the paper's own model)."""
    from emobox.features.registry import paper_model

    return paper_model(dict(key.features))


def _ci(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"


def _metric_name(metric: str) -> str:
    return {"macro_f1": "F1", "micro_f1": "WA"}.get(metric, metric.upper())


def table4(rows: Sequence[IntraRow], metric: str = "ua", compare_paper: bool = False,
           stats: CellStats | None = None) -> list[Grid]:
    """EmoBox Table 4: corpora × settings (a column per model and per differing setting)
    with `metric` mean ± std over folds in percent; with `stats` each mean's bootstrap
    interval [low, high] and ranks with ties by paired significance (`rank_with_ties`),
    else ranks by the mean alone; ranks 1–3 marked ¹²³ (bold: rank 1); with
    `compare_paper` a "paper" column beside each setting of a paper model."""
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
    out, bold, links, tips, cis = [], set(), {}, {}, {}
    levels: dict[str, list[str]] = defaultdict(list)
    untested = 0
    for i, corpus in enumerate(corpora):
        here = {lab: cell[(lab, corpus)] for lab in labels if (lab, corpus) in cell}
        values = {lab: r.stats[metric][0] for lab, r in here.items()}
        if stats is not None:
            ranks, skipped = stats.ranks({lab: r.run_ids for lab, r in here.items()}, values,
                                         metric)
            untested += skipped
        else:
            ranks = {lab: n for n, lab in enumerate(sorted(values, key=lambda x: -values[x]),
                                                    1)}
        best = min(ranks, key=lambda lab: (ranks[lab], -values[lab]))
        line = [corpus]
        for lab in labels:
            r = here.get(lab)
            text = "" if r is None else r.value(metric)
            j = len(line)
            if r is not None:
                links[(i, j)] = r.run_ids[0]
                if stats is not None:
                    ci = stats.interval(r.run_ids, metric)
                    level = stats.level(r.run_ids) or "no stored predictions: no interval"
                    levels[level].append(corpus)
                    if ci is not None:
                        cis[(i, j)] = ci
                        text += _ci(ci)
                        tips[(i, j)] = _tip(stats, metric, r.run_ids, here[best].run_ids,
                                            lab, best, level)
            if r is not None and len(ranks) > 1 and ranks[lab] <= 3:
                text += MARKS[ranks[lab]]
                if ranks[lab] == 1:
                    bold.add((i, j))
            line.append(text)
            if compare_paper:
                line.append(_pct(paper.get((papers[lab], corpus), {}).get(metric))
                            if papers[lab] else "")
        out.append(line)
    note = f"{intra_caption(rows)} · percent, mean ± std over folds"
    if stats is not None:
        note += " · " + interval_note(stats, levels, "of the mean over folds") + " · " + \
            rank_note(stats, metric, untested)
    else:
        note += " · ¹²³: best three by the mean; bold: the best"
    if compare_paper:
        note += " · paper: EmoBox Table 4, beside runs of the paper's own model only"
    return [Grid(f"Intra-corpus {_metric_name(metric)} (EmoBox Table 4 layout)", note,
                 columns, out, bold, links, tips, cis)]


def _tip(stats: CellStats, metric: str, ids: Sequence[str], best_ids: Sequence[str],
         label: str, best: str, level: str) -> str:
    """Hover text of a Table 4 cell: its interval, level and its test against the best."""
    ci = stats.interval(ids, metric)
    text = f"{_metric_name(metric)}{_ci(ci)}: {stats.resampling.describe()}, {level} level"
    if label == best:
        return text + "; the best of this corpus"
    d = stats.compare(best_ids, ids, metric)
    if d is None:
        return text + f"; not tested against {best}: {stats.unpaired(best_ids, ids)}"
    return (text + f"; {best} − this: {100 * d.diff:+.1f} [{100 * d.low:+.1f}, "
            f"{100 * d.high:+.1f}], p = {d.p:.3f} (paired, {d.level} level)")


def interval_note(stats: CellStats, levels: dict[str, list[str]], what: str) -> str:
    """The caption of a grid's intervals: method, confidence, resamples, seed, and which
    cells were resampled at which level."""
    where = "; ".join(f"{lvl}: {', '.join(sorted(set(cells)))}"
                      for lvl, cells in sorted(levels.items()))
    return (f"[low, high]: the {stats.resampling.describe()} {what}, the test utterances or "
            f"whole test speakers resampled within each fold · level — {where}")


def rank_note(stats: CellStats, metric: str, untested: int) -> str:
    """The caption of ranks with ties."""
    r = stats.resampling
    note = (f"¹²³: ranks with ties — the best remaining setting leads a rank and the next "
            f"ones share it while their {_metric_name(metric)} difference to it is not "
            f"significant (paired bootstrap on the same test utterances, same resamples, "
            f"two-sided p ≥ α = {r.alpha:g}, {r.n} resamples, seed {r.seed}; each test at "
            f"level α, no multiple-comparison correction); bold: rank 1")
    if untested:
        note += (f" · {untested} comparison(s) not testable (different test utterances or "
                 "no stored predictions): ranked by the mean alone")
    return note


def table5(matrices: Sequence[CrossMatrix], compare_paper: bool = False,
           stats: CellStats | None = None) -> list[Grid]:
    """EmoBox Table 5: one row per train → test pair, one column per matrix (model and
    differing settings), and the Eq. 1 average of each complete matrix; with `stats` the
    bootstrap interval of every cell and of each average (replicate by replicate the mean
    over the pairs); with `compare_paper` the published accuracy beside each matrix of a
    paper model."""
    from emobox.report.paper import table5 as published

    if not matrices:
        return []
    paper = published() if compare_paper else {}
    pairs = sorted({p for m in matrices for p in m.expected})
    columns = ["train → test"]
    for m in matrices:
        columns += [m.label] + ([f"{m.label} (paper)"] if compare_paper else [])
    rows, links, cis = [], {}, {}
    levels: dict[str, list[str]] = defaultdict(list)
    for i, j in pairs:
        line = [f"{i} → {j}"]
        for m in matrices:
            value = m.matrix.get((i, j))
            text = _pct(value) if value is not None else \
                "missing" if (i, j) in m.expected else ""
            if (i, j) in m.runs:
                links[(len(rows), len(line))] = m.runs[(i, j)]
                if stats is not None:
                    ci = stats.interval([m.runs[(i, j)]], "wa")
                    levels[stats.level([m.runs[(i, j)]]) or
                           "no stored predictions: no interval"].append(f"{i}→{j}")
                    if ci is not None:
                        cis[(len(rows), len(line))] = ci
                        text += _ci(ci)
            line.append(text)
            if compare_paper:
                line.append(_pct(paper.get((paper_name(m.key), i, j))))
        rows.append(line)
    avg = ["average (Eq. 1)"]
    for m in matrices:
        text = _pct(m.average) if m.complete else f"incomplete ({len(m.missing)} missing)"
        if m.complete and stats is not None:
            reps = [stats.replicates([m.runs[p]], "wa") for p in m.expected]
            if all(r is not None for r in reps):
                ci = percentile_interval(np.mean(reps, axis=0), stats.resampling.level)
                cis[(len(rows), len(avg))] = ci
                text += _ci(ci)
        avg.append(text)
        if compare_paper:
            vals = [paper[(paper_name(m.key), i, j)] for i, j in m.expected
                    if (paper_name(m.key), i, j) in paper]
            avg.append(_pct(sum(vals) / len(vals)) if vals else "")
    rows.append(avg)
    notes = sorted({m.caption for m in matrices})
    if stats is not None:
        notes.append(interval_note(stats, levels, "of each accuracy (and of each Eq. 1 "
                                   "average: the mean of its pairs' replicates)"))
    return [Grid("Cross-corpus accuracy, percent (EmoBox Table 5 layout)",
                 " | ".join(notes), columns, rows, links=links, intervals=cis)]


#: The Table 3 reductions, in column order.
REDUCTIONS = ("id_mean", "id_std", "ood_mean", "ood_std", "weighted")


def table3(matrices: Sequence[OodMatrix], stats: CellStats | None = None) -> list[Grid]:
    """SER Evals Table 3: one row per matrix (model and differing settings) with ID mean/std,
    OOD mean/std and the weighted score in percent — for complete matrices; an incomplete
    one is listed with its missing cells and not reduced. With `stats` each reduction's
    bootstrap interval: the reductions of every replicate matrix (each cell resampled)."""
    if not matrices:
        return []
    rows, cis = [], {}
    levels: dict[str, list[str]] = defaultdict(list)
    ranked = sorted(matrices, key=lambda m: -(m.summary or {}).get("weighted", -1e9))
    for m in ranked:
        s = m.summary
        if s is None:
            why = (f"incomplete: {len(m.missing)} of {len(m.expected)} cells missing"
                   if not m.complete else "no out-of-domain cell")
            rows.append([m.label, why, "", "", "", ""])
            continue
        bounds = ood_intervals(stats, m, levels) if stats is not None else {}
        for j, k in enumerate(REDUCTIONS, 1):
            if k in bounds:
                cis[(len(rows), j)] = bounds[k]
        rows.append([m.label, *(f"{100 * s[k]:.1f}{_ci(bounds.get(k))}" for k in REDUCTIONS)])
    notes = sorted({f"{m.metric} · {m.caption}" for m in matrices})
    if stats is not None:
        notes.append(interval_note(stats, levels, "of each reduction (the reductions of "
                                   "every replicate matrix, each cell resampled)"))
    return [Grid("In-domain / out-of-domain summary, percent (SER Evals Table 3 layout)",
                 " | ".join(notes), ["setting", "ID mean", "ID std", "OOD mean", "OOD std",
                                     "weighted"], rows, intervals=cis)]


def ood_intervals(stats: CellStats, m: OodMatrix, levels: dict[str, list[str]]
                  ) -> dict[str, tuple[float, float]]:
    """The interval of each Table 3 reduction of a complete matrix (none when a cell has
    no stored predictions), from `CellStats.ood_replicates`."""
    for pair in m.expected:
        run = m.runs.get(pair)
        levels[(stats.level([run]) if run else None) or
               "no stored predictions: no interval"].append(f"{pair[0]}→{pair[1]}")
    summaries = stats.ood_replicates(m)
    if summaries is None:
        return {}
    return {k: percentile_interval(np.array([s[k] for s in summaries]), stats.resampling.level)
            for k in REDUCTIONS}


def layer_grids(curves: Sequence[dict], stats: CellStats | None = None) -> list[Grid]:
    """`run layers`: one layer × corpus table per setting (UA mean ± std over folds in
    percent, with `stats` its bootstrap interval; each corpus's best layer bold)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for c in curves:
        groups[c["setting"]].append(c)
    grids = []
    for setting, group in groups.items():
        layers = sorted({int(layer) for c in group for layer in c["ua"]})
        corpora = [c["corpus"] for c in group]
        rows, bold, cis = [], set(), {}
        levels: dict[str, list[str]] = defaultdict(list)
        for i, layer in enumerate(layers):
            line = [str(layer)]
            for j, c in enumerate(group, 1):
                stats_ = {int(k): v for k, v in c["ua"].items()}
                folds = {int(k): v for k, v in c.get("folds", {}).items()}
                if layer not in stats_:
                    line.append("")
                    continue
                mean, std = stats_[layer]
                text = (f"{100 * mean:.1f}" if folds.get(layer, 2) == 1
                        else f"{100 * mean:.1f} ± {100 * std:.1f}")
                ids = {int(k): v for k, v in c.get("runs", {}).items()}.get(layer)
                if stats is not None and ids:
                    ci = stats.interval(ids, "ua")
                    levels[stats.level(ids) or "no stored predictions: no interval"].append(
                        c["corpus"])
                    if ci is not None:
                        cis[(i, j)] = ci
                        text += _ci(ci)
                line.append(text)
                if layer == c["best_layer"]:
                    bold.add((i, j))
            rows.append(line)
        note = (f"{group[0]['caption']} · percent, mean ± std over folds; bold: each "
                "corpus's best layer")
        if stats is not None:
            note += " · " + interval_note(stats, levels, "of the mean over folds")
        grids.append(Grid(f"UA per layer ({setting})", note, ["layer", *corpora], rows, bold,
                          intervals=cis))
    return grids
