"""Everything a report shows of a set of runs, built once and rendered in every format: the
intra-corpus rows, the cross-corpus and OOD matrices, the layer curves — each grouped by its
whole identity (`report.tables`) — their contamination marks (`report.contamination`), the
per-group averages (`report.groups`) and their JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emobox.metrics import METRICS
from emobox.report.tables import (
    CrossMatrix,
    IntraRow,
    OodMatrix,
    cross_json,
    cross_matrices,
    intra_json,
    intra_rows,
    layer_curves,
    ood_json,
    ood_matrices,
    print_tables,
)
from emobox.runs.results import ResultsDB, RunRecord

if TYPE_CHECKING:
    from emobox.report.contamination import Flags, Selections
    from emobox.report.cost import CostRow
    from emobox.report.formats import Grid
    from emobox.report.significance import CellStats, Resampling
    from emobox.workspace import Workspace


@dataclass
class Views:
    """The report of a set of runs."""

    intra: list[IntraRow] = field(default_factory=list)
    cross: list[CrossMatrix] = field(default_factory=list)
    ood: list[OodMatrix] = field(default_factory=list)
    layers: list[dict[str, Any]] = field(default_factory=list)
    #: intervals and paired tests from the stored predictions (None: built without a db)
    stats: CellStats | None = None
    flags: Flags | None = None  # the contamination marks of its cells
    cost: list[CostRow] = field(default_factory=list)


def build_views(records: Sequence[RunRecord], *, ood_metric: str = "macro_f1",
                db: ResultsDB | None = None, workspace: Workspace | None = None,
                resampling: Resampling | None = None, exclude_contaminated: bool = False,
                selections: Selections | None = None) -> Views:
    """The views of `records`. With `db` every cell gets its bootstrap interval and Table 4
    its ranks with ties (speaker level where `workspace` has the manifests and splits); every
    cell whose model may have seen its test data is marked (`selections`: how each balanced
    test set was selected, e.g. `contamination.workspace_selections`), and
    `exclude_contaminated` leaves those cells out of every average; with `workspace` the cost
    table reads its feature stores (without, it holds the training time of the runs only)."""
    from emobox.report.contamination import flag_views
    from emobox.report.cost import cost_rows
    from emobox.report.significance import CellStats

    stats = CellStats(db, records, workspace, resampling) if db is not None else None
    views = Views(intra_rows(records), cross_matrices(records),
                  ood_matrices(records, ood_metric), layer_curves(records), stats=stats,
                  cost=cost_rows(records, workspace))
    views.flags = flag_views(views, exclude=exclude_contaminated, selections=selections)
    return views


def report_grids(views: Views, *, metric: str = "ua", compare_paper: bool = False,
                 ece: bool = False) -> list[tuple[str, Grid]]:
    """Every table of a report as (kind, grid), in the order shown — the one list that the
    terminal, the text formats and the HTML site render; `ece` adds the calibration
    tables (`report.calibration`)."""
    from emobox.report.contamination import Flags, mark_grid
    from emobox.report.cost import cost_grid
    from emobox.report.formats import layer_grids, table3, table4, table5

    flags = views.flags or Flags()
    grids = [*(("intra", mark_grid(g, flags))
               for g in table4(views.intra, metric, compare_paper, views.stats)),
             *(("groups", g) for g in groups(views, metric)),
             *(("cross", mark_grid(g, flags, note=False))
               for g in table5(views.cross, compare_paper, views.stats)),
             *(("ood", g) for g in table3(views.ood, views.stats)),
             *(("layers", g) for g in layer_grids(views.layers, views.stats))]
    if ece and views.stats is not None:
        from emobox.report.calibration import ece_grids

        grids += [("ece", g) for g in ece_grids(views, views.stats.db)]
    return grids + [("cost", g) for g in cost_grid(views.cost)]


def groups(views: Views, metric: str = "ua") -> list[Grid]:
    """The per-language, per-source and per-number-of-classes grids, their notes saying how
    many intra-corpus cells are marked and whether the averages include them."""
    from emobox.report.groups import group_grids

    grids = group_grids(views.intra, metric)
    note = views.flags.note(row.run_ids[0] for row in views.intra) if views.flags else ""
    for grid in grids:
        grid.note += f" · {note}" if note else ""
    return grids


def print_views(console: Any, views: Views, metric: str = "ua") -> None:
    """The terminal report: the tables, the per-group averages and the contamination
    footnote of the intra-corpus rows, the cost table."""
    from emobox.report.cost import cost_grid

    print_tables(console, views.intra, views.cross, ood=views.ood, layers=views.layers)
    for grid in groups(views, metric):
        console.print(grid.rich())
        console.print(f"[dim]{grid.note}[/]", soft_wrap=True)
    note = views.flags.note(row.run_ids[0] for row in views.intra) \
        if views.flags else ""
    if note:
        console.print(f"[dim]intra-corpus: {note}[/]", soft_wrap=True)
    for grid in cost_grid(views.cost):
        console.print(grid.rich())
        console.print(f"[dim]{grid.note}[/]", soft_wrap=True)


def views_json(views: Views) -> dict[str, Any]:
    """The views as JSON; with stats each intra row and cross pair gains ``interval`` (low,
    high per metric, fractions), ``level`` and ``interval_method``."""
    intra, cross = intra_json(views.intra), cross_json(views.cross)
    stats = views.stats
    if stats is not None:
        method = stats.resampling.describe()
        for entry, row in zip(intra, views.intra):
            entry.update(_interval(stats, row.run_ids, METRICS, method))
        for entry, m in zip(cross, views.cross):
            for pair in entry["pairs"]:
                run = m.runs.get((pair["train"], pair["test"]))
                if run is not None:
                    pair.update(_interval(stats, [run], ("wa",), method))
    return {"intra": intra, "cross": cross, "ood": ood_json(views.ood),
            "layers": views.layers, "groups": [g.to_dict() for g in groups(views)],
            "contamination": {"marked": len(views.flags.marks), "excluded": views.flags.exclude,
                              "unknown_training_data": len(views.flags.unknown)}
            if views.flags else None,
            "cost": [{**vars(r), "per_audio_hour": r.per_audio_hour} for r in views.cost]}


def _interval(stats: CellStats, run_ids: Sequence[str], metrics: Sequence[str], method: str
              ) -> dict[str, Any]:
    found = {m: stats.interval(run_ids, m) for m in metrics}
    if any(v is None for v in found.values()):
        return {"interval": None, "level": None, "interval_method": method}
    return {"interval": {m: {"low": lo, "high": hi} for m, (lo, hi) in found.items()},
            "level": stats.level(run_ids), "interval_method": method}
