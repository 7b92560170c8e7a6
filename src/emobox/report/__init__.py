"""Reports generated from the results database."""

from emobox.report.calibration import Reliability, ece, reliability, run_calibration
from emobox.report.compare import compare_grids
from emobox.report.significance import CellStats, Difference, Resampling, rank_with_ties
from emobox.report.tables import (
    CrossMatrix,
    IntraRow,
    cross_json,
    cross_matrices,
    cross_table,
    intra_caption,
    intra_json,
    intra_rows,
    intra_table,
    layer_curves,
    ood_json,
    ood_matrices,
    ood_table,
    print_tables,
)

__all__ = ["CellStats", "CrossMatrix", "Difference", "IntraRow", "Reliability", "Resampling",
           "compare_grids", "cross_json", "cross_matrices", "cross_table", "ece",
           "intra_caption", "intra_json", "intra_rows", "intra_table", "layer_curves",
           "ood_json", "ood_matrices", "ood_table", "print_tables", "rank_with_ties",
           "reliability", "run_calibration"]
