"""The Typer application: global options (``--version``, ``-v``/``-q``) and shell completion.
Command modules import heavy libraries (torch, transformers) inside their commands, so
``emobox --help`` stays fast."""

from __future__ import annotations

import logging
import shutil
from typing import Annotated

import typer
import typer.core
from rich.console import Console

from emobox._version import __version__


def _usage_name(self: typer.core.TyperArgument) -> str:
    """Arguments in usage lines as click and POSIX write them (``CORPUS``, ``[NAME]``,
    ``CORPUS...``), not Typer's ``{CORPUS}``."""
    name = self.display_name_raw
    name = name if self.required else f"[{name}]"
    return name + ("..." if self.nargs != 1 and not name.endswith("...") else "")


typer.core.TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign]

app = typer.Typer(
    name="emobox",
    help="Speech emotion recognition toolkit and benchmark (EmoBox and SER Evals protocols).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
)
out = Console(width=shutil.get_terminal_size((150, 24)).columns)
log = logging.getLogger("emobox")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"emobox {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True,
                                         help="More log output (-vv: debug).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and "
                                        "errors.")] = False,
) -> None:
    """Speech emotion recognition toolkit and benchmark (EmoBox and SER Evals protocols)."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else
                                           logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(level=level, format="emobox: %(levelname)s: %(message)s")
    log.setLevel(level)
