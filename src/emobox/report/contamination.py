"""Contamination flags: which cells of a report test on data the model may have seen.

A cell is marked (`MARK`, with the reason) when

* its test corpus is among the corpora the model's pre-training or fine-tuning data are
  stated to contain (`features.registry`: `TrainingData.corpora`), or the data contain
  EmoBox's corpora without naming which and the test corpus is an EmoBox corpus; or
* its test set was selected with pseudo-labels of a model of the same lineage as the model
  (`partition.balanced.Selection`: EmoBox's track2 lists were selected with emotion2vec).

The model of a run is its run identity's (the feature store's recorded model,
`RunKey.features`), never a folder name. A model outside the registry, or a registry model
whose data's corpora are not stated, gets no mark and is counted as "unknown training data".
This module only reads the facts; they live in the registry and the balanced-set records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from emobox.features.registry import EMOBOX, MODELS, ModelInfo
from emobox.partition.balanced import Selection
from emobox.report.tables import MARK
from emobox.runs.key import RunKey

if TYPE_CHECKING:
    from emobox.report.formats import Grid
    from emobox.report.views import Views
    from emobox.workspace import Workspace

#: (test corpus, test split name) → how that test set was selected (None: not recorded)
Selections = Callable[[str, str], Selection | None]


def model_record(key: RunKey) -> ModelInfo | None:
    """The registry record of the model a run's features came from (its recorded identity:
    a registry model at its default revision), else None."""
    who = dict(key.features).get("identity") or {}
    if who.get("kind") != "registry" or who.get("revision") not in (None, "main"):
        return None
    return MODELS.get(who.get("name", ""))


@cache
def emobox_corpora() -> frozenset[str]:
    """The corpus ids of EmoBox's 32 corpora (`CorpusInfo.protocols`)."""
    from emobox.corpora import list_corpora

    return frozenset(c.info.name for c in list_corpora("emobox"))


def reasons(record: ModelInfo, corpus: str, selection: Selection | None = None) -> list[str]:
    """Why `record` may have seen the test data of `corpus` (empty: no stated reason)."""
    found = []
    for stage, data in record.stages:
        if isinstance(data.corpora, tuple) and corpus in data.corpora:
            found.append(f"{record.name}'s {stage} data include {corpus} ({data.source})")
        elif data.corpora == EMOBOX and corpus in emobox_corpora():
            found.append(f"{record.name}'s {stage} data include EmoBox corpora, which not "
                         f"stated ({data.source})")
    if selection is not None and record.lineage and selection.lineage == record.lineage:
        found.append(f"the {corpus} test set was selected with pseudo-labels of "
                     f"{selection.labeler} ({selection.source}), {record.name}'s own lineage "
                     f"({record.lineage})")
    return found


def known(record: ModelInfo | None) -> bool:
    """Whether the corpora of every training stage of the model are stated."""
    return record is not None and all(d.known for _, d in record.stages)


@dataclass
class Flags:
    """The marks of a report: run id → reason, and the run ids of unmarked cells whose
    model's training data are unknown; `exclude`: marked cells are left out of averages."""

    marks: dict[str, str] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)
    exclude: bool = False

    def note(self, run_ids: Iterable[str]) -> str:
        """The caption line of a table showing the cells of `run_ids`: how many are marked,
        whether the averages include them, their reasons, and how many cells are of models
        with unknown training data."""
        ids = set(run_ids)
        marked = sorted(ids & set(self.marks))
        unknown = len(ids & self.unknown)
        parts = []
        if marked:
            what = ("left out of the averages, which are over fewer cells" if self.exclude
                    else "included in the averages (--exclude-contaminated leaves them out)")
            why = "; ".join(sorted({self.marks[r] for r in marked}))
            parts.append(f"{MARK} {len(marked)} cell(s) whose test data the model may have "
                         f"seen, {what}: {why}")
        if unknown:
            parts.append(f"{unknown} cell(s) of models with unknown training data (not "
                         "marked)")
        return " · ".join(parts)


def flag_views(views: Views, *, exclude: bool = False,
               selections: Selections | None = None) -> Flags:
    """Mark every intra row and matrix cell of `views` whose model may have seen its test
    data (in place: `IntraRow.mark`, `marks` of each matrix; with `exclude` also `dropped`,
    which every average honours); each matrix caption says what it marked and left out."""
    flags = Flags(exclude=exclude)

    def judge(key: RunKey, corpus: str, split: str | None, run_ids: Iterable[str]) -> str:
        record = model_record(key)
        selection = selections(corpus, split) if selections and split else None
        why = "; ".join(reasons(record, corpus, selection)) if record else ""
        for run_id in run_ids:
            if why:
                flags.marks[run_id] = why
            elif not known(record):
                flags.unknown.add(run_id)
        return why

    for row in views.intra:
        row.mark = judge(row.key, row.corpus, None, row.run_ids)
        row.dropped = bool(row.mark) and exclude
    for m in [*views.cross, *views.ood]:
        split = m.key.scheme_params.get("test_split") if m in views.cross else None
        for (i, j), run_id in m.runs.items():
            why = judge(m.key, j, split, [run_id])
            if why:
                m.marks[(i, j)] = why
        m.dropped = set(m.marks) if exclude else set()
        note = flags.note(m.runs.values())
        if note:
            m.caption += f" · {note}"
    return flags


def mark_grid(grid: Grid, flags: Flags, *, note: bool = True) -> Grid:
    """Add the mark to every cell of `grid` linked to a marked run (`Grid.links`), its
    reason to the cell's hover text (`Grid.tips`), and (with `note`; a matrix's grid has it
    from the matrix caption already) the count to the grid's note."""
    for cell, run_id in grid.links.items():
        why = flags.marks.get(run_id)
        if why:
            i, j = cell
            if not grid.rows[i][j].endswith(MARK):
                grid.rows[i][j] += MARK
            tip = grid.tips.get(cell)
            grid.tips[cell] = f"{tip} · {MARK} {why}" if tip else f"{MARK} {why}"
    text = flags.note(grid.links.values()) if note else ""
    if text:
        grid.note += f" · {text}"
    return grid


def workspace_selections(workspace: Workspace) -> Selections:
    """How each test split of `workspace` was selected, as its splits file records it
    (`emobox balance` and the cross protocol's balanced sets write ``selection``)."""
    from emobox.partition import Splits

    def lookup(corpus: str, split: str) -> Selection | None:
        path = workspace.splits(corpus, split)
        if not path.is_file():
            return None
        recorded = Splits.load(path).params.get("selection")
        return Selection.from_dict(recorded) if isinstance(recorded, dict) else None

    return lookup
