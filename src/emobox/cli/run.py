"""`emobox run intra|cross`: train heads on stored features and evaluate. Every argument and
every input of the whole grid is checked before anything is trained."""

from __future__ import annotations

from typing import Annotated

import typer

from emobox.cli.app import app, out
from emobox.cli.options import (
    DEFAULT_MODEL,
    AllowMissingOption,
    CorporaArgument,
    EpochsOption,
    HiddenOption,
    JsonOption,
    LayerOption,
    LrOption,
    ModelOption,
    SchemeOption,
    SeedOption,
    WorkspaceOption,
    prepared,
    print_json,
    scheme_for,
    workspace_of,
)

run_app = typer.Typer(help="Train heads and evaluate: intra-corpus folds or cross-corpus pairs.",
                      no_args_is_help=True)
app.add_typer(run_app, name="run")


def _config(epochs: int, lr: float, hidden: int, layer: int | None, seed: int):
    from emobox.train import TrainConfig

    return TrainConfig(lr=lr, hidden=hidden, epochs=epochs, layer=layer, seed=seed)


@run_app.command("intra")
def run_intra_command(
    corpora: CorporaArgument,
    model: ModelOption = DEFAULT_MODEL,
    scheme: SchemeOption = None,
    epochs: EpochsOption = 100,
    lr: LrOption = 1e-3,
    hidden: HiddenOption = 128,
    layer: LayerOption = None,
    seed: SeedOption = 0,
    allow_missing: AllowMissingOption = False,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Intra-corpus: train and test every fold; print UA / WA / macro-F1 (mean ± std)."""
    from emobox.features import store_name
    from emobox.report import intra_json, intra_rows, print_tables
    from emobox.runs import ResultsDB, plan_intra, run_intra

    ws = workspace_of(workspace)
    config = _config(epochs, lr, hidden, layer, seed)
    names = [prepared(ws, c) for c in corpora]
    store = store_name(model)
    plans = [plan_intra(ws, [n], store, scheme=scheme_for(n, scheme), config=config)[0]
             for n in names]
    with ResultsDB(ws.results) as db:
        results = [r for plan in plans
                   for r in run_intra(ws, plan, store, scheme=plan.splits.scheme, config=config,
                                      db=db, allow_missing=allow_missing,
                                      show_progress=not json_output)]
        ids = {r.key.id for r in results}
        rows = intra_rows([r for r in db.runs(protocol="intra") if r.key.id in ids])
    if json_output:
        print_json(intra_json(rows))
        return
    print_tables(out, rows, [])


@run_app.command("cross")
def run_cross_command(
    corpora: CorporaArgument,
    model: ModelOption = DEFAULT_MODEL,
    labels: Annotated[str | None, typer.Option(help="Comma-separated labels, each present in "
                                               "every corpus (default: the labels all corpora "
                                               "share).", show_default=False)] = None,
    space: Annotated[str | None, typer.Option(help="Relabel into a label space first: shared4 "
                                              "(EmoBox cross-corpus), serval8, or a JSON "
                                              "mapping file.", show_default=False)] = None,
    test_split: Annotated[str | None, typer.Option(help="Test on the test keys of "
                                                   "splits/<name>.json of each corpus (e.g. the "
                                                   "balanced sets of `emobox balance`).",
                                                   show_default=False)] = None,
    epochs: EpochsOption = 100,
    lr: LrOption = 1e-3,
    hidden: HiddenOption = 128,
    layer: LayerOption = None,
    seed: SeedOption = 0,
    allow_missing: AllowMissingOption = False,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Cross-corpus: train on each corpus, test on each other; print the accuracy matrix."""
    from emobox.errors import EmoboxError
    from emobox.features import store_name
    from emobox.report import cross_json, cross_matrices, print_tables
    from emobox.runs import ResultsDB, run_cross

    if len(corpora) < 2:
        raise EmoboxError("cross-corpus needs at least two corpora")
    ws = workspace_of(workspace)
    config = _config(epochs, lr, hidden, layer, seed)
    names = [prepared(ws, c) for c in corpora]
    wanted = [lab.strip() for lab in labels.split(",") if lab.strip()] if labels else None
    with ResultsDB(ws.results) as db:
        results = run_cross(ws, names, store_name(model), labels=wanted, space=space,
                            test_split=test_split, config=config, db=db,
                            allow_missing=allow_missing, show_progress=not json_output)
        ids = {r.key.id for r in results}
        matrices = cross_matrices([r for r in db.runs(protocol="cross") if r.key.id in ids])
    if json_output:
        print_json(cross_json(matrices))
        return
    print_tables(out, [], matrices)
