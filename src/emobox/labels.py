"""Label spaces: map each corpus's canonical labels into a shared set of classes.

* ``native`` — the corpus's own canonical labels (identity);
* ``serval8`` — SER Evals' 8 classes (happiness, sadness, disgust, fear, surprise, anger,
  other, neutral) with its per-corpus mapping (EmoDB boredom → sadness, MEAD contempt →
  disgust, ShEMO fear → other, RESD enthusiasm → other, …);
* ``shared4`` — angry, happy, neutral, sad: EmoBox's cross-corpus space;
* a JSON mapping file: ``{"labels": [...], "map": {"*": {"Angry": "neg"}, "ravdess": {...}}}``
  or just ``{"Angry": "neg", ...}``.

Labels are matched case-insensitively. Unmapped labels are dropped or become ``other``,
counted either way:

>>> from emobox.manifest import Utterance
>>> utts = [Utterance(key=f"k{i}", dataset="emodb", wav="a.wav", emo="x", label=lab)
...         for i, lab in enumerate(["Angry", "Boredom", "Disgust"])]
>>> kept, counts = apply_label_space(utts, "shared4")
>>> [u.label for u in kept], counts["dropped"]
(['Angry'], 2)
>>> [u.label for u in apply_label_space(utts, "serval8")[0]]
['anger', 'sadness', 'disgust']
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from emobox.errors import EmoboxError
from emobox.manifest import Utterance

OTHER = "other"
#: SER Evals' classes in its output order.
SERVAL8 = ("happiness", "sadness", "disgust", "fear", "surprise", "anger", "other", "neutral")
SHARED4 = ("Angry", "Happy", "Neutral", "Sad")

_SERVAL_DEFAULT = {"happy": "happiness", "sad": "sadness", "disgust": "disgust", "fear": "fear",
                   "surprise": "surprise", "angry": "anger", "neutral": "neutral"}
#: Per-corpus departures from the default mapping (serval.md §2.2), by canonical label.
_SERVAL_CORPUS = {
    "emodb": {"boredom": "sadness"},
    "mead": {"contempt": "disgust"},
    "shemo": {"fear": OTHER},
    "resd": {"enthusiastic": OTHER},
    "demos": {"guilt": "sadness"},
    "masc": {"elation": "happiness", "panic": "fear"},
    "eekk": {"joy": "happiness"},
    "expresso": {"awe": "surprise", "boredom": "neutral", "calm": "neutral",
                 "laughing": "happiness"},
}


@dataclass(frozen=True)
class LabelSpace:
    """A target label set and how each corpus's canonical labels map into it.

    `mapping` is ``{corpus or "*": {source label (lower case): target or None}}``; `identity`
    keeps every label as is (the native space).
    """

    name: str
    labels: tuple[str, ...]
    mapping: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    identity: bool = False

    def map(self, corpus: str | None, label: str) -> str | None:
        """The target label of `label` in `corpus`, or None when unmapped."""
        if self.identity:
            return label
        key = label.strip().lower()
        for scope in (corpus or "", "*"):
            table = self.mapping.get(scope, {})
            if key in table:
                return table[key]
        return None


def _lower(table: Mapping[str, str | None]) -> dict[str, str | None]:
    return {k.lower(): v for k, v in table.items()}


NATIVE = LabelSpace("native", (), identity=True)
SERVAL = LabelSpace("serval8", SERVAL8, {"*": _SERVAL_DEFAULT,
                                         **{c: _lower(t) for c, t in _SERVAL_CORPUS.items()}})
SHARED = LabelSpace("shared4", SHARED4, {"*": {lab.lower(): lab for lab in SHARED4}})
LABEL_SPACES = {space.name: space for space in (NATIVE, SERVAL, SHARED)}


def get_label_space(name: str | os.PathLike | LabelSpace) -> LabelSpace:
    """A built-in space by name (native, serval8, shared4) or one read from a JSON file."""
    if isinstance(name, LabelSpace):
        return name
    if str(name) in LABEL_SPACES:
        return LABEL_SPACES[str(name)]
    path = Path(name)
    if not path.is_file():
        raise EmoboxError(f"unknown label space {str(name)!r} (built in: "
                          f"{', '.join(LABEL_SPACES)}; or a JSON mapping file)")
    return read_label_space(path)


def read_label_space(path: str | os.PathLike) -> LabelSpace:
    """A user mapping file (see the module docstring); `null` targets mark a label unmapped."""
    path = Path(path)
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EmoboxError(f"{path}: cannot read the label mapping ({exc})") from None
    if not isinstance(data, dict):
        raise EmoboxError(f"{path}: a label mapping must be a JSON object")
    table = data["map"] if "map" in data else {
        k: v for k, v in data.items() if k not in ("name", "labels")}
    if not isinstance(table, dict):
        raise EmoboxError(f"{path}: field 'map' must be an object")
    if all(isinstance(v, str) or v is None for v in table.values()):
        table = {"*": table}
    mapping: dict[str, dict[str, str | None]] = {}
    for scope, entries in table.items():
        if not isinstance(entries, dict) or not all(
                isinstance(v, str) or v is None for v in entries.values()):
            raise EmoboxError(f"{path}: field 'map.{scope}' must map labels to strings or null")
        mapping[str(scope)] = _lower(entries)
    targets = sorted({v for t in mapping.values() for v in t.values() if v is not None})
    labels = data.get("labels", targets)
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise EmoboxError(f"{path}: field 'labels' must be a list of strings")
    stray = sorted(set(targets) - set(labels) - {OTHER})
    if stray:
        raise EmoboxError(f"{path}: target {stray[0]!r} is not in field 'labels'")
    return LabelSpace(str(data.get("name", path.stem)), tuple(labels), mapping)


def apply_label_space(
    utterances: Sequence[Utterance],
    space: str | os.PathLike | LabelSpace,
    *,
    unmapped: str = "drop",
) -> tuple[list[Utterance], dict[str, Any]]:
    """Relabel `utterances` into `space` (copies; the native label is kept in
    ``extra["native_label"]``). Unmapped labels are dropped or become ``other``
    (`unmapped`). Returns the utterances and counts: kept, dropped, other, per target label
    and the unmapped native labels per corpus."""
    if unmapped not in ("drop", "other"):
        raise EmoboxError(f"unmapped labels are 'drop'ped or made 'other', not {unmapped!r}")
    space = get_label_space(space)
    out: list[Utterance] = []
    missing: Counter = Counter()
    for u in utterances:
        target = space.map(u.dataset, u.label)
        if target is None:
            missing[f"{u.dataset}:{u.label}"] += 1
            if unmapped == "drop":
                continue
            target = OTHER
        out.append(replace(u, label=target, extra={**u.extra, "native_label": u.label}))
    per_label = Counter(u.label for u in out)
    counts = {"space": space.name, "kept": len(out), "dropped": len(utterances) - len(out),
              "other": per_label.get(OTHER, 0), "labels": dict(sorted(per_label.items())),
              "unmapped": dict(sorted(missing.items()))}
    return out, counts


__all__ = [
    "LABEL_SPACES",
    "NATIVE",
    "OTHER",
    "SERVAL",
    "SERVAL8",
    "SHARED",
    "SHARED4",
    "LabelSpace",
    "apply_label_space",
    "get_label_space",
    "read_label_space",
]
