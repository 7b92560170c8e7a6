"""The partitions EmoBox released, as data (`emobox/data/emobox_partitions.json`), and the
schemes built on them: ``emobox`` (reproduce the release), ``paper`` (the §2.2 rules applied
to any manifest), ``official`` (a corpus's own split, from ``Utterance.extra["split"]``) and
``file`` (key lists supplied by the user).

Corpus facts live in the data file, keyed by corpus name; nothing here is per corpus.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from emobox.errors import EmoboxError
from emobox.manifest import Utterance
from emobox.partition.core import (
    Fold,
    Folds,
    Splits,
    _folds_from_groups,
    _require_speakers,
    _stratified_test,
    even_speaker_groups,
    scheme,
)

#: Split names of a corpus without an entry in the data file (case-insensitive).
GENERIC_OFFICIAL = {"train": ["train", "training"], "valid": ["dev", "valid", "validation", "val"],
                    "test": ["test"]}
IMPORT_NOTE = "the exact released key lists need `emobox splits import` of EmoBox's data/ folder"
#: EmoBox's 25 % draw (``preprocess_utils.write_folds``): seeded, over its own file order.
DRAW_NOTE = ("EmoBox drew these keys with random.seed(0), random.sample per emotion, in the order "
             f"os.walk listed its files on the authors' disk; {IMPORT_NOTE}")


@lru_cache(maxsize=1)
def emobox_partitions() -> dict[str, dict[str, Any]]:
    """The released-partition facts of EmoBox's 32 corpora, keyed by corpus name."""
    text = resources.files("emobox").joinpath("data/emobox_partitions.json").read_text("utf-8")
    return json.loads(text)["corpora"]


def emobox_facts(corpus: str) -> dict[str, Any]:
    """The facts of one EmoBox corpus; a clear error for any other corpus."""
    facts = emobox_partitions().get(corpus)
    if facts is None:
        raise EmoboxError(f"{corpus!r} is not one of EmoBox's 32 corpora, so it has no EmoBox "
                          f"partition (use --scheme paper or another scheme)")
    return facts


def default_scheme(corpus: str) -> str:
    """The benchmark's default scheme for a corpus: ``emobox`` (the released partition) for
    EmoBox's 32 corpora, ``paper`` (the §2.2 rules) for any other."""
    return "emobox" if corpus in emobox_partitions() else "paper"


def corpus_of(utts: Sequence[Utterance], corpus: str | None = None) -> str:
    """The corpus name given, else the manifest's single `dataset` value."""
    if corpus:
        return corpus
    names = sorted({u.dataset for u in utts})
    if len(names) != 1:
        raise EmoboxError(f"manifest mixes datasets ({', '.join(names[:5])}); pass the corpus")
    return names[0]


def _norm_speaker(s: str) -> str:
    return re.sub(r"\d+", lambda m: str(int(m.group())), s.strip().lower())


def match_speaker_groups(utts: Sequence[Utterance], groups: dict[str, list[str]],
                         corpus: str) -> tuple[list[list[str]], list[str]]:
    """Map EmoBox's speaker ids onto the manifest's (exact, else case- and zero-padding-
    insensitive). Returns the groups in fold order, as manifest ids, and notes."""
    have = _require_speakers(utts, 2)
    exact = set(have)
    loose: dict[str, list[str]] = defaultdict(list)
    for s in have:
        loose[_norm_speaker(s)].append(s)
    assigned: dict[str, str] = {}
    out: list[list[str]] = []
    missing: list[str] = []
    for fold in sorted(groups, key=int):
        members = []
        for spk in groups[fold]:
            found = [spk] if spk in exact else loose.get(_norm_speaker(spk), [])
            if len(found) > 1:
                raise EmoboxError(f"{corpus}: EmoBox speaker {spk!r} matches several manifest "
                                  f"speakers ({', '.join(found)})")
            if not found:
                missing.append(spk)
                continue
            assigned[found[0]] = fold
            members.append(found[0])
        if not members:
            raise EmoboxError(f"{corpus}: no manifest speaker of EmoBox fold {fold} "
                              f"({', '.join(groups[fold])}) — are the speaker ids EmoBox's?")
        out.append(members)
    stray = [s for s in have if s not in assigned]
    if stray:
        raise EmoboxError(f"{corpus}: manifest speaker(s) {', '.join(stray[:5])} are in no "
                          f"EmoBox fold (use --scheme paper for a different speaker set)")
    notes = [f"EmoBox speakers absent from the manifest: {', '.join(missing)}"] if missing else []
    return out, notes


def official_folds(utts: Sequence[Utterance], spec: dict[str, list[str]], corpus: str
                   ) -> tuple[Fold, list[str]]:
    """One fold from each utterance's ``extra["split"]``; values the spec does not list (e.g.
    MSP-Podcast Test2, MER2023 test2/3) are left out of the fold and counted in a note."""
    part_of = {v.lower(): part for part, values in spec.items() for v in values}
    fold = Fold(train=[], valid=[], test=[])
    left: Counter = Counter()
    for u in utts:
        value = u.extra.get("split")
        if value in (None, ""):
            raise EmoboxError(f"{corpus}: utterance {u.key!r} has no official split "
                              f"(manifest field 'split'); re-run `emobox prepare` or pick "
                              f"another scheme")
        part = part_of.get(str(value).lower())
        if part is None:
            left[str(value)] += 1
        else:
            getattr(fold, part).append(u.key)
    if not fold.test or not fold.train:
        raise EmoboxError(f"{corpus}: the official split has an empty "
                          f"{'test' if not fold.test else 'train'} part (values: "
                          f"{', '.join(sorted({str(u.extra.get('split')) for u in utts}))})")
    notes = ["left out (not in the official fold): "
             + ", ".join(f"{v} {n}" for v, n in sorted(left.items()))] if left else []
    return fold, notes


def official_validation(utts: Sequence[Utterance], corpus: str) -> list[str]:
    """Keys of the corpus's official validation split (MELD dev, M3ED, MSP-Podcast …), or []
    when it has none: every protocol validates on it, cross-corpus training included."""
    spec = emobox_partitions().get(corpus, {}).get("official_splits")
    if not spec:
        return []
    valid = {v.lower() for v in spec.get("valid", [])}
    return [u.key for u in utts if str(u.extra.get("split", "")).lower() in valid]


def cv_folds(utts: Sequence[Utterance], k: int, rng: random.Random) -> list[Fold]:
    """`k` folds, every utterance tested once; each raw emotion dealt round-robin after a
    seeded shuffle, so every fold's test holds ≈ 1/k of each emotion."""
    bucket: dict[str, int] = {}
    offset = 0
    by_emo: dict[str, list[str]] = defaultdict(list)
    for u in utts:
        by_emo[u.emo].append(u.key)
    for emo in sorted(by_emo):
        keys = sorted(by_emo[emo])
        rng.shuffle(keys)
        for i, key in enumerate(keys):
            bucket[key] = (i + offset) % k
        offset += len(keys)
    return [Fold(train=[u.key for u in utts if bucket[u.key] != f], valid=[],
                 test=[u.key for u in utts if bucket[u.key] == f]) for f in range(k)]


@scheme("emobox", speaker_independent=False)
def emobox_scheme(utts: list[Utterance], *, seed: int = 0, corpus: str | None = None
                  ) -> list[Fold]:
    """EmoBox's released partition: the exact test-speaker groups of the speaker-independent
    corpora, official splits where the corpus has them, and for the rest EmoBox's rule
    (25 % of each raw emotion to test; EmoDB: 5 CV folds) with our seed."""
    name = corpus_of(utts, corpus)
    facts = emobox_facts(name)
    rule = facts["rule"]
    if rule == "speaker-groups":
        groups, notes = match_speaker_groups(utts, facts["fold_test_speakers"], name)
        return Folds(_folds_from_groups(utts, groups), speaker_independent=True, notes=notes,
                     params={"corpus": name, "rule": rule})
    if rule == "official":
        fold, notes = official_folds(utts, facts["official_splits"], name)
        return Folds([fold], speaker_independent=bool(facts["speaker_independent"]),
                     notes=notes, params={"corpus": name, "rule": rule})
    rng = random.Random(seed)
    if rule == "cv-lists":
        return Folds(cv_folds(utts, int(facts["n_folds"]), rng), speaker_independent=False,
                     notes=[f"EmoBox used external CV lists; {IMPORT_NOTE}"],
                     params={"corpus": name, "rule": rule})
    test = _stratified_test(utts, 0.25, rng, by="emo")
    fold = Fold(train=[u.key for u in utts if u.key not in test], valid=[],
                test=[u.key for u in utts if u.key in test])
    return Folds([fold], speaker_independent=False, notes=[DRAW_NOTE],
                 params={"corpus": name, "rule": rule})


@scheme("official", speaker_independent=False)
def official_scheme(utts: list[Utterance], *, seed: int = 0, corpus: str | None = None
                    ) -> list[Fold]:
    """The corpus's own split from ``extra["split"]`` (EmoBox's mapping for MELD, M3ED,
    MSP-Podcast, MER2023, RESD; train/dev/valid/test names for any other corpus)."""
    name = corpus_of(utts, corpus)
    facts = emobox_partitions().get(name, {})
    spec = facts.get("official_splits", GENERIC_OFFICIAL)
    fold, notes = official_folds(utts, spec, name)
    return Folds([fold], speaker_independent=bool(facts.get("speaker_independent", False))
                 if "official_splits" in facts else False, notes=notes)


def is_balanced(utts: Sequence[Utterance], tolerance: float = 0.0) -> bool:
    """EmoBox's balance test: every speaker has the same number of utterances of every label
    (within `tolerance` × the largest count, per label; 0 = EmoBox's exact test)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for u in utts:
        counts[u.speaker][u.label] += 1  # type: ignore[index]
    labels = {u.label for u in utts}
    for label in labels:
        values = [c[label] for c in counts.values()]
        if max(values) - min(values) > tolerance * max(values):
            return False
    return True


#: EmoBox §2.2: speaker counts of the speaker-independent branches, and the fold count above.
PAPER_LOSO_SPEAKERS = range(4, 7)
PAPER_FOLDS = 4


@scheme("paper", speaker_independent=False)
def paper_scheme(utts: list[Utterance], *, seed: int = 0, corpus: str | None = None,
                 tolerance: float = 0.0, official: bool = True, test_fraction: float = 0.25
                 ) -> list[Fold]:
    """EmoBox §2.2 as the paper states it, on any manifest: official splits kept (IEMOCAP
    sessions, MELD, …) when `official`; fewer than 4 speakers or emotions unbalanced over
    speakers → one speaker-dependent fold with `test_fraction` of each label in test; 4–6
    balanced speakers → one fold per speaker; more → n = 4 folds, speakers merged so that
    the folds' utterance counts are as even as the speakers allow (largest speaker first into
    the smallest fold; ties in seeded order)."""
    name = corpus_of(utts, corpus) if corpus or len({u.dataset for u in utts}) == 1 else ""
    facts = emobox_partitions().get(name, {})
    if official and facts.get("paper_official"):
        folds = emobox_scheme(utts, seed=seed, corpus=name)
        folds.notes.insert(0, "official split kept (§2.2 rule 2)")
        return folds
    speakers = sorted({u.speaker for u in utts if u.speaker is not None})
    complete = all(u.speaker is not None for u in utts)
    rng = random.Random(seed)
    if not complete or len(speakers) < PAPER_LOSO_SPEAKERS.start or not is_balanced(
            utts, tolerance):
        why = ("utterances without speaker" if not complete else
               f"{len(speakers)} speakers" if len(speakers) < 4 else "emotions unbalanced")
        test = _stratified_test(utts, test_fraction, rng)
        fold = Fold(train=[u.key for u in utts if u.key not in test], valid=[],
                    test=[u.key for u in utts if u.key in test])
        return Folds([fold], speaker_independent=False,
                     notes=[f"speaker-dependent, {test_fraction:.0%} of each label ({why})"])
    if len(speakers) in PAPER_LOSO_SPEAKERS:
        return Folds(_folds_from_groups(utts, [[s] for s in speakers]), speaker_independent=True,
                     notes=["balanced, 4-6 speakers: leave-one-speaker-out"])
    groups = even_speaker_groups(utts, PAPER_FOLDS, rng)
    sizes = [sum(1 for u in utts if u.speaker in set(g)) for g in groups]
    return Folds(_folds_from_groups(utts, groups), speaker_independent=True,
                 notes=[f"balanced, {len(speakers)} speakers merged into {PAPER_FOLDS} folds "
                        f"(test sizes {', '.join(map(str, sizes))})"])


def read_key_lists(path: str | Path) -> Splits:
    """User key lists: a splits JSON (``{"folds": {name: {train, valid?, test}}}`` or just
    ``{name: {train, valid?, test}}``). EmoBox ``data/<corpus>/`` folders are read by
    `emobox.interop.read_emobox` (``emobox splits import``)."""
    path = Path(path)
    if path.is_dir():
        raise EmoboxError(f"{path} is a folder; key lists are a JSON file (for an EmoBox "
                          f"data/<corpus>/ folder use `emobox splits import {path}`)")
    if not path.is_file():
        raise EmoboxError(f"key list file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EmoboxError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise EmoboxError(f"{path}: expected a JSON object of folds")
    if "folds" not in data:
        data = {"scheme": "file", "folds": data}
    return Splits.from_dict(data, where=str(path))


@scheme("file", speaker_independent=False)
def file_scheme(utts: list[Utterance], *, seed: int = 0, path: str | None = None
                ) -> list[Fold]:
    """Folds read from user key lists (`read_key_lists`); every key must be in the manifest.
    A file that says ``"speaker_independent": true`` is held to it by the leakage guard."""
    if not path:
        raise EmoboxError("scheme 'file' needs a key list: --file PATH")
    splits = read_key_lists(path)
    known = {u.key for u in utts}
    for name, fold in splits.folds.items():
        for part, keys in fold.to_dict().items():
            unknown = [k for k in keys if k not in known]
            if unknown:
                raise EmoboxError(f"{path}: fold {name} {part} lists key {unknown[0]!r}, which "
                                  f"is not in the manifest ({len(unknown)} unknown)")
    if not splits.folds:
        raise EmoboxError(f"{path}: no folds")
    return Folds(list(splits.folds.values()), speaker_independent=splits.speaker_independent,
                 notes=[f"key lists from {path}"])
