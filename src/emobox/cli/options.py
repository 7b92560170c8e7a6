"""Options and helpers every command module shares: one definition, one default, one help
text each. Defaults follow the EmoBox protocol (DESIGN.md): the ``emobox`` scheme (``paper``
for corpora EmoBox does not include), every stored layer, 100 epochs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from emobox.workspace import Workspace

WorkspaceOption = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace folder (default: $EMOBOX_WORKSPACE or "
                 "./emobox-work).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
CorpusArgument = Annotated[str, typer.Argument(help="A corpus name (see `emobox corpora`) or "
                                               "a corpus prepared from a table.",
                                               metavar="CORPUS")]
CorporaArgument = Annotated[list[str], typer.Argument(help="Prepared corpora.",
                                                      metavar="CORPUS...")]
ModelOption = Annotated[str, typer.Option(
    "--model", "-m", help="egemaps, egemaps-lld, logmel, a registry name (`emobox models`), a "
    "hub id or a local model folder.")]
SchemeOption = Annotated[str | None, typer.Option(
    help="Partition scheme: emobox, paper, official, loso, speaker-kfold, stratified, file "
    "(default: emobox for EmoBox's corpora, paper for others).", show_default=False)]
SeedOption = Annotated[int, typer.Option(help="Random seed.")]
DeviceOption = Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")]
LayersOption = Annotated[str, typer.Option(help="Layers to store: all, last, or "
                                           "comma-separated indices.")]
PrecisionOption = Annotated[str, typer.Option(
    help="auto (bf16 where the CPU has native bf16 or on CUDA, else fp32), fp32, bf16, fp16.")]
EpochsOption = Annotated[int, typer.Option(help="Training epochs.", min=1)]
LrOption = Annotated[float, typer.Option(help="Peak learning rate.")]
HiddenOption = Annotated[int, typer.Option(help="Hidden size of the head.", min=1)]
LayerOption = Annotated[int | None, typer.Option(help="Layer to train on (default: the last "
                                                 "stored).", show_default=False)]
AllowMissingOption = Annotated[bool, typer.Option(
    "--allow-missing", help="Leave out utterances without features (counted in the results) "
    "instead of stopping.")]

#: One default per setting, read by every command (and the demo).
DEFAULT_MODEL = "egemaps"
DEFAULT_LAYERS = "all"


def workspace_of(path: Path | None) -> Workspace:
    return Workspace.resolve(path)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def prepared(ws: Workspace, corpus: str) -> str:
    """The name of `corpus` (registry or workspace), after checking it is prepared in `ws`."""
    from emobox.corpora import resolve_corpus
    from emobox.errors import EmoboxError

    name = resolve_corpus(ws, corpus)
    if not ws.manifest(name).is_file():
        raise EmoboxError(f"manifest not found: {ws.manifest(name)} "
                          f"(run `emobox prepare {name} --raw DIR` first)")
    return name


def scheme_for(corpus: str, scheme: str | None) -> str:
    """The scheme given, else the benchmark's default for `corpus`."""
    from emobox.partition import default_scheme

    return scheme or default_scheme(corpus)
