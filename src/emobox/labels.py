"""Label spaces: map each corpus's canonical labels into a shared set of classes.

* ``native`` — the corpus's own canonical labels (identity);
* ``serval8`` — SER Evals' 8 classes (happiness, sadness, disgust, fear, surprise, anger,
  other, neutral) with its per-corpus mapping, read from each corpus's record
  (`CorpusInfo.serval_map`: EmoDB boredom → sadness, MEAD contempt → disgust, ShEMO fear →
  other, …); every other label becomes ``other``, for every corpus (serval.md §2.1);
* ``shared4`` — angry, happy, neutral, sad: EmoBox's cross-corpus space;
* a JSON mapping file: ``{"labels": [...], "map": {"*": {"Angry": "neg"}, "ravdess": {...}}}``
  or just ``{"Angry": "neg", ...}``.

Labels are matched case-insensitively. Unmapped labels are dropped (``shared4``, mapping
files) or become ``other`` (``serval8``), counted either way:

>>> from emobox.manifest import Utterance
>>> utts = [Utterance(key=f"k{i}", dataset="emodb", wav="a.wav", emo="x", label=lab)
...         for i, lab in enumerate(["Angry", "Boredom", "Disgust"])]
>>> kept, counts = apply_label_space(utts, "shared4")
>>> [u.label for u in kept], counts["dropped"]
(['Angry'], 2)
>>> [u.label for u in apply_label_space(utts, "serval8")[0]]
['anger', 'sadness', 'disgust']
>>> calm = [Utterance(key="c", dataset="ravdess", wav="c.wav", emo="02", label="Calm")]
>>> [u.label for u in apply_label_space(calm, "serval8")[0]]
['other']
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
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


def _serval_map(corpus: str) -> dict[str, str | None]:
    """A corpus's departures from the default SER Evals mapping (serval.md §2.2), read from
    its `CorpusInfo` record; none for corpora outside the registry."""
    from emobox.corpora import get_corpus
    from emobox.errors import EmoboxError

    try:
        return _lower(get_corpus(corpus).info.serval_map)
    except EmoboxError:
        return {}


@dataclass(frozen=True)
class LabelSpace:
    """A target label set and how each corpus's canonical labels map into it.

    `mapping` is ``{corpus or "*": {source label (lower case): target or None}}``;
    `per_corpus` (optional) gives further per-corpus tables by corpus name; `identity` keeps
    every label as is (the native space). `unmapped` says what happens to a label with no
    target: ``"drop"`` the utterance, or make it ``"other"`` (SER Evals: "any label that is
    unmapped or unknown becomes other", serval.md §2.1).
    """

    name: str
    labels: tuple[str, ...]
    mapping: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    identity: bool = False
    unmapped: str = "drop"
    per_corpus: Callable[[str], Mapping[str, str | None]] | None = None

    def map(self, corpus: str | None, label: str) -> str | None:
        """The target label of `label` in `corpus`, or None when unmapped."""
        if self.identity:
            return label
        key = label.strip().lower()
        if corpus and self.per_corpus is not None:
            table = self.per_corpus(corpus)
            if key in table:
                return table[key]
        for scope in (corpus or "", "*"):
            table = self.mapping.get(scope, {})
            if key in table:
                return table[key]
        return None


def _lower(table: Mapping[str, str | None]) -> dict[str, str | None]:
    return {k.lower(): v for k, v in table.items()}


NATIVE = LabelSpace("native", (), identity=True)
SERVAL = LabelSpace("serval8", SERVAL8, {"*": _SERVAL_DEFAULT}, unmapped="other",
                    per_corpus=_serval_map)
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
        k: v for k, v in data.items() if k not in ("name", "labels", "unmapped")}
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
    unmapped = data.get("unmapped", "drop")
    if unmapped not in ("drop", "other"):
        raise EmoboxError(f"{path}: field 'unmapped' must be 'drop' or 'other'")
    return LabelSpace(str(data.get("name", path.stem)), tuple(labels), mapping,
                      unmapped=unmapped)


def apply_label_space(
    utterances: Sequence[Utterance],
    space: str | os.PathLike | LabelSpace,
    *,
    unmapped: str | None = None,
) -> tuple[list[Utterance], dict[str, Any]]:
    """Relabel `utterances` into `space` (copies; the native label is kept in
    ``extra["native_label"]``). Unmapped labels are dropped or become ``other``
    (`unmapped`; default: the space's own rule). Returns the utterances and counts: kept,
    dropped, other, per target label and the unmapped native labels per corpus."""
    space = get_label_space(space)
    unmapped = unmapped or space.unmapped
    if unmapped not in ("drop", "other"):
        raise EmoboxError(f"unmapped labels are 'drop'ped or made 'other', not {unmapped!r}")
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
