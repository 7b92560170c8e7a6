"""Incremental rebuilds: ``site.json`` in the output folder records, per page or figure, the
digest of everything it was made from. A rebuild renders only what is new or whose inputs
changed, and removes the pages of runs no longer shown."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emobox.manifest import atomic_write_text

MANIFEST = "site.json"
#: Bumped whenever the pages' layout changes, so an old site is rebuilt in full.
LAYOUT = 2  # 2: run pages with calibration, figures cropped to their labels


def digest(*parts: Any) -> str:
    """A stable digest of JSON-able `parts` (and the layout version)."""
    text = json.dumps([LAYOUT, *parts], sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class SiteCache:
    """The manifest of one output folder: `render` writes a file only when its digest
    changed (or the file is gone); `save` writes the manifest; `prune` deletes files of a
    folder that were not rendered or kept this time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        path = root / MANIFEST
        try:
            self.old: dict[str, str] = json.loads(path.read_text()) if path.is_file() else {}
        except (OSError, json.JSONDecodeError):
            self.old = {}
        self.new: dict[str, str] = {}
        self.rendered = 0
        self.kept = 0

    def render(self, rel: str, key: str, make: Callable[[], str]) -> bool:
        """Write `make()` to `rel` unless it is there with digest `key`; True if written."""
        self.new[rel] = key
        target = self.root / rel
        if self.old.get(rel) == key and target.is_file():
            self.kept += 1
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(make(), encoding="utf-8")
        self.rendered += 1
        return True

    def keep(self, rel: str, key: str, make: Callable[[], Any], outputs: list[str]) -> bool:
        """Like `render` for a figure that `make()` writes itself into `outputs` (paths
        relative to the root); True if made."""
        self.new[rel] = key
        if self.old.get(rel) == key and all((self.root / o).is_file() for o in outputs):
            self.kept += 1
            return False
        make()
        self.rendered += 1
        return True

    def prune(self, folder: str) -> int:
        """Delete the files under `folder` that this build neither rendered nor kept."""
        gone = 0
        for rel in self.old:
            if rel.startswith(f"{folder}/") and rel not in self.new:
                path = self.root / rel
                if path.is_file():
                    path.unlink()
                    gone += 1
        return gone

    def save(self) -> None:
        atomic_write_text(self.root / MANIFEST, json.dumps(self.new, indent=0, sort_keys=True))
