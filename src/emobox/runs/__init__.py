"""Benchmark protocols, run identities and the results database."""

from emobox.runs.key import RunKey
from emobox.runs.protocols import (
    IntraPlan,
    RunResult,
    evaluate_and_store,
    plan_intra,
    run_cross,
    run_intra,
)
from emobox.runs.results import ResultsDB, RunRecord

__all__ = ["IntraPlan", "ResultsDB", "RunKey", "RunRecord", "RunResult", "evaluate_and_store",
           "plan_intra", "run_cross", "run_intra"]
