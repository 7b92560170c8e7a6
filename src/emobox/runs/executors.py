"""From the description of a protocol run to its results: `cells` turns a `ProtocolRun` into
the grid's self-contained cells (one per model and corpus for intra and layers, one per model
for cross and ood), and `execute` runs them in this process (``local``) or as Ray tasks
(``ray``: on this machine's cores, or on a cluster with ``RAY_ADDRESS`` set). Each Ray task
opens the results database itself; SQLite in WAL mode with a busy timeout lets several writers
store their runs at once, each run in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from emobox.errors import EmoboxError
from emobox.runs.spec import EXECUTORS, ProtocolRun
from emobox.workspace import Workspace


@dataclass(frozen=True)
class Cell:
    """One unit of a grid: a protocol function's keyword arguments (picklable)."""

    protocol: str
    kwargs: dict[str, Any] = field(hash=False)


def protocol_function(protocol: str) -> Callable[..., list[Any]]:
    """The function that runs one cell of `protocol` (the one dispatch table)."""
    from emobox.runs.ood import run_ood
    from emobox.runs.protocols import run_cross, run_intra, run_layers

    return {"intra": run_intra, "cross": run_cross, "ood": run_ood,
            "layers": run_layers}[protocol]


def cells(run: ProtocolRun, workspace: Workspace, corpora: Sequence[str]) -> list[Cell]:
    """The cells of `run` over the resolved `corpora` (checked and named by the caller)."""
    from emobox.partition import default_scheme

    recipe = run.recipe()
    common = {"recipe": recipe, "seed": run.seed, "context": run.describe(),
              "allow_missing": run.allow_missing, "device": run.device}
    models = run.model_names()
    if run.protocol in ("intra", "layers"):
        return [Cell(run.protocol, {**common, "corpus": c, "model": m,
                                    "scheme": run.scheme or default_scheme(c),
                                    "label_space": run.label_space(), "folds": run.folds,
                                    "no_valid": run.no_valid,
                                    **({"layer": run.layer} if run.protocol == "intra" else {})})
                for m in models for c in corpora]
    if len(corpora) < 2:
        raise EmoboxError(f"{run.protocol} needs at least two corpora")
    if run.protocol == "cross":
        from emobox.runs.protocols import ensure_balanced

        test_split = run.test_split or ensure_balanced(workspace, corpora)
        return [Cell("cross", {**common, "corpora": list(corpora), "model": m,
                               "labels": list(run.labels) if run.labels else None,
                               "label_space": run.label_space(), "test_split": test_split,
                               "layer": run.layer}) for m in models]
    return [Cell("ood", {**common, "corpora": list(corpora), "model": m, "prior": run.prior(),
                         "scheme": run.scheme, "layer": run.layer}) for m in models]


def preflight(workspace: Workspace, grid: Sequence[Cell]) -> None:
    """Check every cell's inputs (manifest and its labels, splits, feature store, layer)
    before anything of the grid is trained: a mistake in the last cell costs no training."""
    from emobox.runs.protocols import open_store, plan_intra

    for cell in grid:
        k = cell.kwargs
        if cell.protocol in ("intra", "layers"):
            plan_intra(workspace, [k["corpus"]], k["model"], scheme=k["scheme"],
                       recipe=k["recipe"], layer=k.get("layer"), label_space=k["label_space"],
                       protocol=cell.protocol)
        else:
            for corpus in k["corpora"]:
                open_store(workspace, k["model"], corpus)


def execute(run: ProtocolRun, workspace: Workspace, corpora: Sequence[str], *,
            show_progress: bool = True) -> list[Any]:
    """Run every cell of `run` with its executor; the results, in order."""
    run.validate()
    grid = cells(run, workspace, corpora)
    preflight(workspace, grid)
    if run.executor == "local":
        from emobox.runs.results import ResultsDB

        with ResultsDB(workspace.results) as db:
            return [r for cell in grid for r in protocol_function(cell.protocol)(
                workspace, db=db, show_progress=show_progress, **cell.kwargs)]
    tasks = [(protocol_task, {"protocol": c.protocol, "root": str(workspace.root), **c.kwargs})
             for c in grid]
    return [r for cell in run_tasks(tasks, run.executor) for r in cell]


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

    from emobox.runs.results import ResultsDB

    workspace = Workspace(Path(root))
    with ResultsDB(workspace.results) as db:
        return protocol_function(protocol)(workspace, db=db, show_progress=False, **kwargs)
