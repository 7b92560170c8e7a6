"""Data partitions: schemes that turn a manifest into folds of train / valid / test keys.

Every scheme is a function ``(utterances, *, seed, **params) -> list[Fold]`` registered in
`SCHEMES`; `partition` runs one and carves the validation split. All randomness is seeded.

>>> from emobox.manifest import Utterance
>>> utts = [Utterance(key=f"k{s}{i}", dataset="d", wav=f"{s}/{i}.wav", emo="e",
...                   label="AB"[i % 2], speaker=str(s)) for s in range(4) for i in range(10)]
>>> splits = partition(utts, "loso")
>>> len(splits.folds), sorted({u.speaker for u in utts if u.key in splits.folds["1"].test})
(4, ['0'])
"""

from __future__ import annotations

import json
import os
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emobox.errors import EmoboxError
from emobox.manifest import Utterance, atomic_write_text


@dataclass
class Fold:
    """Key lists of one fold."""

    train: list[str]
    valid: list[str]
    test: list[str]

    def to_dict(self) -> dict[str, list[str]]:
        return {"train": self.train, "valid": self.valid, "test": self.test}


@dataclass
class Splits:
    """The folds of one scheme on one corpus, with the scheme's name and parameters."""

    scheme: str
    folds: dict[str, Fold]
    params: dict[str, Any] = field(default_factory=dict)
    speaker_independent: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "params": self.params,
                "speaker_independent": self.speaker_independent,
                "folds": {name: fold.to_dict() for name, fold in self.folds.items()}}

    def save(self, path: str | os.PathLike) -> Path:
        return atomic_write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Splits:
        path = Path(path)
        if not path.is_file():
            raise EmoboxError(f"splits file not found: {path} (run `emobox partition` first)")
        try:
            data = json.loads(path.read_text())
            folds = {name: Fold(**f) for name, f in data["folds"].items()}
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise EmoboxError(f"{path}: not a splits file ({exc})") from None
        return cls(data.get("scheme", path.stem), folds, data.get("params", {}),
                   data.get("speaker_independent", False))


SchemeFn = Callable[..., list[Fold]]
#: name -> (function, speaker independent?)
SCHEMES: dict[str, tuple[SchemeFn, bool]] = {}


def scheme(name: str, *, speaker_independent: bool) -> Callable[[SchemeFn], SchemeFn]:
    """Register a partition scheme under `name`."""

    def register(fn: SchemeFn) -> SchemeFn:
        SCHEMES[name] = (fn, speaker_independent)
        return fn

    return register


def partition(
    utterances: Sequence[Utterance],
    scheme_name: str = "speaker-kfold",
    *,
    seed: int = 0,
    valid_fraction: float = 0.2,
    **params: Any,
) -> Splits:
    """Split `utterances` with a registered scheme, then move `valid_fraction` of each fold's
    train to valid (stratified by label; speaker-disjoint when the scheme is speaker
    independent and enough speakers remain). Leakage is refused."""
    if scheme_name not in SCHEMES:
        raise EmoboxError(f"unknown partition scheme {scheme_name!r} "
                          f"(available: {', '.join(sorted(SCHEMES))})")
    fn, independent = SCHEMES[scheme_name]
    folds = fn(list(utterances), seed=seed, **params)
    by_key = {u.key: u for u in utterances}
    for i, fold in enumerate(folds):
        if valid_fraction > 0 and not fold.valid:
            train = [by_key[k] for k in fold.train]
            fold.train, fold.valid = validation_split(
                train, valid_fraction, seed=seed + i, speaker_disjoint=independent)
    splits = Splits(scheme_name, {str(i + 1): f for i, f in enumerate(folds)},
                    {"seed": seed, "valid_fraction": valid_fraction, **params}, independent)
    check_leakage(splits, by_key)
    return splits


def validation_split(
    train: Sequence[Utterance], fraction: float, *, seed: int = 0, speaker_disjoint: bool = False
) -> tuple[list[str], list[str]]:
    """Hold out `fraction` of `train`: whole speakers (≥ 3 needed) when `speaker_disjoint`,
    else a per-label stratified sample. Returns (train keys, valid keys)."""
    rng = random.Random(seed)
    speakers = sorted({u.speaker for u in train if u.speaker is not None})
    if speaker_disjoint and len(speakers) >= 3:
        rng.shuffle(speakers)
        n_valid = max(1, round(fraction * len(speakers)))
        held = set(speakers[:n_valid])
        valid = [u.key for u in train if u.speaker in held]
    else:
        valid = []
        for label_utts in _by_label(train).values():
            keys = [u.key for u in label_utts]
            rng.shuffle(keys)
            valid.extend(keys[: int(round(fraction * len(keys)))])
    held_keys = set(valid)
    return [u.key for u in train if u.key not in held_keys], sorted(held_keys)


def check_leakage(splits: Splits, by_key: dict[str, Utterance]) -> None:
    """Refuse a key in two parts of a fold, and shared speakers in a speaker-independent one."""
    for name, fold in splits.folds.items():
        parts = {"train": set(fold.train), "valid": set(fold.valid), "test": set(fold.test)}
        for a, b in (("train", "test"), ("train", "valid"), ("valid", "test")):
            both = parts[a] & parts[b]
            if both:
                raise EmoboxError(f"fold {name}: key {sorted(both)[0]!r} is in both {a} and {b}")
        if splits.speaker_independent:
            train_spk = {by_key[k].speaker for k in fold.train + fold.valid if k in by_key}
            shared = train_spk & {by_key[k].speaker for k in fold.test if k in by_key}
            if shared:
                raise EmoboxError(f"fold {name}: speaker-independent scheme but test shares "
                                  f"speakers with train: {', '.join(sorted(map(str, shared)))}")


def _by_label(utts: Sequence[Utterance]) -> dict[str, list[Utterance]]:
    groups: dict[str, list[Utterance]] = defaultdict(list)
    for u in utts:
        groups[u.label].append(u)
    return dict(sorted(groups.items()))


def _require_speakers(utts: Sequence[Utterance], minimum: int) -> list[str]:
    missing = [u.key for u in utts if u.speaker is None]
    if missing:
        raise EmoboxError(f"speaker-independent scheme needs speakers; {len(missing)} utterances "
                          f"have none (e.g. {missing[0]!r})")
    speakers = sorted({u.speaker for u in utts})  # type: ignore[type-var]
    if len(speakers) < minimum:
        raise EmoboxError(f"speaker-independent scheme needs at least {minimum} speakers, "
                          f"found {len(speakers)}")
    return speakers


def _folds_from_groups(utts: Sequence[Utterance], groups: list[list[str]]) -> list[Fold]:
    folds = []
    for group in groups:
        test_spk = set(group)
        folds.append(Fold(train=[u.key for u in utts if u.speaker not in test_spk], valid=[],
                          test=[u.key for u in utts if u.speaker in test_spk]))
    return folds


@scheme("loso", speaker_independent=True)
def leave_one_speaker_out(utts: list[Utterance], *, seed: int = 0) -> list[Fold]:
    """One fold per speaker (sorted speaker order)."""
    return _folds_from_groups(utts, [[s] for s in _require_speakers(utts, 2)])


@scheme("speaker-kfold", speaker_independent=True)
def speaker_kfold(utts: list[Utterance], *, seed: int = 0, k: int = 5) -> list[Fold]:
    """`k` folds of disjoint speaker groups (k capped at the number of speakers); speakers are
    shuffled with `seed` and dealt so the groups' utterance counts are as even as possible."""
    speakers = _require_speakers(utts, 2)
    k = min(k, len(speakers))
    counts: dict[str, int] = defaultdict(int)
    for u in utts:
        counts[u.speaker] += 1  # type: ignore[index]
    rng = random.Random(seed)
    rng.shuffle(speakers)
    speakers.sort(key=lambda s: -counts[s])  # stable: ties keep the seeded order
    groups: list[list[str]] = [[] for _ in range(k)]
    sizes = [0] * k
    for s in speakers:
        target = min(range(k), key=lambda i: (sizes[i], len(groups[i])))
        groups[target].append(s)
        sizes[target] += counts[s]
    return _folds_from_groups(utts, [sorted(g) for g in groups])


@scheme("stratified", speaker_independent=False)
def stratified(utts: list[Utterance], *, seed: int = 0, test_fraction: float = 0.25) -> list[Fold]:
    """One speaker-dependent fold: floor(`test_fraction` × count) of each label to test."""
    rng = random.Random(seed)
    test: set[str] = set()
    for label_utts in _by_label(utts).values():
        keys = [u.key for u in label_utts]
        rng.shuffle(keys)
        test.update(keys[: int(test_fraction * len(keys))])
    return [Fold(train=[u.key for u in utts if u.key not in test], valid=[],
                 test=[u.key for u in utts if u.key in test])]
