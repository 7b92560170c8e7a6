"""Everything a report shows of a set of runs, built once and rendered in every format: the
intra-corpus rows, the cross-corpus and OOD matrices, the layer curves — each grouped by its
whole identity (`report.tables`) — and their JSON."""

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


def build_views(records: Sequence[RunRecord], *, ood_metric: str = "macro_f1",
                db: ResultsDB | None = None, workspace: Workspace | None = None,
                resampling: Resampling | None = None) -> Views:
    """The views of `records`; with `db` every cell gets its bootstrap interval and Table 4
    its ranks with ties (speaker level where `workspace` has the manifests and splits)."""
    from emobox.report.significance import CellStats

    stats = CellStats(db, records, workspace, resampling) if db is not None else None
    return Views(intra_rows(records), cross_matrices(records),
                 ood_matrices(records, ood_metric), layer_curves(records), stats)


def report_grids(views: Views, *, metric: str = "ua", compare_paper: bool = False,
                 ece: bool = False) -> list[tuple[str, Grid]]:
    """Every table of a report as (kind, grid), in the order shown — the one list that the
    terminal, the text formats and the HTML site render; `ece` adds the calibration
    tables (`report.calibration`)."""
    from emobox.report.formats import layer_grids, table3, table4, table5

    grids = [*(("intra", g) for g in table4(views.intra, metric, compare_paper, views.stats)),
             *(("cross", g) for g in table5(views.cross, compare_paper, views.stats)),
             *(("ood", g) for g in table3(views.ood, views.stats)),
             *(("layers", g) for g in layer_grids(views.layers, views.stats))]
    if ece and views.stats is not None:
        from emobox.report.calibration import ece_grids

        grids += [("ece", g) for g in ece_grids(views, views.stats.db)]
    return grids


def print_views(console: Any, views: Views) -> None:
    print_tables(console, views.intra, views.cross, ood=views.ood, layers=views.layers)


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
            "layers": views.layers}


def _interval(stats: CellStats, run_ids: Sequence[str], metrics: Sequence[str], method: str
              ) -> dict[str, Any]:
    found = {m: stats.interval(run_ids, m) for m in metrics}
    if any(v is None for v in found.values()):
        return {"interval": None, "level": None, "interval_method": method}
    return {"interval": {m: {"low": lo, "high": hi} for m, (lo, hi) in found.items()},
            "level": stats.level(run_ids), "interval_method": method}
