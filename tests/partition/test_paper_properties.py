"""EmoBox §2.2 (the `paper` scheme) and the generic schemes over random corpora: every
utterance tested exactly once in cross-validation schemes, no speaker on both sides of a
speaker-independent fold, never an empty part (an error naming the corpus and fold instead).
Seeded, so the 300 cases are the same on every run."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from emobox.errors import EmoboxError
from emobox.manifest import Utterance
from emobox.partition import partition

LABELS = ("Angry", "Happy", "Neutral", "Sad", "Fear", "Disgust")


def random_corpus(rng: random.Random, max_speakers: int = 60) -> list[Utterance]:
    n_speakers = rng.randint(1, max_speakers)
    labels = LABELS[:rng.randint(2, len(LABELS))]
    balanced = rng.random() < 0.5
    per_label = rng.randint(1, 6)
    utts = []
    for s in range(n_speakers):
        for lab in labels:
            count = per_label if balanced else rng.randint(0, 8)
            utts += [Utterance(key=f"r-{s}-{lab}-{i}", dataset="r", wav=f"{s}/{lab}{i}.wav",
                               emo=lab, label=lab, speaker=f"spk{s:02d}")
                     for i in range(count)]
    return utts or [Utterance(key="r-0", dataset="r", wav="0.wav", emo="Sad", label="Sad",
                              speaker="spk00")]


def check(splits, utts) -> None:
    speaker = {u.key: u.speaker for u in utts}
    for name, fold in splits.folds.items():
        assert fold.train and fold.test, f"fold {name} has an empty part"
        if splits.speaker_independent:
            assert not ({speaker[k] for k in fold.test}
                        & {speaker[k] for k in fold.train + fold.valid})
        assert sorted(fold.train + fold.valid + fold.test) == sorted(speaker) or \
            len(splits.folds) == 1
    if len(splits.folds) > 1:  # cross-validation: every utterance tested exactly once
        tested = Counter(k for f in splits.folds.values() for k in f.test)
        assert set(tested) == set(speaker) and set(tested.values()) == {1}


@pytest.mark.parametrize("scheme", ["paper", "loso", "speaker-kfold", "stratified"])
def test_random_corpora(scheme):
    rng = random.Random(f"{scheme}-properties")
    made = refused = 0
    for _ in range(75):
        utts = random_corpus(rng, 60 if scheme == "paper" else 24)
        try:
            params = {"corpus": "r"} if scheme == "paper" else {}
            splits = partition(utts, scheme, seed=rng.randint(0, 9), **params)
        except EmoboxError as exc:  # a corpus too small for the scheme: named, never silent
            assert str(exc).startswith("r:") or "speaker" in str(exc), str(exc)
            refused += 1
            continue
        check(splits, utts)
        made += 1
    assert made > 40  # most random corpora are partitionable


@pytest.mark.parametrize("n_speakers", [7, 8, 13, 21, 60])
def test_more_than_six_balanced_speakers_give_four_even_folds(n_speakers):
    utts = [Utterance(key=f"k-{s}-{lab}-{i}", dataset="d", wav=f"{s}{lab}{i}.wav", emo=lab,
                      label=lab, speaker=f"s{s}") for s in range(n_speakers)
            for lab in LABELS[:4] for i in range(3)]
    splits = partition(utts, "paper", seed=3)
    assert len(splits.folds) == 4 and splits.speaker_independent
    sizes = sorted(len(f.test) for f in splits.folds.values())
    assert sizes[-1] - sizes[0] <= 12  # at most one speaker's utterances apart
    check(splits, utts)


def test_empty_part_is_an_error_naming_corpus_and_fold():
    one = [Utterance(key=f"k{i}", dataset="tiny", wav=f"{i}.wav", emo=lab, label=lab,
                     speaker="a") for i, lab in enumerate(["Sad", "Angry"])]
    with pytest.raises(EmoboxError, match=r"tiny: scheme 'paper' made fold 1 with an empty "
                                          r"test part"):
        partition(one, "paper")


def test_kfold_refuses_more_folds_than_speakers():
    utts = [Utterance(key=f"k{s}{i}", dataset="d", wav=f"{s}{i}.wav", emo="e", label=lab,
                      speaker=f"s{s}") for s in range(4) for i, lab in enumerate("AB")]
    with pytest.raises(EmoboxError, match="k=5 needs at least 5 speakers; the corpus has 4"):
        partition(utts, "speaker-kfold", k=5)
    with pytest.raises(EmoboxError, match="scheme 'loso' has no parameter 'k'"):
        partition(utts, "loso", k=5)


def test_validation_notes_say_when_not_speaker_disjoint():
    utts = [Utterance(key=f"k{s}{lab}{i}", dataset="d", wav=f"{s}{lab}{i}.wav", emo=lab,
                      label=lab, speaker=f"s{s}") for s in range(4) for lab in "AB"
            for i in range(5)]
    splits = partition(utts, "loso")
    assert any("validation is not speaker-disjoint (3 training speakers" in n
               for n in splits.notes)
