"""Folds, splits files, the scheme registry, the validation split and the leakage guard.

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

import inspect
import json
import os
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emobox.errors import EmoboxError
from emobox.manifest import Utterance, atomic_write_text

#: Fewest speakers in a fold's train for a speaker-disjoint validation split.
MIN_VALID_SPEAKERS = 4
#: Share of a fold's train held out for model selection (EmoBox §3.1: 20 %): the one default
#: that partitions, recipes and the command line read.
VALID_FRACTION = 0.2


@dataclass
class Fold:
    """Key lists of one fold."""

    train: list[str]
    valid: list[str]
    test: list[str]

    def to_dict(self) -> dict[str, list[str]]:
        return {"train": self.train, "valid": self.valid, "test": self.test}


class Folds(list):
    """What a scheme may return instead of a plain list of folds: the folds plus facts the
    registry cannot know in advance (speaker independence for this corpus, notes)."""

    def __init__(self, folds: Sequence[Fold] = (), *, speaker_independent: bool | None = None,
                 notes: Sequence[str] = (), params: dict[str, Any] | None = None) -> None:
        super().__init__(folds)
        self.speaker_independent = speaker_independent
        self.notes = list(notes)
        self.params = dict(params or {})


@dataclass
class Splits:
    """The folds of one scheme on one corpus, with the scheme's name and parameters."""

    scheme: str
    folds: dict[str, Fold]
    params: dict[str, Any] = field(default_factory=dict)
    speaker_independent: bool = False
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = {"scheme": self.scheme, "params": self.params,
                "speaker_independent": self.speaker_independent,
                "folds": {name: fold.to_dict() for name, fold in self.folds.items()}}
        if self.notes:
            data["notes"] = self.notes
        return data

    def save(self, path: str | os.PathLike) -> Path:
        return atomic_write_text(path, json.dumps(self.to_dict(), indent=1, ensure_ascii=False)
                                 + "\n")

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "splits") -> Splits:
        """Build from `to_dict` output (``valid`` may be missing)."""
        try:
            folds = {str(name): Fold(train=list(f.get("train", [])), valid=list(f.get("valid", [])),
                                     test=list(f["test"]))
                     for name, f in data["folds"].items()}
        except (KeyError, TypeError, AttributeError) as exc:
            raise EmoboxError(f"{where}: not a splits file (missing {exc})") from None
        return cls(str(data.get("scheme", "file")), folds, dict(data.get("params", {})),
                   bool(data.get("speaker_independent", False)), list(data.get("notes", [])))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Splits:
        path = Path(path)
        if not path.is_file():
            raise EmoboxError(f"splits file not found: {path} (run `emobox partition` first)")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise EmoboxError(f"{path}: not a splits file ({exc})") from None
        if not isinstance(data, dict):
            raise EmoboxError(f"{path}: not a splits file (expected a JSON object)")
        splits = cls.from_dict(data, where=str(path))
        if "scheme" not in data:
            splits.scheme = path.stem
        return splits


SchemeFn = Callable[..., list[Fold]]
#: name -> (function, speaker independent?); a scheme returning `Folds` may override the flag.
SCHEMES: dict[str, tuple[SchemeFn, bool]] = {}


def scheme(name: str, *, speaker_independent: bool) -> Callable[[SchemeFn], SchemeFn]:
    """Register a partition scheme under `name`."""

    def register(fn: SchemeFn) -> SchemeFn:
        SCHEMES[name] = (fn, speaker_independent)
        return fn

    return register


def scheme_parameters(name: str) -> dict[str, Any]:
    """The parameters a scheme declares (keyword arguments besides `seed`) with defaults."""
    if name not in SCHEMES:
        raise EmoboxError(f"unknown partition scheme {name!r} "
                          f"(available: {', '.join(sorted(SCHEMES))})")
    signature = inspect.signature(SCHEMES[name][0])
    return {p.name: p.default for p in signature.parameters.values()
            if p.kind is p.KEYWORD_ONLY and p.name != "seed"}


def partition(
    utterances: Sequence[Utterance],
    scheme_name: str = "paper",
    *,
    seed: int = 0,
    valid_fraction: float = VALID_FRACTION,
    **params: Any,
) -> Splits:
    """Split `utterances` with a registered scheme, then move `valid_fraction` of each fold's
    train to valid (stratified by label; speaker-disjoint when the scheme is speaker
    independent and enough speakers remain). Leakage is refused."""
    if scheme_name not in SCHEMES:
        raise EmoboxError(f"unknown partition scheme {scheme_name!r} "
                          f"(available: {', '.join(sorted(SCHEMES))})")
    if not utterances:
        raise EmoboxError("cannot partition an empty manifest")
    if not 0 <= valid_fraction < 1:
        raise EmoboxError(f"valid fraction must be in [0, 1), not {valid_fraction}")
    declared = scheme_parameters(scheme_name)
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise EmoboxError(f"scheme {scheme_name!r} has no parameter {unknown[0]!r} (it takes: "
                          f"{', '.join(declared) or 'none'})")
    fn, independent = SCHEMES[scheme_name]
    folds = fn(list(utterances), seed=seed, **params)
    notes: list[str] = []
    extra_params: dict[str, Any] = {}
    if isinstance(folds, Folds):
        if folds.speaker_independent is not None:
            independent = folds.speaker_independent
        notes, extra_params = folds.notes, folds.params
    by_key = {u.key: u for u in utterances}
    where = _where(utterances, params)
    notes = list(notes)
    for i, fold in enumerate(folds):
        for part in ("train", "test"):
            if not getattr(fold, part):
                raise EmoboxError(f"{where}: scheme {scheme_name!r} made fold {i + 1} with an "
                                  f"empty {part} part")
        if valid_fraction > 0 and not fold.valid:
            train = [by_key[k] for k in fold.train]
            fold.train, fold.valid = validation_split(
                train, valid_fraction, seed=seed + i, speaker_disjoint=independent)
            notes += _validation_notes(i + 1, train, fold, independent)
            if not fold.train:
                raise EmoboxError(f"{where}: fold {i + 1} has no training data left after "
                                  "holding out validation; lower --valid-fraction")
    splits = Splits(scheme_name, {str(i + 1): f for i, f in enumerate(folds)},
                    {"seed": seed, "valid_fraction": valid_fraction, **params, **extra_params},
                    independent, notes)
    check_leakage(splits, by_key)
    return splits


def _where(utterances: Sequence[Utterance], params: dict[str, Any]) -> str:
    names = sorted({u.dataset for u in utterances})
    return str(params.get("corpus") or (names[0] if len(names) == 1 else "manifest"))


def _validation_notes(fold: int, train: Sequence[Utterance], parts: Fold, independent: bool
                      ) -> list[str]:
    """Say where the validation split is not what the scheme promises."""
    if not parts.valid:
        return [f"fold {fold}: train too small for a validation split (the last epoch is kept)"]
    speakers = {u.speaker for u in train}
    if independent and len(speakers) < MIN_VALID_SPEAKERS:
        return [f"fold {fold}: validation is not speaker-disjoint ({len(speakers)} training "
                f"speakers; it needs {MIN_VALID_SPEAKERS}): a stratified sample per label"]
    return []


def validation_split(
    train: Sequence[Utterance], fraction: float, *, seed: int = 0, speaker_disjoint: bool = False
) -> tuple[list[str], list[str]]:
    """Hold out `fraction` of `train` (EmoBox §3.1: 20 %). With `speaker_disjoint` and at least
    `MIN_VALID_SPEAKERS` speakers: whole speakers, chosen (seeded) so that valid holds close to
    `fraction` of the utterances with a label mix close to train's; else a per-label
    stratified sample. Returns (train keys in input order, sorted valid keys)."""
    rng = random.Random(seed)
    speakers = sorted({u.speaker for u in train if u.speaker is not None})
    has_all = all(u.speaker is not None for u in train)
    if speaker_disjoint and has_all and len(speakers) >= MIN_VALID_SPEAKERS and fraction > 0:
        held = _pick_speakers(train, speakers, fraction, rng)
        valid = [u.key for u in train if u.speaker in held]
    else:
        valid = []
        for label_utts in _by_label(train).values():
            keys = [u.key for u in label_utts]
            rng.shuffle(keys)
            valid.extend(keys[: int(round(fraction * len(keys)))])
    held_keys = set(valid)
    return [u.key for u in train if u.key not in held_keys], sorted(held_keys)


def _pick_speakers(train: Sequence[Utterance], speakers: list[str], fraction: float,
                   rng: random.Random, tries: int = 64) -> set[str]:
    """The best of `tries` seeded speaker orders, each cut where valid reaches `fraction`:
    smallest size error plus label-distribution distance."""
    per_spk: dict[str, Counter] = defaultdict(Counter)
    for u in train:
        per_spk[u.speaker][u.label] += 1  # type: ignore[index]
    total = Counter(u.label for u in train)
    n = len(train)
    target = fraction * n
    best: tuple[float, list[str]] | None = None
    for _ in range(tries):
        order = speakers[:]
        rng.shuffle(order)
        chosen: list[str] = []
        got: Counter = Counter()
        for s in order[:-1]:  # never hold out every speaker
            size = sum(got.values())
            if size and abs(size - target) <= abs(size + sum(per_spk[s].values()) - target):
                break
            chosen.append(s)
            got.update(per_spk[s])
        size = sum(got.values())
        dist = sum(abs(got[lab] / size - total[lab] / n) for lab in total) / 2
        score = abs(size - target) / n + dist
        if best is None or score < best[0] - 1e-12:
            best = (score, chosen)
    return set(best[1]) if best else set()


def check_leakage(splits: Splits, by_key: dict[str, Utterance]) -> None:
    """Refuse a key listed twice in a fold (in one part or two), and speakers shared between
    test and train/valid in a speaker-independent scheme (naming them)."""
    for name, fold in splits.folds.items():
        for part, keys in fold.to_dict().items():
            if len(set(keys)) != len(keys):
                dup = next(k for k, c in Counter(keys).items() if c > 1)
                raise EmoboxError(f"fold {name}: key {dup!r} is listed twice in {part}")
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


def _by_label(utts: Sequence[Utterance], field_name: str = "label"
              ) -> dict[str, list[Utterance]]:
    groups: dict[str, list[Utterance]] = defaultdict(list)
    for u in utts:
        groups[getattr(u, field_name)].append(u)
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


def _stratified_test(utts: Sequence[Utterance], fraction: float, rng: random.Random,
                     by: str = "label") -> set[str]:
    """floor(`fraction` × count) keys of each `by` value (label or raw emo), seeded."""
    if by not in ("label", "emo"):
        raise EmoboxError(f"stratify by 'label' or 'emo', not {by!r}")
    test: set[str] = set()
    for group in _by_label(utts, by).values():
        keys = sorted(u.key for u in group)
        rng.shuffle(keys)
        test.update(keys[: int(fraction * len(keys))])
    return test


@scheme("loso", speaker_independent=True)
def leave_one_speaker_out(utts: list[Utterance], *, seed: int = 0) -> list[Fold]:
    """One fold per speaker (sorted speaker order)."""
    return _folds_from_groups(utts, [[s] for s in _require_speakers(utts, 2)])


def even_speaker_groups(utts: Sequence[Utterance], k: int, rng: random.Random
                        ) -> list[list[str]]:
    """`k` disjoint speaker groups whose utterance counts are as even as the speakers allow:
    speakers in seeded order, then largest first, each into the group with fewest utterances
    (ties: fewest speakers, then lowest index). Groups are returned with sorted members."""
    speakers = _require_speakers(utts, k)
    counts: dict[str, int] = defaultdict(int)
    for u in utts:
        counts[u.speaker] += 1  # type: ignore[index]
    rng.shuffle(speakers)
    speakers.sort(key=lambda s: -counts[s])  # stable: ties keep the seeded order
    groups: list[list[str]] = [[] for _ in range(k)]
    sizes = [0] * k
    for s in speakers:
        target = min(range(k), key=lambda i: (sizes[i], len(groups[i]), i))
        groups[target].append(s)
        sizes[target] += counts[s]
    return [sorted(g) for g in groups]


@scheme("speaker-kfold", speaker_independent=True)
def speaker_kfold(utts: list[Utterance], *, seed: int = 0, k: int = 5) -> list[Fold]:
    """`k` folds of disjoint speaker groups, their utterance counts as even as possible
    (`even_speaker_groups`); `k` may not exceed the number of speakers."""
    if k < 2:
        raise EmoboxError(f"speaker-kfold needs k ≥ 2, not {k}")
    speakers = _require_speakers(utts, 2)
    if k > len(speakers):
        raise EmoboxError(f"speaker-kfold with k={k} needs at least {k} speakers; the corpus "
                          f"has {len(speakers)} (use --k {len(speakers)} or --scheme loso)")
    return _folds_from_groups(utts, even_speaker_groups(utts, k, random.Random(seed)))


@scheme("stratified", speaker_independent=False)
def stratified(utts: list[Utterance], *, seed: int = 0, test_fraction: float = 0.25,
               by: str = "label") -> list[Fold]:
    """One speaker-dependent fold: floor(`test_fraction` × count) of each label (or raw
    emotion, ``by="emo"``) to test."""
    if not 0 < test_fraction < 1:
        raise EmoboxError(f"test fraction must be in (0, 1), not {test_fraction}")
    test = _stratified_test(utts, test_fraction, random.Random(seed), by)
    return [Fold(train=[u.key for u in utts if u.key not in test], valid=[],
                 test=[u.key for u in utts if u.key in test])]


@scheme("random", speaker_independent=False)
def random_split(utts: list[Utterance], *, seed: int = 0, test_fraction: float = 0.2
                 ) -> list[Fold]:
    """One fold: `test_fraction` of the utterances drawn at random (not stratified, not
    speaker-independent) — SER Evals' split (80/20, seed 34) with ``--serval-splits``. As
    there (serval ``models/main.py`` L48–64, ``random_split`` into ``int(N · 0.8)`` and the
    rest), train gets ``int(N · (1 − test_fraction))`` utterances and test the remainder."""
    if not 0 < test_fraction < 1:
        raise EmoboxError(f"test fraction must be in (0, 1), not {test_fraction}")
    keys = sorted(u.key for u in utts)
    random.Random(seed).shuffle(keys)
    test = set(keys[int(len(keys) * (1 - test_fraction)):])
    return [Fold(train=[u.key for u in utts if u.key not in test], valid=[],
                 test=[u.key for u in utts if u.key in test])]
