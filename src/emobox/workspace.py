"""Where every stage reads and writes: one folder, laid out as in DESIGN.md."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from emobox.errors import EmoboxError

DEFAULT_WORKSPACE = "emobox-work"


@dataclass(frozen=True)
class Workspace:
    """Paths inside a workspace folder (default ``./emobox-work`` or ``$EMOBOX_WORKSPACE``)."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))  # a str or any os.PathLike

    @classmethod
    def resolve(cls, root: str | os.PathLike | None = None) -> Workspace:
        """The workspace given, else ``$EMOBOX_WORKSPACE``, else ``./emobox-work``; a path
        that exists but is not a folder is refused."""
        path = Path(root or os.environ.get("EMOBOX_WORKSPACE") or DEFAULT_WORKSPACE)
        if path.exists() and not path.is_dir():
            raise EmoboxError(f"workspace {path} is a file, not a folder")
        return cls(path)

    def corpus_dir(self, corpus: str) -> Path:
        return self.root / "corpora" / corpus

    def manifest(self, corpus: str) -> Path:
        return self.corpus_dir(corpus) / "manifest.jsonl"

    def corpus_record(self, corpus: str) -> Path:
        return self.corpus_dir(corpus) / "corpus.json"

    def prepare_report(self, corpus: str) -> Path:
        return self.corpus_dir(corpus) / "prepare_report.json"

    def splits(self, corpus: str, scheme: str) -> Path:
        return self.corpus_dir(corpus) / "splits" / f"{scheme}.json"

    def features(self, store_name: str, corpus: str) -> Path:
        """The feature store of a model on a corpus; `store_name` is the model's one folder
        name (`emobox.features.store_name`)."""
        if not store_name or "/" in store_name or store_name.startswith("."):
            raise EmoboxError(f"not a feature store name: {store_name!r}")
        return self.root / "features" / store_name / corpus

    @property
    def results(self) -> Path:
        return self.root / "results.sqlite"

    @property
    def reports(self) -> Path:
        return self.root / "reports"
