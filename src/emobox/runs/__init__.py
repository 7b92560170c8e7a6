"""Benchmark protocols and the results database."""

from emobox.runs.protocols import RunResult, run_cross, run_intra
from emobox.runs.results import ResultsDB, RunRecord

__all__ = ["ResultsDB", "RunRecord", "RunResult", "run_cross", "run_intra"]
