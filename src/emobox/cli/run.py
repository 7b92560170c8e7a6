"""`emobox train` (one corpus, its folds, every grid configuration's curve) and `emobox run
intra|cross` (the benchmark grids). Every argument and every input of the whole grid is
checked before anything is trained."""

from __future__ import annotations

from typing import Annotated

import typer

from emobox.cli.app import app, out
from emobox.cli.options import (
    DEFAULT_MODEL,
    AllowMissingOption,
    CorporaArgument,
    CorpusArgument,
    EpochsOption,
    GridOption,
    JsonOption,
    LayerOption,
    ModelOption,
    NoValidOption,
    RecipeOption,
    SchemeOption,
    SeedOption,
    SetOption,
    WorkspaceOption,
    prepared,
    print_json,
    recipe_of,
    scheme_for,
    workspace_of,
)

run_app = typer.Typer(help="Train heads and evaluate: intra-corpus folds or cross-corpus pairs.",
                      no_args_is_help=True)
app.add_typer(run_app, name="run")


@app.command("train")
def train_command(
    corpus: CorpusArgument,
    model: ModelOption = DEFAULT_MODEL,
    scheme: SchemeOption = None,
    fold: Annotated[list[str] | None, typer.Option(
        "--fold", help="Only this fold (repeatable; default: every fold).",
        show_default=False)] = None,
    recipe: RecipeOption = "emobox",
    grid: GridOption = None,
    setting: SetOption = None,
    epochs: EpochsOption = None,
    layer: LayerOption = None,
    seed: SeedOption = 0,
    no_valid: NoValidOption = False,
    allow_missing: AllowMissingOption = False,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Train a recipe's grid on a corpus's folds, select on validation, test: print the chosen
    configuration and the test metrics with 95 % bootstrap intervals. Every configuration's
    validation curve and the chosen model's predictions are stored."""
    from rich.table import Table

    from emobox.features import store_name
    from emobox.metrics import bootstrap_ci
    from emobox.runs import ResultsDB, plan_intra, run_intra

    ws = workspace_of(workspace)
    chosen_recipe = recipe_of(recipe, grid, setting, epochs)
    name = prepared(ws, corpus)
    model_name = store_name(model)
    plan = plan_intra(ws, [name], model_name, scheme=scheme_for(name, scheme),
                      recipe=chosen_recipe, layer=layer)[0]
    with ResultsDB(ws.results) as db:
        results = run_intra(ws, plan, model_name, scheme=plan.splits.scheme, seed=seed,
                            folds=fold, db=db, allow_missing=allow_missing, no_valid=no_valid,
                            show_progress=not json_output)
        rows = []
        for r in results:
            run = next(x for x in db.runs(protocol="intra", corpus=name) if x.key.id == r.key.id)
            pairs = db.predictions(run.id)
            ci = {m: bootstrap_ci([p[1] for p in pairs], [p[2] for p in pairs],
                                  r.info["labels"], metric=m) for m in ("ua", "wa", "macro_f1")}
            rows.append({"fold": r.key.fold, "run": r.key.id, "chosen": r.info["chosen"],
                         "best_epoch": r.info["best_epoch"], "valid_ua": r.info["valid_ua"],
                         **{m: {"value": r.metrics[m], "ci95": list(ci[m])} for m in ci},
                         "notes": r.info["notes"]})
    if json_output:
        print_json({"corpus": name, "model": model_name, "recipe": plan.recipe.id,
                    "folds": rows})
        return
    table = Table(title=f"{name} · {model_name} · recipe {plan.recipe.id} · scheme "
                  f"{plan.splits.scheme}")
    for col in ("fold", "chosen (lr, hidden)", "epoch", "valid UA", "UA [95 % CI]",
                "WA [95 % CI]", "macro-F1 [95 % CI]"):
        table.add_column(col)
    for row in rows:
        table.add_row(row["fold"], f"{row['chosen']['lr']:g}, {row['chosen']['hidden']}",
                      str(row["best_epoch"]), f"{100 * row['valid_ua']:.1f}",
                      *(f"{100 * row[m]['value']:.1f} [{100 * row[m]['ci95'][0]:.1f}, "
                        f"{100 * row[m]['ci95'][1]:.1f}]" for m in ("ua", "wa", "macro_f1")))
    out.print(table)
    for note in sorted({n for row in rows for n in row["notes"]}):
        out.print(f"[dim]note: {note}[/]", soft_wrap=True)


@run_app.command("intra")
def run_intra_command(
    corpora: CorporaArgument,
    model: ModelOption = DEFAULT_MODEL,
    scheme: SchemeOption = None,
    recipe: RecipeOption = "emobox",
    grid: GridOption = None,
    setting: SetOption = None,
    epochs: EpochsOption = None,
    layer: LayerOption = None,
    seed: SeedOption = 0,
    no_valid: NoValidOption = False,
    allow_missing: AllowMissingOption = False,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Intra-corpus: on every fold train the recipe's grid, select on validation, test; print
    UA / WA / macro-F1 (mean ± std over folds)."""
    from emobox.features import store_name
    from emobox.report import intra_json, intra_rows, print_tables
    from emobox.runs import ResultsDB, plan_intra, run_intra

    ws = workspace_of(workspace)
    chosen_recipe = recipe_of(recipe, grid, setting, epochs)
    names = [prepared(ws, c) for c in corpora]
    store = store_name(model)
    plans = [plan_intra(ws, [n], store, scheme=scheme_for(n, scheme), recipe=chosen_recipe,
                        layer=layer)[0] for n in names]
    with ResultsDB(ws.results) as db:
        results = [r for plan in plans
                   for r in run_intra(ws, plan, store, scheme=plan.splits.scheme, seed=seed,
                                      db=db, allow_missing=allow_missing, no_valid=no_valid,
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
    recipe: RecipeOption = "emobox",
    grid: GridOption = None,
    setting: SetOption = None,
    epochs: EpochsOption = None,
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
    chosen_recipe = recipe_of(recipe, grid, setting, epochs)
    names = [prepared(ws, c) for c in corpora]
    wanted = [lab.strip() for lab in labels.split(",") if lab.strip()] if labels else None
    with ResultsDB(ws.results) as db:
        results = run_cross(ws, names, store_name(model), labels=wanted, space=space,
                            test_split=test_split, recipe=chosen_recipe, layer=layer,
                            seed=seed, db=db, allow_missing=allow_missing,
                            show_progress=not json_output)
        ids = {r.key.id for r in results}
        matrices = cross_matrices([r for r in db.runs(protocol="cross") if r.key.id in ids])
    if json_output:
        print_json(cross_json(matrices))
        return
    print_tables(out, [], matrices)
