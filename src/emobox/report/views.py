"""Everything a report shows of a set of runs, built once and rendered in every format: the
intra-corpus rows, the cross-corpus and OOD matrices, the layer curves — each grouped by its
whole identity (`report.tables`) — and their JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
from emobox.runs.results import RunRecord

if TYPE_CHECKING:
    from emobox.report.formats import Grid


@dataclass
class Views:
    """The report of a set of runs."""

    intra: list[IntraRow] = field(default_factory=list)
    cross: list[CrossMatrix] = field(default_factory=list)
    ood: list[OodMatrix] = field(default_factory=list)
    layers: list[dict[str, Any]] = field(default_factory=list)


def build_views(records: Sequence[RunRecord], *, ood_metric: str = "macro_f1") -> Views:
    return Views(intra_rows(records), cross_matrices(records),
                 ood_matrices(records, ood_metric), layer_curves(records))


def report_grids(views: Views, *, metric: str = "ua", compare_paper: bool = False,
                 intervals: dict[str, tuple[float, float]] | None = None,
                 ci_note: str = "") -> list[tuple[str, Grid]]:
    """Every table of a report as (kind, grid), in the order shown — the one list that the
    terminal, the text formats and the HTML site render."""
    from emobox.report.formats import layer_grids, table3, table4, table5

    return [*(("intra", g) for g in table4(views.intra, metric, compare_paper, intervals,
                                            ci_note)),
            *(("cross", g) for g in table5(views.cross, compare_paper)),
            *(("ood", g) for g in table3(views.ood)),
            *(("layers", g) for g in layer_grids(views.layers))]


def print_views(console: Any, views: Views) -> None:
    print_tables(console, views.intra, views.cross, ood=views.ood, layers=views.layers)


def views_json(views: Views) -> dict[str, Any]:
    return {"intra": intra_json(views.intra), "cross": cross_json(views.cross),
            "ood": ood_json(views.ood), "layers": views.layers}
