"""Pipeline verbs: extract, run intra|cross, report, demo."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from emobox.cli.app import JsonOption, WorkspaceOption, app, out, print_json, workspace_of
from emobox.corpora import get_corpus
from emobox.errors import EmoboxError
from emobox.partition import Splits
from emobox.report import cross_matrix, cross_table, intra_rows, intra_table
from emobox.runs import ResultsDB, run_cross, run_intra
from emobox.train import TrainConfig
from emobox.workspace import Workspace

run_app = typer.Typer(help="Train heads and evaluate: intra-corpus folds or cross-corpus pairs.",
                      no_args_is_help=True)
app.add_typer(run_app, name="run")

ModelOption = Annotated[str, typer.Option("--model", "-m", help="egemaps, a transformers hub id "
                                          "or a local model folder.")]
EpochsOption = Annotated[int, typer.Option(help="Training epochs.")]
LrOption = Annotated[float, typer.Option(help="Peak learning rate (AdamW).")]
HiddenOption = Annotated[int, typer.Option(help="Hidden size of the head.")]
LayerOption = Annotated[int | None, typer.Option(help="Layer to train on (default: the last "
                                                 "stored).")]
SeedOption = Annotated[int, typer.Option(help="Random seed.")]


def _prepared(ws: Workspace, corpus: str) -> str:
    """The registry name of `corpus`, after checking it is prepared in `ws`."""
    name = get_corpus(corpus).name
    if not ws.manifest(name).is_file():
        raise EmoboxError(f"manifest not found: {ws.manifest(name)} "
                          f"(run `emobox prepare {name} --raw DIR` first)")
    return name


def _config(epochs: int, lr: float, hidden: int, layer: int | None, seed: int) -> TrainConfig:
    return TrainConfig(lr=lr, hidden=hidden, epochs=epochs, layer=layer, seed=seed)


@run_app.command("intra")
def run_intra_command(
    corpora: Annotated[list[str], typer.Argument(help="Prepared, partitioned corpora.")],
    model: ModelOption = "egemaps",
    scheme: Annotated[str, typer.Option(help="Partition scheme to use.")] = "speaker-kfold",
    epochs: EpochsOption = 100,
    lr: LrOption = 1e-3,
    hidden: HiddenOption = 128,
    layer: LayerOption = None,
    seed: SeedOption = 0,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Intra-corpus: train and test every fold; print UA / WA / macro-F1 (mean ± std)."""
    ws = workspace_of(workspace)
    names = [_prepared(ws, c) for c in corpora]
    db = ResultsDB(ws.results)
    try:
        for name in names:
            run_intra(ws, name, model, scheme=scheme,
                      config=_config(epochs, lr, hidden, layer, seed), db=db,
                      show_progress=not json_output)
        rows = [r for r in intra_rows(db.runs(protocol="intra", model=model))
                if r.corpus in names]
    finally:
        db.close()
    if json_output:
        print_json([{"corpus": r.corpus, "model": r.model, "folds": r.folds, **{
            m: {"mean": s[0], "std": s[1]} for m, s in r.stats.items()}} for r in rows])
    else:
        out.print(intra_table(rows))


@run_app.command("cross")
def run_cross_command(
    corpora: Annotated[list[str], typer.Argument(help="Two or more prepared corpora.")],
    model: ModelOption = "egemaps",
    labels: Annotated[str | None, typer.Option(help="Comma-separated labels (default: the "
                                               "labels all corpora share).")] = None,
    space: Annotated[str | None, typer.Option(help="Relabel into a label space first: shared4 "
                                              "(EmoBox cross-corpus), serval8, or a JSON "
                                              "mapping file.")] = None,
    test_split: Annotated[str | None, typer.Option(help="Test on the test keys of "
                                                   "splits/<name>.json of each corpus (e.g. the "
                                                   "balanced sets of `emobox balance`).")] = None,
    epochs: EpochsOption = 100,
    lr: LrOption = 1e-3,
    hidden: HiddenOption = 128,
    layer: LayerOption = None,
    seed: SeedOption = 0,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Cross-corpus: train on each corpus, test on each other; print the accuracy matrix."""
    if len(corpora) < 2:
        raise EmoboxError("cross-corpus needs at least two corpora")
    ws = workspace_of(workspace)
    names = [_prepared(ws, c) for c in corpora]
    test_keys = None
    if test_split is not None:
        test_keys = {n: [k for fold in Splits.load(ws.splits(n, test_split)).folds.values()
                         for k in fold.test] for n in names}
    db = ResultsDB(ws.results)
    try:
        results = run_cross(ws, names, model, labels=labels.split(",") if labels else None,
                            space=space, test_keys=test_keys,
                            config=_config(epochs, lr, hidden, layer, seed), db=db,
                            show_progress=not json_output)
    finally:
        db.close()
    matrix = {(r.train_corpus, r.test_corpus): r.metrics["wa"] for r in results}
    if json_output:
        print_json([{"train": i, "test": j, "accuracy": v} for (i, j), v in matrix.items()])
    else:
        out.print(cross_table(matrix))


@app.command("report")
def report_command(
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model.")] = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Print the intra-corpus table and cross-corpus matrices stored in the results database."""
    ws = workspace_of(workspace)
    if not ws.results.is_file():
        raise EmoboxError(f"no results in {ws.root} (run `emobox run` or `emobox demo` first)")
    db = ResultsDB(ws.results)
    try:
        records = db.runs(model=model)
    finally:
        db.close()
    rows = intra_rows(records)
    models = sorted({r.model for r in records if r.protocol == "cross"})
    if json_output:
        print_json({"intra": [{"model": r.model, "corpus": r.corpus, "folds": r.folds,
                               **{m: s[0] for m, s in r.stats.items()}} for r in rows],
                    "cross": [{"model": m, "train": i, "test": j, "accuracy": v}
                              for m in models for (i, j), v in cross_matrix(records, m).items()]})
        return
    if rows:
        out.print(intra_table(rows))
    for m in models:
        out.print(cross_table(cross_matrix(records, m), title=f"Cross-corpus accuracy ({m})"))


@app.command("demo")
def demo_command(
    workspace: WorkspaceOption = None,
    model: ModelOption = "egemaps",
    languages: Annotated[str, typer.Option(help="Demo corpora by language.")] = "en,de,fr",
    speakers: Annotated[int, typer.Option(help="Speakers per corpus (2-6).")] = 4,
    sentences: Annotated[int, typer.Option(help="Sentences per speaker and emotion.")] = 10,
    epochs: EpochsOption = 100,
    seed: SeedOption = 0,
    device: Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")] = "cpu",
    json_output: JsonOption = False,
) -> None:
    """Build the synthetic demo corpora and run the whole pipeline: prepare, partition,
    extract, train, and print the intra-corpus table and the cross-corpus matrix."""
    from emobox.demo import run_demo
    from emobox.synth import DemoSpec

    if speakers < 2:
        raise EmoboxError("--speakers must be at least 2 for speaker-independent folds")
    ws = workspace_of(workspace)
    start = time.perf_counter()
    spec = DemoSpec(tuple(languages.split(",")), speakers, sentences, seed)
    result = run_demo(ws, spec=spec, model=model, config=TrainConfig(epochs=epochs, seed=seed),
                      device=device, show_progress=not json_output)
    elapsed = time.perf_counter() - start
    if json_output:
        print_json({"model": result.model, "seconds": round(elapsed, 1),
                    "intra": {r.corpus: {m: s[0] for m, s in r.stats.items()}
                              for r in result.intra},
                    "cross": {f"{i}->{j}": v for (i, j), v in result.cross.items()}})
        return
    out.print(intra_table(result.intra, title=f"Intra-corpus ({result.model}, "
                          "speaker-independent folds)"))
    out.print(cross_table(result.cross, title=f"Cross-corpus accuracy ({result.model})"))
    out.print(f"The demo corpora are synthetic (espeak-ng). Workspace: {ws.root} · "
              f"{elapsed:.0f} s · rerun tables with `emobox report -w {ws.root}`")


