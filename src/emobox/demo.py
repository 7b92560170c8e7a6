"""`emobox demo`: synthetic corpora through the whole pipeline, end to end.

synthesise → prepare → partition (speaker-independent folds) → extract → train/test
(intra-corpus folds and every cross-corpus pair) → tables from the results database.
"""

from __future__ import annotations

from dataclasses import dataclass

from emobox.corpora import get_corpus, prepare
from emobox.features import extract_corpus, get_extractor
from emobox.manifest import read_manifest
from emobox.partition import partition
from emobox.progress import console
from emobox.report import IntraRow, cross_matrix, intra_rows
from emobox.runs import ResultsDB, run_cross, run_intra
from emobox.synth import DemoSpec, synthesise_demo
from emobox.train import TrainConfig
from emobox.workspace import Workspace

DEMO_SCHEME = "speaker-kfold"


@dataclass
class DemoResult:
    """The corpora built and the tables' data."""

    corpora: list[str]
    model: str
    intra: list[IntraRow]
    cross: dict[tuple[str, str], float]


def run_demo(
    workspace: Workspace,
    *,
    spec: DemoSpec = DemoSpec(),
    model: str = "egemaps",
    layers: str = "last",
    config: TrainConfig = TrainConfig(),
    device: str = "cpu",
    show_progress: bool = True,
) -> DemoResult:
    """Run the whole pipeline on the demo corpora inside `workspace`."""
    raw_folders = synthesise_demo(workspace.root / "raw", spec, show_progress=show_progress)
    corpora = list(raw_folders)
    for name, folder in raw_folders.items():
        result = prepare(get_corpus(name), folder, workspace, show_progress=show_progress)
        splits = partition(result.utterances, DEMO_SCHEME, seed=spec.seed, k=spec.speakers)
        splits.save(workspace.splits(name, DEMO_SCHEME))
        if show_progress:
            console.print(f"{name}: {len(result.utterances)} utterances, "
                          f"{len(splits.folds)} speaker-independent folds")
    extractor = get_extractor(model, layers=layers, device=device)
    for name, folder in raw_folders.items():
        extract_corpus(extractor, read_manifest(workspace.manifest(name)), folder,
                       workspace.features(model, name), show_progress=show_progress)
    db = ResultsDB(workspace.results)
    try:
        for name in corpora:
            run_intra(workspace, name, model, scheme=DEMO_SCHEME, config=config, db=db,
                      show_progress=show_progress)
        run_cross(workspace, corpora, model, config=config, db=db, show_progress=show_progress)
        records = db.runs(model=model)
    finally:
        db.close()
    rows = [r for r in intra_rows(records) if r.corpus in corpora]
    matrix = {k: v for k, v in cross_matrix(records, model).items()
              if k[0] in corpora and k[1] in corpora}
    return DemoResult(corpora, model, rows, matrix)
