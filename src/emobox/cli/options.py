"""Options and helpers every command module shares: one definition, one default, one help
text each. Defaults follow the EmoBox protocol (DESIGN.md): the ``emobox`` scheme (``paper``
for corpora EmoBox does not include), every stored layer, 100 epochs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from emobox.partition.core import SCHEMES
from emobox.runs.spec import CORPUS_GROUPS
from emobox.runs.spec import DEFAULT_MODEL as DEFAULT_MODEL
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
    help=f"Partition scheme ({', '.join(SCHEMES)}) or the name of a saved splits file, e.g. "
    "emobox-import (default: emobox for EmoBox's corpora, paper for others).",
    show_default=False)]
SeedOption = Annotated[int, typer.Option(help="Random seed.")]
DeviceOption = Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")]
TrainDeviceOption = Annotated[str | None, typer.Option(
    "--device", help="Where heads train: cpu, cuda or cuda:N (default: cuda when there is a "
    "GPU, else cpu; the same batches and float32 arithmetic either way).",
    show_default=False)]
LayersOption = Annotated[str, typer.Option(help="Layers to store: all, last, or "
                                           "comma-separated indices.")]
PrecisionOption = Annotated[str, typer.Option(
    help="auto (bf16 on CUDA, and on CPUs with native bf16 for the model families that stay "
    "faithful in bf16; else fp32), fp32, bf16, fp16.")]
EpochsOption = Annotated[int | None, typer.Option(
    help="Training epochs (default: the recipe's, 100).", min=1, show_default=False)]
RecipeOption = Annotated[str, typer.Option(
    help="Training recipe: emobox (EmoBox §3.1 and its released recipe, with the lr × hidden "
    "grid) or serval (SER Evals).")]
GridOption = Annotated[str | None, typer.Option(
    help='Grid to sweep instead of the recipe\'s, e.g. "lr=1e-3,1e-4 hidden=128,256".',
    show_default=False)]
SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a recipe field, e.g. --set norm=frame --set head=linear.",
    metavar="FIELD=VALUE", show_default=False)]
NoValidOption = Annotated[bool, typer.Option(
    "--no-valid", help="Train on train + valid and keep the last epoch (marked in the "
    "results).")]
LayerOption = Annotated[int | None, typer.Option(help="Layer to train on (default: the last "
                                                 "stored).", show_default=False)]
AllowMissingOption = Annotated[bool, typer.Option(
    "--allow-missing", help="Leave out utterances without features (counted in the results) "
    "instead of stopping.")]

#: One default per setting, read by every command (and the demo): the model is the protocol
#: description's (`emobox.runs.spec`).
DEFAULT_LAYERS = "all"


ModelsOption = Annotated[list[str] | None, typer.Option(
    "--model", "-m", help="Model(s) whose features to use (repeatable; default egemaps): "
    "egemaps, a registry name, a hub id or a local folder.", show_default=False)]
CorporaGroupOption = Annotated[str | None, typer.Option(
    "--corpora", help="Add every prepared corpus (all) or those of a protocol (emobox, "
    "serval).", show_default=False)]


def select_corpora(ws: Workspace, names: list[str] | None, group: str | None) -> list[str]:
    """The corpora a grid runs on: the names given plus a group of prepared corpora."""
    from emobox.corpora import corpus_info
    from emobox.errors import EmoboxError

    chosen = [prepared(ws, c) for c in names or []]
    if group is not None:
        if group not in CORPUS_GROUPS:
            raise EmoboxError(f"--corpora takes {', '.join(CORPUS_GROUPS)}, not {group!r}")
        root = ws.root / "corpora"
        found = sorted(p.name for p in root.iterdir() if (p / "manifest.jsonl").is_file()) \
            if root.is_dir() else []
        chosen += [c for c in found if group == "all"
                   or group in corpus_info(ws, c).protocols]
    chosen = list(dict.fromkeys(chosen))
    if not chosen:
        raise EmoboxError("no corpora: name them, or pass --corpora all|emobox|serval")
    return chosen


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
