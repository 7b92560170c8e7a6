"""`emobox demo`: synthetic corpora through the whole pipeline, end to end.

synthesise → prepare → partition (the default scheme: ``paper`` for corpora outside EmoBox,
here leave-one-speaker-out for 4–6 balanced speakers) → extract (every layer, as `emobox
extract`) → train/test (intra-corpus folds with the recipe, and again with
`DEMO_VERSUS_EPOCHS` epochs so that Table 4 ranks two settings; every cross-corpus pair) →
tables from the results database (intervals, ranks with ties), written with the plots, the
corpus pages and the HTML leaderboard into ``reports/``. Both protocols are described by the
same `ProtocolRun` the command line builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emobox.corpora import get_corpus, prepare
from emobox.demo.synth import DemoSpec, synthesise_demo
from emobox.features import extract_corpus, get_extractor, store_name
from emobox.manifest import read_manifest
from emobox.partition import default_scheme, partition
from emobox.progress import console
from emobox.report import CrossMatrix, IntraRow
from emobox.report.contamination import workspace_selections
from emobox.report.html import build_site
from emobox.report.views import build_views, report_grids
from emobox.runs.executors import execute
from emobox.runs.results import ResultsDB
from emobox.runs.spec import DEFAULT_MODEL, DEMO_VERSUS_EPOCHS, ProtocolRun
from emobox.workspace import Workspace


@dataclass
class DemoResult:
    """The corpora built and the tables' data (only this demo run's results)."""

    corpora: list[str]
    model: str
    intra: list[IntraRow]  # the rows of both intra-corpus settings
    cross: list[CrossMatrix]
    report: Path | None = None
    html: Path | None = None


def run_demo(
    workspace: Workspace,
    *,
    spec: DemoSpec = DemoSpec(),
    model: str = DEFAULT_MODEL,
    layers: str = "all",
    recipe: str = "emobox",
    grid: str | None = None,
    epochs: int | None = None,
    seed: int = 0,
    device: str = "cpu",
    versus_epochs: int = DEMO_VERSUS_EPOCHS,
    show_progress: bool = True,
) -> DemoResult:
    """Run the whole pipeline on the demo corpora inside `workspace`: the intra and cross
    protocols exactly as `emobox run intra` / `run cross` describe them (same defaults, e.g.
    cross-corpus in EmoBox's shared4 label space); intra-corpus also with `versus_epochs`
    epochs (0: not)."""
    intra = ProtocolRun("intra", models=(model,), recipe_name=recipe, grid=grid,
                        epochs=epochs, seed=seed, device=device).validate()
    cross = intra.with_(protocol="cross").validate()
    second = ([intra.with_(epochs=versus_epochs).validate()]
              if versus_epochs and versus_epochs != intra.recipe().epochs else [])
    raw_folders = synthesise_demo(workspace.root / "raw", spec, show_progress=show_progress)
    corpora = list(raw_folders)
    for name, folder in raw_folders.items():
        result = prepare(get_corpus(name), folder, workspace, show_progress=show_progress)
        scheme = default_scheme(name)
        splits = partition(result.utterances, scheme, seed=spec.seed, corpus=name)
        splits.save(workspace.splits(name, scheme))
        if show_progress:
            console.print(f"{name}: {len(result.utterances)} utterances, "
                          f"{len(splits.folds)} folds ({scheme} scheme)")
    extractor = get_extractor(model, layers=layers, device=device)
    for name, folder in raw_folders.items():
        extract_corpus(extractor, read_manifest(workspace.manifest(name)), folder,
                       workspace.features(store_name(model), name), show_progress=show_progress)
    results = []
    for run in (intra, *second, cross):
        results += execute(run, workspace, corpora, show_progress=show_progress)
    ids = {r.key.id for r in results}
    with ResultsDB(workspace.results) as db:
        records = [r for r in db.runs() if r.key.id in ids]
        views = build_views(records, db=db, workspace=workspace,  # intervals, ranks with ties
                            selections=workspace_selections(workspace))
        html = build_site(db, workspace.reports / "html", records, show_progress=show_progress,
                          workspace=workspace, views=views)
        report = workspace.reports / "report.md"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text("\n".join(g.markdown() for _, g in report_grids(views)),
                          encoding="utf-8")
    return DemoResult(corpora, store_name(model), views.intra, views.cross, report, html)
