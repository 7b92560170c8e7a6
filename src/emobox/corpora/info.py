"""`CorpusInfo`: the one record of every fact about a corpus. Each corpus module declares its
record beside the rules that read its files; the registry, the partition schemes, the label
spaces, `emobox corpora` and the README's corpus table all read these records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class CorpusInfo:
    """Everything known about a corpus, in one record that every part of emobox reads.

    * identity and provenance: name, display name, languages, source, url, licence, notes;
    * `label_map`: raw label (as in the corpus) → canonical EmoBox label; `emotions` and
      `n_classes` are derived from it;
    * published figures (EmoBox Table 1, else SER Evals Table 1 or the corpus paper):
      `n_emotions`, `n_speakers`, `n_utterances`, `hours` — `notes` explains where the
      release differs;
    * `protocols` the corpus belongs to; its EmoBox partition (the released folds, from
      ``emobox/data/emobox_partitions.json``) is `emobox_partition`;
    * SER Evals: `serval_map` (canonical label → SER Evals class, where it departs from the
      default name mapping; unmapped labels become ``other``) and `serval_cluster` (the
      out-of-domain eligibility cluster, ``constants.DATASET_CLUSTERS``).
    """

    name: str
    display_name: str
    languages: tuple[str, ...]
    label_map: Mapping[str, str]
    source: str = "acted"
    n_emotions: int | None = None
    n_speakers: int | None = None
    n_utterances: int | None = None
    hours: float | None = None
    url: str = ""
    license: str = ""
    protocols: tuple[str, ...] = ("emobox",)
    notes: str = ""
    serval_map: Mapping[str, str] = field(default_factory=dict)
    serval_cluster: str | None = None

    @property
    def emotions(self) -> list[str]:
        """Canonical labels, sorted."""
        return sorted(set(self.label_map.values()))

    @property
    def n_classes(self) -> int:
        """How many classes emobox trains on (may differ from the published `n_emotions`)."""
        return len(self.emotions)

    @property
    def emobox_partition(self) -> dict[str, Any] | None:
        """EmoBox's released partition of this corpus (rule, folds, counts), or None."""
        from emobox.partition.released import emobox_partitions

        return emobox_partitions().get(self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "display_name": self.display_name,
            "languages": list(self.languages),
            "source": self.source,
            "emotions": self.emotions,
            "n_classes": self.n_classes,
            "n_emotions": self.n_emotions,
            "n_speakers": self.n_speakers,
            "n_utterances": self.n_utterances,
            "hours": self.hours,
            "url": self.url,
            "license": self.license,
            "protocols": list(self.protocols),
            "notes": self.notes,
            "label_map": dict(self.label_map),
            "serval_map": dict(self.serval_map),
            "serval_cluster": self.serval_cluster,
            "emobox_partition": self.emobox_partition,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CorpusInfo:
        """The inverse of `to_dict` (derived fields ignored): how user corpora are stored."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        for key in ("languages", "protocols"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)
