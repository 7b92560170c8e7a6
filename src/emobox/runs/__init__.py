"""Benchmark protocols, run identities and the results database.

Names are imported on first use, so the command line can read the protocol registry and its
defaults (`emobox.runs.spec`) without paying for torch."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RunKey": "emobox.runs.key",
    "run_key": "emobox.runs.identity",
    "ProtocolRun": "emobox.runs.spec",
    "PROTOCOLS": "emobox.runs.spec",
    "load_config": "emobox.runs.spec",
    "IntraPlan": "emobox.runs.protocols",
    "RunResult": "emobox.runs.protocols",
    "evaluate_and_store": "emobox.runs.protocols",
    "plan_intra": "emobox.runs.protocols",
    "run_cross": "emobox.runs.protocols",
    "run_intra": "emobox.runs.protocols",
    "run_layers": "emobox.runs.protocols",
    "run_ood": "emobox.runs.ood",
    "execute": "emobox.runs.executors",
    "ResultsDB": "emobox.runs.results",
    "RunRecord": "emobox.runs.results",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'emobox.runs' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
