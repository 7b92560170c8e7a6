"""`emobox train` (one corpus, its folds, every grid configuration's curve) and `emobox run
intra|cross|ood|layers` (the benchmark grids). Each command builds one `ProtocolRun` — the
same description a ``run --config`` file, the Python API and the demo build — checks it
before anything is trained, runs its cells and prints the report of what it ran."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from emobox.cli.app import app, out
from emobox.cli.options import (
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
    TrainDeviceOption,
    WorkspaceOption,
    print_json,
    select_corpora,
    workspace_of,
)
from emobox.runs.spec import DEFAULT_MODEL, EXECUTORS, ProtocolRun

run_app = typer.Typer(help="The benchmark protocols: intra (EmoBox Table 4), cross (Table 5), "
                      "ood (SER Evals Table 3), layers; or a whole benchmark from --config.",
                      invoke_without_command=True)
app.add_typer(run_app, name="run")
ExecutorOption = Annotated[str, typer.Option(
    help=f"{' or '.join(EXECUTORS)} (ray: the grid's cells as Ray tasks; a cluster when "
    "RAY_ADDRESS is set).")]
DumpOption = Annotated[Path | None, typer.Option(
    "--dump-config", help="Write the TOML file that reproduces this command line, and stop.",
    show_default=False)]
FoldOption = Annotated[list[str] | None, typer.Option(
    "--fold", help="Only this fold (repeatable; default: every fold).", show_default=False)]
OptionalCorpora = Annotated[list[str] | None, typer.Argument(
    help="Prepared corpora (or use --corpora).", metavar="[CORPUS]...", show_default=False)]


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
    from emobox.runs.spec import load_config

    for run in load_config(config):
        _run_and_report(run, workspace, json_output)


def _start(run: ProtocolRun, dump_config: Path | None, seeds: list[int] | None = None) -> bool:
    """Check the description; write it if --dump-config asks (True: stop there)."""
    run.validate()
    if dump_config is None:
        return False
    dump_config.write_text(run.to_toml(seeds), encoding="utf-8")
    out.print(f"wrote {dump_config}: `emobox run --config {dump_config}` reproduces this "
              "command", soft_wrap=True)
    return True


def _run_and_report(run: ProtocolRun, workspace: Path | None, json_output: bool,
                    metric: str | None = None) -> list:
    """Run `run`'s cells and print the report of exactly the runs it made or found."""
    from emobox.runs.executors import execute
    from emobox.runs.protocols import CROSS_DEFAULT

    ws = workspace_of(workspace)
    names = list(run.corpora)
    if run.protocol == "cross" and not names and run.corpora_group is None:
        names = list(CROSS_DEFAULT)
    corpora = select_corpora(ws, names, run.corpora_group)
    results = execute(run, ws, corpora, show_progress=not json_output)
    _report(ws, run.protocol, {r.key.id for r in results}, json_output, metric)
    return results


def _report(ws, protocol: str, ids: set[str], json_output: bool, metric: str | None) -> None:
    from emobox.report.views import build_views, print_views, views_json
    from emobox.runs.results import ResultsDB

    with ResultsDB(ws.results, readonly=True) as db:
        records = [r for r in db.runs(protocol=protocol) if r.key.id in ids]
    views = build_views(records, ood_metric=metric or "macro_f1")
    if json_output:
        print_json(views_json(views)[protocol])
        return
    print_views(out, views)


@app.command("train")
def train_command(
    corpus: CorpusArgument,
    model: ModelOption = DEFAULT_MODEL,
    scheme: SchemeOption = None,
    fold: FoldOption = None,
    recipe: RecipeOption = "emobox",
    grid: GridOption = None,
    setting: SetOption = None,
    epochs: EpochsOption = None,
    layer: LayerOption = None,
    seed: SeedOption = 0,
    no_valid: NoValidOption = False,
    allow_missing: AllowMissingOption = False,
    device: TrainDeviceOption = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Train a recipe's grid on a corpus's folds, select on validation, test: print the chosen
    configuration and the test metrics with 95 % bootstrap intervals. Every configuration's
    validation curve and the chosen model's predictions are stored."""
    from rich.table import Table

    from emobox.cli.options import prepared
    from emobox.metrics import bootstrap_ci
    from emobox.runs.executors import execute
    from emobox.runs.results import ResultsDB

    ws = workspace_of(workspace)
    name = prepared(ws, corpus)
    run = ProtocolRun("intra", corpora=(name,), models=(model,), scheme=scheme,
                      recipe_name=recipe, grid=grid, settings=tuple(setting or ()),
                      epochs=epochs, layer=layer, seed=seed, folds=tuple(fold) if fold else None,
                      no_valid=no_valid, allow_missing=allow_missing,
                      device=device).validate()
    results = execute(run, ws, [name], show_progress=not json_output)
    rows = []
    with ResultsDB(ws.results, readonly=True) as db:
        for r in results:
            pairs = db.predictions(db.get(r.key).id)
            ci = {m: bootstrap_ci([p[1] for p in pairs], [p[2] for p in pairs],
                                  r.info["labels"], metric=m) for m in ("ua", "wa", "macro_f1")}
            rows.append({"fold": r.key.fold, "run": r.key.id, "chosen": r.info["chosen"],
                         "best_epoch": r.info["best_epoch"], "valid_ua": r.info["valid_ua"],
                         **{m: {"value": r.metrics[m], "ci95": list(ci[m])} for m in ci},
                         "notes": r.info["notes"]})
    key = results[0].key
    if json_output:
        print_json({"corpus": name, "model": key.model, "recipe": key.recipe,
                    "scheme": key.scheme, "label_space": key.label_space, "layer": key.layer,
                    "folds": rows})
        return
    table = Table(title=f"{name} · {key.model} · recipe {key.recipe} · scheme {key.scheme} · "
                  f"labels {key.label_space} · layer {key.layer} · seed {key.seed}")
    for col in ("fold", "chosen (lr, hidden)", "epoch", "valid UA", "UA [95 % CI]",
                "WA [95 % CI]", "macro-F1 [95 % CI]"):
        table.add_column(col)
    for row in rows:
        valid = "—" if row["valid_ua"] is None or row["valid_ua"] < 0 else \
            f"{100 * row['valid_ua']:.1f}"
        table.add_row(row["fold"], f"{row['chosen']['lr']:g}, {row['chosen']['hidden']}",
                      str(row["best_epoch"]), valid,
                      *(f"{100 * row[m]['value']:.1f} [{100 * row[m]['ci95'][0]:.1f}, "
                        f"{100 * row[m]['ci95'][1]:.1f}]" for m in ("ua", "wa", "macro_f1")))
    out.print(table)
    out.print("[dim]intervals: 95 % bootstrap over the fold's test utterances (1000 "
              "resamples)[/]", soft_wrap=True)
    for note in sorted({n for row in rows for n in row["notes"]}):
        out.print(f"[dim]note: {note}[/]", soft_wrap=True)


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
    fold: FoldOption = None,
    no_valid: NoValidOption = False,
    allow_missing: AllowMissingOption = False,
    executor: ExecutorOption = "local",
    device: TrainDeviceOption = None,
    dump_config: DumpOption = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """EmoBox Table 4: models × corpora × folds. On every fold the recipe's grid is trained,
    selected on validation and tested; UA / WA / macro-F1 mean ± std over folds. Resumable:
    finished folds are skipped."""
    run = ProtocolRun("intra", corpora=tuple(corpora or ()), corpora_group=group,
                      models=tuple(models or ()), scheme=scheme, recipe_name=recipe, grid=grid,
                      settings=tuple(setting or ()), epochs=epochs, layer=layer, seed=seed,
                      folds=tuple(fold) if fold else None, no_valid=no_valid,
                      allow_missing=allow_missing, executor=executor, device=device)
    if not _start(run, dump_config):
        _run_and_report(run, workspace, json_output)


@run_app.command("cross")
def run_cross_command(
    corpora: OptionalCorpora = None,
    models: ModelsOption = None,
    labels: Annotated[str | None, typer.Option(help="Comma-separated labels, each present in "
                                               "every corpus (default: the labels all corpora "
                                               "share).", show_default=False)] = None,
    space: Annotated[str | None, typer.Option(
        help="Label space: shared4 (the default: EmoBox's cross-corpus space), native, "
        "serval8, or a JSON mapping file.", show_default=False)] = None,
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
    device: TrainDeviceOption = None,
    dump_config: DumpOption = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """EmoBox Table 5: train on each corpus, test on each other (default IEMOCAP, MELD,
    RAVDESS, SAVEE in shared4 on their balanced test sets); the accuracy matrix and its
    Eq. 1 average (given for complete matrices only)."""
    wanted = tuple(lab.strip() for lab in labels.split(",") if lab.strip()) if labels else None
    run = ProtocolRun("cross", corpora=tuple(corpora or ()), models=tuple(models or ()),
                      labels=wanted, space=space, test_split=test_split, recipe_name=recipe,
                      grid=grid, settings=tuple(setting or ()), epochs=epochs, layer=layer,
                      seed=seed, allow_missing=allow_missing, executor=executor,
                      device=device)
    if not _start(run, dump_config):
        _run_and_report(run, workspace, json_output)


@run_app.command("ood")
def run_ood_command(
    corpora: OptionalCorpora = None,
    group: CorporaGroupOption = None,
    models: ModelsOption = None,
    prior: Annotated[str | None, typer.Option(
        help="Target prior of the logit adjustment: oracle (the default: the target's label "
        "frequencies, as SER Evals), uniform, em (estimated, no labels) or none.",
        show_default=False)] = None,
    serval_splits: Annotated[bool, typer.Option(
        "--serval-splits", help="SER Evals' random 80/20 utterance split (seed 34; not "
        "speaker-independent) instead of our default partitions (= --scheme serval).")
    ] = False,
    scheme: SchemeOption = None,
    metric: Annotated[str, typer.Option(help="Metric of the matrix (SER Evals publishes "
                                        "several): macro_f1, ua or wa.")] = "macro_f1",
    recipe: RecipeOption = "serval",
    setting: SetOption = None,
    epochs: EpochsOption = None,
    layer: LayerOption = None,
    seed: SeedOption = 0,
    allow_missing: AllowMissingOption = False,
    executor: ExecutorOption = "local",
    device: TrainDeviceOption = None,
    dump_config: DumpOption = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """SER Evals Table 3: in-domain and out-of-domain (within each eligibility cluster, with
    logit adjustment) in the 8-class space; the matrix, its row and column means, and the
    weighted score (for complete matrices only)."""
    from emobox.errors import EmoboxError
    from emobox.metrics import METRICS

    if metric not in METRICS:
        raise EmoboxError(f"--metric must be one of {', '.join(METRICS)}, not {metric!r}")
    if serval_splits and scheme not in (None, "serval"):
        raise EmoboxError(f"--serval-splits and --scheme {scheme} contradict each other")
    run = ProtocolRun("ood", corpora=tuple(corpora or ()), corpora_group=group,
                      models=tuple(models or ()), prior_name=prior,
                      scheme="serval" if serval_splits else scheme, recipe_name=recipe,
                      settings=tuple(setting or ()), epochs=epochs, layer=layer, seed=seed,
                      allow_missing=allow_missing, executor=executor, device=device)
    if not _start(run, dump_config):
        _run_and_report(run, workspace, json_output, metric)


@run_app.command("layers")
def run_layers_command(
    corpora: OptionalCorpora = None,
    group: CorporaGroupOption = None,
    models: ModelsOption = None,
    scheme: SchemeOption = None,
    fold: FoldOption = None,
    recipe: RecipeOption = "emobox",
    grid: GridOption = None,
    setting: SetOption = None,
    epochs: EpochsOption = None,
    seed: SeedOption = 0,
    executor: ExecutorOption = "local",
    device: TrainDeviceOption = None,
    dump_config: DumpOption = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """UA per layer of one extraction (EmoBox evaluated only the last): the layer × corpus
    table and each corpus's best layer."""
    run = ProtocolRun("layers", corpora=tuple(corpora or ()), corpora_group=group,
                      models=tuple(models or ()), scheme=scheme, recipe_name=recipe, grid=grid,
                      settings=tuple(setting or ()), epochs=epochs, seed=seed,
                      folds=tuple(fold) if fold else None, executor=executor, device=device)
    if not _start(run, dump_config):
        _run_and_report(run, workspace, json_output)
