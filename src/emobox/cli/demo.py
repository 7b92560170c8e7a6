"""`emobox demo`: the whole pipeline on synthetic corpora."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from emobox.cli.app import app, out
from emobox.cli.options import (
    DEFAULT_LAYERS,
    DEFAULT_MODEL,
    DeviceOption,
    EpochsOption,
    GridOption,
    JsonOption,
    LayersOption,
    ModelOption,
    RecipeOption,
    SeedOption,
    WorkspaceOption,
    print_json,
    workspace_of,
)
from emobox.runs.spec import DEMO_VERSUS_EPOCHS


@app.command("demo")
def demo_command(
    workspace: WorkspaceOption = None,
    model: ModelOption = DEFAULT_MODEL,
    layers: LayersOption = DEFAULT_LAYERS,
    languages: Annotated[str, typer.Option(help="Demo corpora by language (en, de, fr).")
                         ] = "en,de,fr",
    speakers: Annotated[int, typer.Option(help="Speakers per corpus, alternating female and "
                                          "male.", min=2, max=6)] = 4,
    sentences: Annotated[int, typer.Option(help="Sentences per speaker and emotion.", min=1,
                                           max=12)] = 10,
    recipe: RecipeOption = "emobox",
    grid: GridOption = None,
    epochs: EpochsOption = None,
    seed: SeedOption = 0,
    device: DeviceOption = "cpu",
    versus_epochs: Annotated[int, typer.Option(
        "--versus-epochs", min=0, help="Train the intra-corpus folds a second time with this "
        "many epochs, so that the report ranks two settings with ties (0: not).")
    ] = DEMO_VERSUS_EPOCHS,
    json_output: JsonOption = False,
) -> None:
    """Build the synthetic demo corpora and run the whole pipeline: prepare, partition,
    extract, train (intra-corpus: the recipe, and again with --versus-epochs; cross-corpus),
    and print
    the intra-corpus table and the cross-corpus matrix."""
    from emobox.demo import DemoSpec
    from emobox.demo.pipeline import run_demo
    from emobox.report import cross_json, intra_json, print_tables

    ws = workspace_of(workspace)
    start = time.perf_counter()
    spec = DemoSpec(tuple(x.strip() for x in languages.split(",") if x.strip()), speakers,
                    sentences, seed)
    result = run_demo(ws, spec=spec, model=model, layers=layers, recipe=recipe, grid=grid,
                      epochs=epochs, seed=seed, device=device,
                      versus_epochs=versus_epochs,
                      show_progress=not json_output)
    elapsed = time.perf_counter() - start
    if json_output:
        print_json({"model": result.model, "seconds": round(elapsed, 1),
                    "report": str(result.report), "html": str(result.html),
                    "intra": intra_json(result.intra), "cross": cross_json(result.cross)})
        return
    print_tables(out, result.intra, result.cross, title="Intra-corpus")
    out.print(f"Report: {result.report} · HTML leaderboard: {result.html}", soft_wrap=True)
    out.print(f"The demo corpora are synthetic (espeak-ng). Workspace: {ws.root} · "
              f"{elapsed:.0f} s · rerun tables with `emobox report -w {ws.root}`",
              soft_wrap=True)
