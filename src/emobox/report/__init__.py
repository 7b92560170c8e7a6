"""Reports generated from the results database."""

from emobox.report.tables import IntraRow, cross_matrix, cross_table, intra_rows, intra_table

__all__ = ["IntraRow", "cross_matrix", "cross_table", "intra_rows", "intra_table"]
