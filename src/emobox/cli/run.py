"""`emobox train` (one corpus, its folds, every grid configuration's curve) and `emobox run
intra|cross` (the benchmark grids). Every argument and every input of the whole grid is
checked before anything is trained."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from emobox.cli.app import app, out
from emobox.cli.options import (
    DEFAULT_MODEL,
    AllowMissingOption,
    CorporaGroupOption,
    CorpusArgument,
    EpochsOption,
    GridOption,
    JsonOption,
    LayerOption,
    ModelOption,
    ModelsOption,
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
    select_corpora,
    workspace_of,
)

run_app = typer.Typer(help="The benchmark protocols: intra (EmoBox Table 4), cross (Table 5), "
                      "ood (SER Evals Table 3), layers; or a whole benchmark from --config.",
                      invoke_without_command=True)
app.add_typer(run_app, name="run")
ExecutorOption = Annotated[str, typer.Option(
    help="local, or ray (the grid's cells as Ray tasks; a cluster when RAY_ADDRESS is set).")]
DumpOption = Annotated[Path | None, typer.Option(
    "--dump-config", help="Write the TOML file that reproduces this command line, and stop.",
    show_default=False)]


@run_app.callback()
def run_callback(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Run a benchmark described in a TOML file (see --dump-config).",
        show_default=False)] = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Run a protocol; `emobox run --config bench.toml` runs one described in a file."""
    if ctx.invoked_subcommand is not None:
        return
    if config is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()
    from emobox.cli.config import load
    from emobox.errors import EmoboxError

    protocol, params, seeds = load(config)
    command = {"intra": run_intra_command, "cross": run_cross_command,
               "ood": run_ood_command, "layers": run_layers_command}[protocol]
    import inspect

    accepted = set(inspect.signature(command).parameters)
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise EmoboxError(f"{config}: {protocol} has no option {unknown[0]!r}")
    for seed in seeds:
        command(**{**_defaults(command), **params, "seed": seed, "workspace": workspace,
                   "json_output": json_output})


def _defaults(command) -> dict:
    """The default values of a command's parameters (what Typer would pass)."""
    import inspect

    return {name: p.default for name, p in inspect.signature(command).parameters.items()
            if p.default is not inspect.Parameter.empty}


def _dumped(protocol: str, params: dict) -> bool:
    """Write --dump-config if asked; True when the command should stop there."""
    path = params.get("dump_config")
    if path is None:
        return False
    from emobox.cli.config import dump

    dump(path, protocol, params)
    out.print(f"wrote {path}: `emobox run --config {path}` reproduces this command",
              soft_wrap=True)
    return True


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


OptionalCorpora = Annotated[list[str] | None, typer.Argument(
    help="Prepared corpora (or use --corpora).", metavar="[CORPUS]...", show_default=False)]


def _run_cells(protocol: str, ws, cells: list[dict], executor: str, quiet: bool) -> list:
    """Run a grid's cells here (with progress bars) or on Ray; the results, in order."""
    from emobox.runs.executors import protocol_task, run_tasks

    if executor == "local":
        from emobox.runs import ResultsDB
        from emobox.runs.ood import run_ood
        from emobox.runs.protocols import run_cross, run_layers

        function = {"cross": run_cross, "ood": run_ood, "layers": run_layers}[protocol]
        with ResultsDB(ws.results) as db:
            return [r for cell in cells
                    for r in function(ws, db=db, show_progress=not quiet, **cell)]
    tasks = [(protocol_task, {"protocol": protocol, "root": str(ws.root), **cell})
             for cell in cells]
    return [r for cell in run_tasks(tasks, executor) for r in cell]


def _models(models: list[str] | None) -> list[str]:
    from emobox.features import store_name

    return [store_name(m) for m in (models or [DEFAULT_MODEL])]


@run_app.command("intra")
def run_intra_command(
    corpora: OptionalCorpora = None,
    group: CorporaGroupOption = None,
    models: ModelsOption = None,
    scheme: SchemeOption = None,
    recipe: RecipeOption = "emobox",
    grid: GridOption = None,
    setting: SetOption = None,
    epochs: EpochsOption = None,
    layer: LayerOption = None,
    seed: SeedOption = 0,
    no_valid: NoValidOption = False,
    allow_missing: AllowMissingOption = False,
    executor: ExecutorOption = "local",
    dump_config: DumpOption = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """EmoBox Table 4: models × corpora × folds. On every fold the recipe's grid is trained,
    selected on validation and tested; UA / WA / macro-F1 mean ± std over folds. Resumable:
    finished folds are skipped."""
    params = dict(locals())
    if _dumped("intra", params):
        return
    from emobox.cli.config import config_of

    context = config_of("intra", params)
    from emobox.report import intra_json, intra_rows, print_tables
    from emobox.runs import ResultsDB, plan_intra, run_intra

    ws = workspace_of(workspace)
    chosen_recipe = recipe_of(recipe, grid, setting, epochs)
    names = select_corpora(ws, corpora, group)
    plans = [(m, plan) for m in _models(models) for n in names
             for plan in plan_intra(ws, [n], m, scheme=scheme_for(n, scheme),
                                    recipe=chosen_recipe, layer=layer)]
    if executor == "local":
        with ResultsDB(ws.results) as db:
            results = [r for m, plan in plans
                       for r in run_intra(ws, plan, m, scheme=plan.splits.scheme, seed=seed,
                                          db=db, allow_missing=allow_missing, context=context,
                                          no_valid=no_valid, show_progress=not json_output)]
    else:
        from emobox.runs.executors import protocol_task, run_tasks

        tasks = [(protocol_task, {"protocol": "intra", "root": str(ws.root),
                                  "corpus": plan.corpus, "model": m,
                                  "scheme": plan.splits.scheme, "recipe": chosen_recipe,
                                  "layer": layer, "seed": seed,
                                  "allow_missing": allow_missing, "no_valid": no_valid,
                                  "context": context}) for m, plan in plans]
        results = [r for cell in run_tasks(tasks, executor) for r in cell]
    with ResultsDB(ws.results) as db:
        ids = {r.key.id for r in results}
        rows = intra_rows([r for r in db.runs(protocol="intra") if r.key.id in ids])
    if json_output:
        print_json(intra_json(rows))
        return
    print_tables(out, rows, [])


@run_app.command("cross")
def run_cross_command(
    corpora: OptionalCorpora = None,
    models: ModelsOption = None,
    labels: Annotated[str | None, typer.Option(help="Comma-separated labels, each present in "
                                               "every corpus (default: the labels all corpora "
                                               "share).", show_default=False)] = None,
    space: Annotated[str, typer.Option(help="Label space: shared4 (EmoBox's cross-corpus "
                                       "space), native, serval8, or a JSON mapping file."
                                       )] = "shared4",
    test_split: Annotated[str | None, typer.Option(
        help="Test on the test keys of splits/<name>.json of each corpus (default: EmoBox's "
        "balanced track2 sets, built on the fly, when every corpus has a preset; else the "
        "whole corpus).", show_default=False)] = None,
    recipe: RecipeOption = "emobox",
    grid: GridOption = None,
    setting: SetOption = None,
    epochs: EpochsOption = None,
    layer: LayerOption = None,
    seed: SeedOption = 0,
    allow_missing: AllowMissingOption = False,
    executor: ExecutorOption = "local",
    dump_config: DumpOption = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """EmoBox Table 5: train on each corpus, test on each other (default IEMOCAP, MELD,
    RAVDESS, SAVEE in shared4 on their balanced test sets); the accuracy matrix and its
    Eq. 1 average."""
    params = dict(locals())
    if _dumped("cross", params):
        return
    from emobox.cli.config import config_of

    context = config_of("cross", params)
    from emobox.errors import EmoboxError
    from emobox.report import cross_json, cross_matrices, print_tables
    from emobox.runs import ResultsDB
    from emobox.runs.protocols import CROSS_DEFAULT, ensure_balanced

    ws = workspace_of(workspace)
    names = select_corpora(ws, corpora or list(CROSS_DEFAULT), None)
    if len(names) < 2:
        raise EmoboxError("cross-corpus needs at least two corpora")
    chosen_recipe = recipe_of(recipe, grid, setting, epochs)
    if test_split is None:
        test_split = ensure_balanced(ws, names)
    wanted = [lab.strip() for lab in labels.split(",") if lab.strip()] if labels else None
    cells = [{"corpora": names, "model": m, "labels": wanted, "context": context,
              "space": None if space == "native" else space, "test_split": test_split,
              "recipe": chosen_recipe, "layer": layer, "seed": seed,
              "allow_missing": allow_missing} for m in _models(models)]
    results = _run_cells("cross", ws, cells, executor, json_output)
    with ResultsDB(ws.results) as db:
        ids = {r.key.id for r in results}
        matrices = cross_matrices([r for r in db.runs(protocol="cross") if r.key.id in ids])
    if json_output:
        print_json(cross_json(matrices))
        return
    print_tables(out, [], matrices)


@run_app.command("ood")
def run_ood_command(
    corpora: OptionalCorpora = None,
    group: CorporaGroupOption = None,
    models: ModelsOption = None,
    prior: Annotated[str, typer.Option(help="Target prior of the logit adjustment: oracle "
                                       "(the target's label frequencies, as SER Evals), "
                                       "uniform, em (estimated, no labels) or none."
                                       )] = "oracle",
    serval_splits: Annotated[bool, typer.Option(
        "--serval-splits", help="SER Evals' random 80/20 utterance split (seed 34; not "
        "speaker-independent) instead of our default partitions.")] = False,
    metric: Annotated[str, typer.Option(help="Metric of the matrix (SER Evals publishes "
                                        "several; macro_f1, ua, wa).")] = "macro_f1",
    recipe: RecipeOption = "serval",
    setting: SetOption = None,
    epochs: EpochsOption = None,
    layer: LayerOption = None,
    seed: SeedOption = 0,
    allow_missing: AllowMissingOption = False,
    executor: ExecutorOption = "local",
    dump_config: DumpOption = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """SER Evals Table 3: in-domain and out-of-domain (within each eligibility cluster, with
    logit adjustment) in the 8-class space; the matrix, its row and column means, and the
    weighted score."""
    params = dict(locals())
    if _dumped("ood", params):
        return
    from emobox.cli.config import config_of

    context = config_of("ood", params)
    from emobox.report import ood_json, ood_matrices, print_tables
    from emobox.runs import ResultsDB

    ws = workspace_of(workspace)
    names = select_corpora(ws, corpora, group)
    chosen_recipe = recipe_of(recipe, None, setting, epochs)
    cells = [{"corpora": names, "model": m, "recipe": chosen_recipe, "prior": prior,
              "context": context, "use_serval_splits": serval_splits, "layer": layer,
              "seed": seed, "allow_missing": allow_missing} for m in _models(models)]
    results = _run_cells("ood", ws, cells, executor, json_output)
    with ResultsDB(ws.results) as db:
        ids = {r.key.id for r in results}
        matrices = ood_matrices([r for r in db.runs(protocol="ood") if r.key.id in ids],
                                metric)
    if json_output:
        print_json(ood_json(matrices))
        return
    print_tables(out, [], [], ood=matrices)


@run_app.command("layers")
def run_layers_command(
    corpora: OptionalCorpora = None,
    group: CorporaGroupOption = None,
    models: ModelsOption = None,
    scheme: SchemeOption = None,
    fold: Annotated[list[str] | None, typer.Option(
        "--fold", help="Only this fold (repeatable; default every fold).",
        show_default=False)] = None,
    recipe: RecipeOption = "emobox",
    grid: GridOption = None,
    setting: SetOption = None,
    epochs: EpochsOption = None,
    seed: SeedOption = 0,
    executor: ExecutorOption = "local",
    dump_config: DumpOption = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """UA per layer of one extraction (EmoBox evaluated only the last): the curve of each
    corpus and its best layer."""
    params = dict(locals())
    if _dumped("layers", params):
        return
    from emobox.cli.config import config_of

    context = config_of("layers", params)
    from rich.table import Table

    from emobox.report import layer_curves
    from emobox.runs import ResultsDB

    ws = workspace_of(workspace)
    names = select_corpora(ws, corpora, group)
    chosen_recipe = recipe_of(recipe, grid, setting, epochs)
    cells = [{"corpus": n, "model": m, "scheme": scheme_for(n, scheme), "context": context,
              "recipe": chosen_recipe, "seed": seed, "folds": fold}
             for m in _models(models) for n in names]
    results = _run_cells("layers", ws, cells, executor, json_output)
    with ResultsDB(ws.results) as db:
        ids = {r.key.id for r in results}
        curves = layer_curves([r for r in db.runs(protocol="layers") if r.key.id in ids])
    if json_output:
        print_json(curves)
        return
    for curve in curves:
        table = Table(title=f"UA per layer: {curve['corpus']} ({curve['model']}), best "
                      f"layer {curve['best_layer']}")
        table.add_column("layer", justify="right")
        table.add_column("UA", justify="right")
        for lay, (mean, std) in curve["ua"].items():
            table.add_row(str(lay), f"{100 * mean:.1f} ± {100 * std:.1f}",
                          style="bold" if int(lay) == curve["best_layer"] else None)
        out.print(table)
