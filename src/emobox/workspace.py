"""Where every stage reads and writes: one folder, laid out as in DESIGN.md."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WORKSPACE = "emobox-work"


@dataclass(frozen=True)
class Workspace:
    """Paths inside a workspace folder (default ``./emobox-work`` or ``$EMOBOX_WORKSPACE``)."""

    root: Path

    @classmethod
    def resolve(cls, root: str | os.PathLike | None = None) -> Workspace:
        return cls(Path(root or os.environ.get("EMOBOX_WORKSPACE") or DEFAULT_WORKSPACE))

    def corpus_dir(self, corpus: str) -> Path:
        return self.root / "corpora" / corpus

    def manifest(self, corpus: str) -> Path:
        return self.corpus_dir(corpus) / "manifest.jsonl"

    def prepare_report(self, corpus: str) -> Path:
        return self.corpus_dir(corpus) / "prepare_report.json"

    def splits(self, corpus: str, scheme: str) -> Path:
        return self.corpus_dir(corpus) / "splits" / f"{scheme}.json"

    def features(self, model: str, corpus: str) -> Path:
        return self.root / "features" / model_dirname(model) / corpus

    @property
    def results(self) -> Path:
        return self.root / "results.sqlite"

    @property
    def reports(self) -> Path:
        return self.root / "reports"


def model_dirname(model: str) -> str:
    """A filesystem-safe folder name for a model id or path (``microsoft/wavlm-base`` →
    ``microsoft__wavlm-base``)."""
    return model.strip("/").replace("/", "__").replace(":", "_")
