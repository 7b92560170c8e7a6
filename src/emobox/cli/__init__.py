"""Command line: one thin module per pipeline stage, sharing `options`; each adds its
commands to the Typer app of `app`."""

from __future__ import annotations

import errno
import importlib
import pkgutil
import signal
import sys

from emobox.cli.app import app
from emobox.errors import EmoboxError, Interrupted

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("app", "options"):
        importlib.import_module(f"{__name__}.{_module.name}")


#: Folders a command could not write into, by errno: a read-only workspace is a user's
#: setting, said in one line.
UNWRITABLE = (errno.EROFS, errno.EACCES, errno.EPERM)
_terminated: list[int] = []


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is (so it stops as on Ctrl-C)."""


def _on_sigterm(signum: int, _frame: object) -> None:
    _terminated.append(signum)
    raise Terminated


def main() -> None:
    """Entry point: user mistakes become one line on stderr and exit code 2; an interrupted
    stage says what it saved and exits 130 (Ctrl-C) or 143 (SIGTERM)."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        app()
    except SystemExit as exc:  # Typer turns Ctrl-C into a silent exit 130: say what it means
        if exc.code == 130:
            _stopped()
        raise
    except Interrupted as exc:
        print(f"emobox: {exc}", file=sys.stderr)
        sys.exit(143 if _terminated or exc.signum == signal.SIGTERM else 130)
    except EmoboxError as exc:
        print(f"emobox: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        _stopped()
    except OSError as exc:
        if exc.errno not in UNWRITABLE:
            raise
        where = exc.filename or "the workspace"
        print(f"emobox: error: cannot write {where}: {exc.strerror} (a read-only workspace? "
              "commands that only read, such as report and runs list, work there)",
              file=sys.stderr)
        sys.exit(2)


def _stopped() -> None:
    name = "SIGTERM" if _terminated else "Ctrl-C"
    print(f"emobox: interrupted ({name}); finished runs are stored, rerun the same command to "
          "resume", file=sys.stderr)
    sys.exit(143 if _terminated else 130)


__all__ = ["app", "main"]
