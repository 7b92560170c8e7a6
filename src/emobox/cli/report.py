"""`emobox report`: the tables stored in the results database, one per setting."""

from __future__ import annotations

from typing import Annotated

import typer

from emobox.cli.app import app, out
from emobox.cli.options import JsonOption, WorkspaceOption, print_json, workspace_of


@app.command("report")
def report_command(
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model.",
                                              show_default=False)] = None,
    corpus: Annotated[str | None, typer.Option("--corpus", "-c", help="Only this corpus.",
                                               show_default=False)] = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Print the intra-corpus tables and cross-corpus matrices stored in the results
    database. Results of different schemes, label spaces, recipes, hyperparameters or seeds
    are never mixed: each setting gets its own table, titled with what it shows."""
    from emobox.errors import EmoboxError
    from emobox.features import store_name
    from emobox.report import (
        cross_json,
        cross_matrices,
        intra_json,
        intra_rows,
        layer_curves,
        ood_json,
        ood_matrices,
        print_tables,
    )
    from emobox.runs import ResultsDB

    ws = workspace_of(workspace)
    if not ws.results.is_file():
        raise EmoboxError(f"no results in {ws.root} (run `emobox run` or `emobox demo` first)")
    with ResultsDB(ws.results) as db:
        wanted = store_name(model) if model else None
        if wanted is not None and wanted not in db.models():
            raise EmoboxError(f"no results for model {model!r} in {ws.results} (models there: "
                              f"{', '.join(db.models()) or 'none'})")
        records = db.runs(model=wanted, corpus=corpus)
    if not records:
        raise EmoboxError(f"no results{f' for corpus {corpus!r}' if corpus else ''} in "
                          f"{ws.results}")
    rows = intra_rows(records)
    matrices = cross_matrices(records)
    ood = ood_matrices(records)
    if json_output:
        print_json({"intra": intra_json(rows), "cross": cross_json(matrices),
                    "ood": ood_json(ood), "layers": layer_curves(records)})
        return
    print_tables(out, rows, matrices, ood=ood)
