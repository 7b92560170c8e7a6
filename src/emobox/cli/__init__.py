"""Command line: one verb per pipeline stage. Each module in this package adds its commands."""

from __future__ import annotations

import importlib
import pkgutil
import sys

from emobox.cli.app import app
from emobox.errors import EmoboxError

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "app":
        importlib.import_module(f"{__name__}.{_module.name}")


def main() -> None:
    """Entry point: user mistakes become one line on stderr and exit code 2."""
    try:
        app()
    except EmoboxError as exc:
        print(f"emobox: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("emobox: interrupted", file=sys.stderr)
        sys.exit(130)


__all__ = ["app", "main"]
