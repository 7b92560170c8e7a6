"""The Typer application and helpers shared by the command modules."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from emobox.workspace import Workspace

app = typer.Typer(
    name="emobox",
    help="Speech emotion recognition toolkit and benchmark (EmoBox and SER Evals protocols).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(width=shutil.get_terminal_size((150, 24)).columns)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace folder (default: $EMOBOX_WORKSPACE or "
                 "./emobox-work)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def workspace_of(path: Path | None) -> Workspace:
    return Workspace.resolve(path)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
