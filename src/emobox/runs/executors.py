"""Where a grid's cells run: in this process (``local``) or as Ray tasks (``ray``: on this
machine's cores, or on a cluster with ``RAY_ADDRESS`` set). Each Ray task opens the results
database itself; SQLite in WAL mode with a busy timeout lets several writers store their runs
at once, each run in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from emobox.errors import EmoboxError

EXECUTORS = ("local", "ray")


def run_tasks(tasks: Sequence[tuple[Callable[..., Any], dict[str, Any]]], executor: str = "local",
              *, workers: int | None = None) -> list[Any]:
    """Call every ``(function, kwargs)`` and return the results in order."""
    if executor not in EXECUTORS:
        raise EmoboxError(f"--executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    if executor == "local":
        return [fn(**kwargs) for fn, kwargs in tasks]
    from emobox.cluster import start_ray

    started = start_ray(workers)
    import ray

    try:
        remote = ray.remote(num_cpus=1)(_call)
        return ray.get([remote.remote(fn, kwargs) for fn, kwargs in tasks])
    finally:
        if started:
            ray.shutdown()


def _call(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    import torch

    torch.set_num_threads(1)
    return fn(**kwargs)


def protocol_task(protocol: str, root: str, **kwargs: Any) -> list[Any]:
    """One cell of a grid, self-contained for any executor: opens the workspace and the
    results database itself and runs `protocol` (intra, cross, ood, layers) with `kwargs`."""
    from pathlib import Path

    from emobox.runs.ood import run_ood
    from emobox.runs.protocols import run_cross, run_intra, run_layers
    from emobox.runs.results import ResultsDB
    from emobox.workspace import Workspace

    workspace = Workspace(Path(root))
    function = {"intra": run_intra, "cross": run_cross, "ood": run_ood,
                "layers": run_layers}[protocol]
    with ResultsDB(workspace.results) as db:
        return function(workspace, db=db, show_progress=False, **kwargs)
