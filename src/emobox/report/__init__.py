"""Reports generated from the results database."""

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

__all__ = ["CrossMatrix", "IntraRow", "cross_json", "cross_matrices",
           "cross_table", "intra_caption", "intra_json", "intra_rows", "intra_table",
           "layer_curves", "ood_json", "ood_matrices", "ood_table", "print_tables"]
