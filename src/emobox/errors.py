"""User-facing errors: the CLI prints their message on one line and exits non-zero."""

from __future__ import annotations


class EmoboxError(Exception):
    """A mistake in the user's input (file, field, name), reported without a traceback."""


class ManifestError(EmoboxError):
    """A manifest file or row is malformed or inconsistent."""


class LayoutError(EmoboxError):
    """A raw corpus folder does not look like the corpus it was given as."""


class AudioError(EmoboxError):
    """An audio file cannot be read."""


class Interrupted(EmoboxError):
    """A long stage stopped on SIGINT/SIGTERM after saving its work; rerunning resumes.
    `signum` is the signal that stopped it (None: unknown)."""

    def __init__(self, message: str, signum: int | None = None) -> None:
        super().__init__(message)
        self.signum = signum
