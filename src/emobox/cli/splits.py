"""`emobox partition`: folds of train / valid / test keys for a prepared corpus."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from emobox.cli.app import JsonOption, WorkspaceOption, app, out, print_json, workspace_of
from emobox.corpora import get_corpus
from emobox.errors import EmoboxError
from emobox.manifest import read_manifest
from emobox.partition import SCHEMES, partition

SeedOption = Annotated[int, typer.Option(help="Random seed.")]


@app.command("partition")
def partition_command(
    corpus: Annotated[str, typer.Argument(help="A prepared corpus.")],
    scheme: Annotated[str, typer.Option(help="Partition scheme.")] = "speaker-kfold",
    k: Annotated[int, typer.Option(help="Folds for speaker-kfold.")] = 5,
    test_fraction: Annotated[float, typer.Option(help="Test share per label for "
                                                 "stratified.")] = 0.25,
    valid_fraction: Annotated[float, typer.Option(help="Share of each fold's train held out "
                                                  "for model selection.")] = 0.2,
    seed: SeedOption = 0,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Split a prepared corpus into folds of train / valid / test keys."""
    name = get_corpus(corpus).name
    ws = workspace_of(workspace)
    utts = read_manifest(ws.manifest(name))
    params = {"k": k} if scheme == "speaker-kfold" else (
        {"test_fraction": test_fraction} if scheme == "stratified" else {})
    if scheme not in SCHEMES:
        raise EmoboxError(f"unknown scheme {scheme!r} (available: {', '.join(sorted(SCHEMES))})")
    splits = partition(utts, scheme, seed=seed, valid_fraction=valid_fraction, **params)
    path = splits.save(ws.splits(name, scheme))
    if json_output:
        print_json({"splits": str(path), **{f: {p: len(v) for p, v in fold.to_dict().items()}
                                             for f, fold in splits.folds.items()}})
        return
    table = Table(title=f"{name}: {scheme} → {path}")
    for col in ("fold", "train", "valid", "test"):
        table.add_column(col, justify="right")
    for fold_name, fold in splits.folds.items():
        table.add_row(fold_name, str(len(fold.train)), str(len(fold.valid)), str(len(fold.test)))
    out.print(table)
