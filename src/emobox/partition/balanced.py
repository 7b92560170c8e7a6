"""Cross-corpus test sets: fully balanced selections (EmoBox §2.3, track 2), pseudo-label
agreement filtering with a pluggable labeler, and import of EmoBox's track2 lists.

A balanced set has exactly `per_cell` utterances for every (selected speaker, label) pair;
speakers are all, a list, or n per gender; everything is seeded:

>>> from emobox.manifest import Utterance
>>> utts = [Utterance(key=f"s{s}-{lab}-{i}", dataset="d", wav="a.wav", emo=lab, label=lab,
...                   speaker=f"s{s}") for s in range(3) for lab in ("Angry", "Sad")
...         for i in range(4)]
>>> chosen = balanced_test_set(utts, per_cell=2, space="native")
>>> len(chosen.keys), chosen.per_label
(12, {'Angry': 6, 'Sad': 6})
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from emobox.errors import EmoboxError
from emobox.labels import LabelSpace, apply_label_space, get_label_space
from emobox.manifest import Utterance

#: A pseudo-labeler: utterances in, one predicted label per utterance out.
Labeler = Callable[[Sequence[Utterance]], Sequence[str]]
SpeakerSelection = str | Sequence[str] | Mapping[str, int]


@dataclass(frozen=True)
class Preset:
    """A track2 composition: speakers (all / list / per gender) × items per speaker × label."""

    speakers: SpeakerSelection
    per_cell: int
    space: str = "shared4"


#: EmoBox's track2 test sets: 240 utterances each, 60 per emotion (§2.3).
TRACK2 = {
    "iemocap": Preset({"F": 5, "M": 5}, 6),
    "meld": Preset(["Chandler", "Joey", "Monica", "Phoebe", "Rachel", "Ross"], 10),
    "ravdess": Preset({"F": 10, "M": 10}, 3),
    "savee": Preset("all", 15),
}


@dataclass(frozen=True)
class Selection:
    """How a test set was selected: `method` in words, the pseudo-labeler whose agreement
    filtered the candidates (None: no pseudo-labels), the `lineage` of the labeler's model
    (`ModelInfo.lineage`; "" where not known) and the `source` that says so."""

    method: str
    labeler: str | None = None
    lineage: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "labeler": self.labeler, "lineage": self.lineage,
                "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Selection:
        return cls(str(data.get("method", "")), data.get("labeler"),
                   str(data.get("lineage") or ""), str(data.get("source", "")))

    def describe(self) -> str:
        by = f", pseudo-labels of {self.labeler}" if self.labeler else ""
        return f"{self.method}{by}" + (f" ({self.source})" if self.source else "")


#: EmoBox's released track2 lists: utterances whose emotion2vec pseudo-label agreed with
#: their label, then fully balanced (§2.3; reference/papers.md)
EMOBOX_TRACK2 = Selection("EmoBox's released track2 list", "a fine-tuned emotion2vec",
                          "emotion2vec", "EmoBox paper §2.3")


def selection_of(labeler: str | None, lineage: str = "", *, preset: bool = False) -> Selection:
    """The `Selection` of a set this module selects (seeded, fully balanced), with the
    pseudo-labeler's spelling and lineage where one filtered the candidates."""
    method = "EmoBox's track2 composition, seeded" if preset else "fully balanced, seeded"
    return Selection(method, labeler, lineage if labeler else "", "emobox balance")


@dataclass
class BalancedSet:
    """The selected keys, their labels in the chosen space, and how the selection went."""

    keys: list[str]
    labels: dict[str, str]
    speakers: list[str]
    per_cell: int
    counts: dict[str, dict[str, int]]
    skipped_speakers: dict[str, str] = field(default_factory=dict)
    agreement: dict[str, int] | None = None
    selection: Selection | None = None

    @property
    def per_label(self) -> dict[str, int]:
        return dict(sorted(Counter(self.labels.values()).items()))

    def to_dict(self) -> dict[str, Any]:
        return {"keys": self.keys, "labels": self.labels, "speakers": self.speakers,
                "per_cell": self.per_cell, "per_label": self.per_label, "counts": self.counts,
                "skipped_speakers": self.skipped_speakers, "agreement": self.agreement,
                "selection": self.selection.to_dict() if self.selection else None}


def agreeing(utterances: Sequence[Utterance], labeler: Labeler, space: LabelSpace
             ) -> tuple[list[Utterance], dict[str, int]]:
    """Keep utterances whose pseudo-label, mapped into `space`, equals their label (already
    in `space`). Returns the kept ones and counts (checked, agreed)."""
    predicted = list(labeler(list(utterances)))
    if len(predicted) != len(utterances):
        raise EmoboxError(f"the pseudo-labeler returned {len(predicted)} labels for "
                          f"{len(utterances)} utterances")
    kept = []
    for u, p in zip(utterances, predicted):
        mapped = space.map(u.dataset, str(p)) if not space.identity else str(p)
        if mapped is not None and mapped.lower() == u.label.lower():
            kept.append(u)
    return kept, {"checked": len(utterances), "agreed": len(kept)}


def _select_speakers(cells: Mapping[str, Mapping[str, list[Utterance]]], labels: Sequence[str],
                     per_cell: int, selection: SpeakerSelection, gender: Mapping[str, str | None],
                     rng: random.Random) -> tuple[list[str], dict[str, str]]:
    def shortfall(s: str) -> str | None:
        for lab in labels:
            have = len(cells.get(s, {}).get(lab, []))
            if have < per_cell:
                return f"{have} {lab} (< {per_cell})"
        return None

    every = sorted(set(cells) | set(gender))
    skipped = {s: why for s in every if (why := shortfall(s))}
    eligible = [s for s in every if s not in skipped]
    if isinstance(selection, str):
        if selection != "all":
            raise EmoboxError(f"speakers: 'all', a list or n per gender, not {selection!r}")
        chosen = eligible
    elif isinstance(selection, Mapping):
        chosen = []
        for g, n in sorted(selection.items()):
            pool = [s for s in eligible if gender.get(s) == g]
            if len(pool) < n:
                raise EmoboxError(f"asked for {n} speakers of gender {g}, only {len(pool)} have "
                                  f"{per_cell} utterances of every label")
            rng.shuffle(pool)
            chosen += sorted(pool[:n])
    else:
        chosen = list(selection)
        for s in chosen:
            if s not in every:
                raise EmoboxError(f"speaker {s!r} is not in the manifest")
            if s in skipped:
                raise EmoboxError(f"speaker {s!r} has only {skipped[s]} utterances")
    if not chosen:
        raise EmoboxError(f"no speaker has {per_cell} utterances of every label "
                          f"({', '.join(labels)})")
    return chosen, {s: w for s, w in skipped.items() if s not in chosen}


def balanced_test_set(
    utterances: Sequence[Utterance],
    *,
    space: str | os.PathLike | LabelSpace = "shared4",
    speakers: SpeakerSelection = "all",
    per_cell: int = 1,
    labels: Sequence[str] | None = None,
    seed: int = 0,
    labeler: Labeler | None = None,
) -> BalancedSet:
    """A fully balanced test set: `per_cell` utterances for every (speaker, label) of the
    selected speakers, labels in `space` (unmapped ones dropped). With `labeler`, only
    utterances whose pseudo-label agrees with their label are candidates."""
    if per_cell < 1:
        raise EmoboxError(f"items per speaker and label must be ≥ 1, not {per_cell}")
    space = get_label_space(space)
    utts, _ = apply_label_space(utterances, space, unmapped="drop")
    utts = [u for u in utts if u.speaker is not None]
    agreement = None
    if labeler is not None:
        utts, agreement = agreeing(utts, labeler, space)
    wanted = list(labels) if labels else (list(space.labels) if space.labels
                                           else sorted({u.label for u in utts}))
    cells: dict[str, dict[str, list[Utterance]]] = defaultdict(lambda: defaultdict(list))
    gender: dict[str, str | None] = {}
    for u in utts:
        if u.label in wanted:
            cells[u.speaker][u.label].append(u)  # type: ignore[index]
        gender.setdefault(u.speaker, u.gender)  # type: ignore[arg-type]
    rng = random.Random(seed)
    chosen, skipped = _select_speakers(cells, wanted, per_cell, speakers, gender, rng)
    keys: list[str] = []
    out_labels: dict[str, str] = {}
    counts: dict[str, dict[str, int]] = {}
    for s in chosen:
        counts[s] = {}
        for lab in wanted:
            pool = sorted(cells[s][lab], key=lambda u: u.key)
            picked = sorted(rng.sample(pool, per_cell), key=lambda u: u.key)
            keys += [u.key for u in picked]
            out_labels.update({u.key: lab for u in picked})
            counts[s][lab] = len(picked)
    return BalancedSet(keys, out_labels, chosen, per_cell, counts, skipped, agreement,
                       _selected(labeler))


def _selected(labeler: Labeler | None, preset: bool = False) -> Selection:
    """The selection record of a set picked here: the labeler by its `name` (else its type)
    and its `lineage` attribute, where it has them."""
    if labeler is None:
        return selection_of(None, preset=preset)
    name = getattr(labeler, "name", None) or type(labeler).__name__
    return selection_of(str(name), str(getattr(labeler, "lineage", "") or ""), preset=preset)


def preset_test_set(corpus: str, utterances: Sequence[Utterance], *, seed: int = 0,
                    labeler: Labeler | None = None) -> BalancedSet:
    """EmoBox's track2 composition for IEMOCAP, MELD, RAVDESS or SAVEE."""
    if corpus not in TRACK2:
        raise EmoboxError(f"no track2 preset for {corpus!r} (presets: {', '.join(TRACK2)})")
    p = TRACK2[corpus]
    chosen = balanced_test_set(utterances, space=p.space, speakers=p.speakers,
                               per_cell=p.per_cell, seed=seed, labeler=labeler)
    chosen.selection = _selected(labeler, preset=True)
    return chosen


# --- EmoBox track2 lists ---------------------------------------------------------------------

def _names(wav_filename: str) -> list[str]:
    p = PurePosixPath(wav_filename)
    stem = p.stem.replace("final_videos_test", "")
    names = [stem]
    if p.parent.name:
        names += [f"{p.parent.name}_{stem}", f"{p.parent.name}-{stem}"]
    return names


def read_track2(path: str | os.PathLike, utterances: Sequence[Utterance], *,
                space: str | os.PathLike | LabelSpace = "shared4") -> BalancedSet:
    """Match an EmoBox ``track2/<CORPUS>_selected_balenced.jsonl`` (``wav_filename``,
    ``label``, ``speaker``) onto our manifest by key, wav stem or ``<folder>_<stem>``; a name
    matching several utterances (MELD's repeated dia/utt numbers) is resolved by the label,
    then by preferring the test split. Unmatched lines are an error naming them."""
    path = Path(path)
    if not path.is_file():
        raise EmoboxError(f"track2 list not found: {path}")
    space = get_label_space(space)
    index: dict[str, list[Utterance]] = defaultdict(list)
    for u in utterances:
        stem = PurePosixPath(u.wav).stem
        for name in {u.key.split("-", 1)[-1], stem, f"{PurePosixPath(u.wav).parent.name}_{stem}"}:
            index[name].append(u)
    keys, labels, counts = [], {}, defaultdict(Counter)
    unmatched = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            wav, label = str(row["wav_filename"]), str(row["label"])
        except (json.JSONDecodeError, KeyError, TypeError):
            raise EmoboxError(f"{path}:{n}: expected wav_filename, label, speaker") from None
        test_only = "final_videos_test" in wav
        found: list[Utterance] = []
        for name in _names(wav):
            found = [u for u in index.get(name, []) if u.key not in labels]
            if found:
                break
        if len(found) > 1:
            same = [u for u in found if (space.map(u.dataset, u.label) or "").lower()
                    == label.lower()]
            found = same or found
            if test_only or len(found) > 1:
                tests = [u for u in found if str(u.extra.get("split", "")).lower() == "test"]
                found = tests or found
        if not found:
            unmatched.append(wav)
            continue
        u = found[0]
        target = space.map(u.dataset, label) or label
        keys.append(u.key)
        labels[u.key] = target
        counts[str(row.get("speaker", u.speaker))][target] += 1
    if unmatched:
        raise EmoboxError(f"{path}: {len(unmatched)} line(s) match no manifest utterance, e.g. "
                          f"{unmatched[0]!r}")
    per_cell = min((min(c.values()) for c in counts.values()), default=0)
    return BalancedSet(keys, labels, sorted(counts), per_cell,
                       {s: dict(sorted(c.items())) for s, c in sorted(counts.items())},
                       selection=EMOBOX_TRACK2)


__all__ = [
    "TRACK2",
    "EMOBOX_TRACK2",
    "BalancedSet",
    "Labeler",
    "Preset",
    "Selection",
    "agreeing",
    "balanced_test_set",
    "preset_test_set",
    "read_track2",
    "selection_of",
]
