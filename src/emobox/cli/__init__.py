"""Command line: one thin module per pipeline stage, sharing `options`; each adds its
commands to the Typer app of `app`."""

from __future__ import annotations

import importlib
import pkgutil
import sys

from emobox.cli.app import app
from emobox.errors import EmoboxError, Interrupted

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("app", "options", "config"):
        importlib.import_module(f"{__name__}.{_module.name}")


def main() -> None:
    """Entry point: user mistakes become one line on stderr and exit code 2; an interrupted
    stage says what it saved and exits 130."""
    try:
        app()
    except SystemExit as exc:  # Typer turns Ctrl-C into a silent exit 130: say what it means
        if exc.code == 130:
            print("emobox: interrupted; finished runs are stored, rerun the same command to "
                  "resume", file=sys.stderr)
        raise
    except Interrupted as exc:
        print(f"emobox: {exc}", file=sys.stderr)
        sys.exit(130)
    except EmoboxError as exc:
        print(f"emobox: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("emobox: interrupted; rerun the same command to resume", file=sys.stderr)
        sys.exit(130)


__all__ = ["app", "main"]
