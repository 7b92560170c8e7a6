"""Partition schemes: EmoBox's released groups, the 25 % rule, paper rules, official and
file schemes, validation split, leakage guard, determinism."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from emobox.errors import EmoboxError
from emobox.manifest import Utterance
from emobox.partition import (
    Fold,
    Splits,
    check_leakage,
    describe_splits,
    emobox_partitions,
    partition,
    validation_split,
)

FACTS = emobox_partitions()
GROUP_CORPORA = sorted(c for c, f in FACTS.items() if f["rule"] == "speaker-groups")
LABELS = ("Angry", "Happy", "Neutral", "Sad")


def make(corpus: str, speakers, per_label: int = 2, labels=LABELS, **extra) -> list[Utterance]:
    return [Utterance(key=f"{corpus}-{s}-{lab}-{i}", dataset=corpus, wav=f"{s}/{lab}{i}.wav",
                      emo=lab.lower(), label=lab, speaker=s, gender="FM"[n % 2],
                      extra=dict(extra))
            for n, s in enumerate(speakers) for lab in labels for i in range(per_label)]


def speakers_of(utts, keys):
    by_key = {u.key: u for u in utts}
    return sorted({by_key[k].speaker for k in keys})


@pytest.mark.parametrize("corpus", GROUP_CORPORA)
def test_emobox_scheme_reproduces_released_speaker_groups(corpus):
    groups = FACTS[corpus]["fold_test_speakers"]
    assert len(groups) == FACTS[corpus]["n_folds"]
    speakers = [s for fold in sorted(groups, key=int) for s in groups[fold]]
    utts = make(corpus, speakers)
    splits = partition(utts, "emobox", seed=3)
    assert splits.speaker_independent
    assert list(splits.folds) == sorted(groups, key=int)
    for name, fold in splits.folds.items():
        assert speakers_of(utts, fold.test) == sorted(groups[name])
        assert not set(speakers_of(utts, fold.train + fold.valid)) & set(groups[name])
        assert len(fold.train) + len(fold.valid) + len(fold.test) == len(utts)


def test_emobox_groups_match_zero_padding_and_refuse_strangers():
    utts = make("ravdess", [str(i) for i in range(1, 25)])  # "1" for EmoBox's "01"
    splits = partition(utts, "emobox")
    assert speakers_of(utts, splits.folds["1"].test) == ["1", "11", "20", "21"]
    with pytest.raises(EmoboxError, match="Actor99"):
        partition(utts + make("ravdess", ["Actor99"]), "emobox")


def test_emobox_random_rule_reproduces_cremad_counts_and_stratifies():
    counts = {"ANG": 1271, "DIS": 1271, "FEA": 1271, "HAP": 1271, "SAD": 1271, "NEU": 1087}
    utts = [Utterance(key=f"cremad-{emo}-{i}", dataset="cremad", wav=f"{emo}{i}.wav", emo=emo,
                      label=emo, speaker=str(1001 + i % 91))
            for emo, n in counts.items() for i in range(n)]
    splits = partition(utts, "emobox", valid_fraction=0)
    fold = splits.folds["1"]
    assert (len(fold.train), len(fold.test)) == (5586, 1856)  # EmoBox's released counts
    by_key = {u.key: u for u in utts}
    test_counts = Counter(by_key[k].emo for k in fold.test)
    assert test_counts == {e: n // 4 for e, n in counts.items()}
    assert not splits.speaker_independent and splits.notes  # points to the import
    again = partition(utts, "emobox", valid_fraction=0)
    other = partition(utts, "emobox", valid_fraction=0, seed=1)
    assert again.folds["1"].test == fold.test
    assert set(other.folds["1"].test) != set(fold.test)


def test_emobox_cv_lists_rule_tests_every_utterance_once():
    utts = make("emodb", ["03", "08", "09", "10"], per_label=5)
    splits = partition(utts, "emobox", valid_fraction=0)
    assert len(splits.folds) == 5
    tested = Counter(k for f in splits.folds.values() for k in f.test)
    assert set(tested.values()) == {1} and len(tested) == len(utts)


def test_emobox_refuses_non_emobox_corpus():
    with pytest.raises(EmoboxError, match="not one of EmoBox"):
        partition(make("demo-en", ["F01", "M01"]), "emobox")


def test_official_split_from_extra_field():
    utts = (make("meld", ["Ross", "Joey"], split="train") + make("meld", ["Ross"], split="dev")
            + make("meld", ["Monica"], split="test"))
    for u in utts:
        u.key += "-" + u.extra["split"]
    splits = partition(utts, "emobox")
    fold = splits.folds["1"]
    assert (len(fold.train), len(fold.valid), len(fold.test)) == (16, 8, 8)
    assert not splits.speaker_independent
    msp = (make("msppodcast", ["1", "2"], split="Train") + make("msppodcast", ["3"], split="Test1")
           + make("msppodcast", ["4"], split="Test2") + make("msppodcast", ["5"],
                                                             split="Validation"))
    for i, u in enumerate(msp):
        u.key = f"msp-{i}"
    fold = partition(msp, "official").folds["1"]
    assert (len(fold.train), len(fold.valid), len(fold.test)) == (16, 8, 8)  # Test2 left out
    with pytest.raises(EmoboxError, match="no official split"):
        partition(make("meld", ["Ross"]), "official")


def test_paper_rules():
    balanced24 = make("x", [f"s{i:02d}" for i in range(24)])
    splits = partition(balanced24, "paper", seed=1)
    # §2.2 as the paper states it: n = 4 folds, speakers merged (EmoBox's release: 24 / 4 = 6)
    assert len(splits.folds) == 4 and splits.speaker_independent
    assert {len(speakers_of(balanced24, f.test)) for f in splits.folds.values()} == {6}
    five = make("x", [f"s{i}" for i in range(5)])
    assert len(partition(five, "paper").folds) == 5
    unbalanced = five + make("x", ["s0"], per_label=1, labels=("Angry",))
    for i, u in enumerate(unbalanced):
        u.key = f"k{i}"
    splits = partition(unbalanced, "paper")
    assert len(splits.folds) == 1 and not splits.speaker_independent
    assert partition(balanced24, "paper", seed=1).to_dict() == splits_24_again(balanced24)
    assert partition(balanced24, "paper", seed=2).to_dict() != splits_24_again(balanced24)
    iemocap = make("iemocap", [f"Ses0{s}{g}" for s in range(1, 6) for g in "FM"])
    assert len(partition(iemocap, "paper").folds) == 5  # official session folds kept


def splits_24_again(utts):
    return partition(utts, "paper", seed=1).to_dict()


def test_file_scheme(tmp_path):
    utts = make("x", ["a", "b", "c"])
    keys = [u.key for u in utts]
    path = tmp_path / "lists.json"
    path.write_text(json.dumps({"f1": {"train": keys[:16], "test": keys[16:]}}))
    splits = partition(utts, "file", path=str(path), valid_fraction=0)
    assert splits.folds["1"].test == keys[16:]
    path.write_text(json.dumps({"f1": {"train": keys[:16], "test": ["nope"]}}))
    with pytest.raises(EmoboxError, match="nope"):
        partition(utts, "file", path=str(path))
    with pytest.raises(EmoboxError, match="--file"):
        partition(utts, "file")


def test_leakage_guard_names_speakers_and_refuses_duplicates():
    utts = make("x", ["a", "b", "c"])
    by_key = {u.key: u for u in utts}
    a_keys = [u.key for u in utts if u.speaker == "a"]
    b_keys = [u.key for u in utts if u.speaker == "b"]
    leaky = Splits("crafted", {"1": Fold(train=a_keys[:4] + b_keys, valid=[],
                                         test=a_keys[4:])}, speaker_independent=True)
    with pytest.raises(EmoboxError, match="speakers with train: a"):
        check_leakage(leaky, by_key)
    leaky.speaker_independent = False
    check_leakage(leaky, by_key)  # fine when speaker dependence is declared
    dup = Splits("crafted", {"1": Fold(train=a_keys, valid=[], test=[a_keys[0]])})
    with pytest.raises(EmoboxError, match="both train and test"):
        check_leakage(dup, by_key)
    twice = Splits("crafted", {"1": Fold(train=a_keys + a_keys[:1], valid=[], test=b_keys)})
    with pytest.raises(EmoboxError, match="listed twice"):
        check_leakage(twice, by_key)


def test_validation_split_speaker_disjoint_and_stratified():
    utts = make("x", [f"s{i}" for i in range(10)], per_label=5)
    train, valid = validation_split(utts, 0.2, seed=0, speaker_disjoint=True)
    assert len(valid) == 40 and not set(speakers_of(utts, train)) & set(speakers_of(utts,
                                                                                     valid))
    by_key = {u.key: u for u in utts}
    assert Counter(by_key[k].label for k in valid) == dict.fromkeys(LABELS, 10)
    few = make("x", ["a", "b", "c"], per_label=5)
    train, valid = validation_split(few, 0.2, seed=0, speaker_disjoint=True)
    assert Counter(u.label for u in few if u.key in set(valid)) == dict.fromkeys(LABELS, 3)
    assert validation_split(utts, 0.2, seed=5, speaker_disjoint=True) != \
        validation_split(utts, 0.2, seed=6, speaker_disjoint=True)


def test_describe_splits_reports_overlap_and_shares():
    utts = make("ravdess", [f"{i:02d}" for i in range(1, 25)])
    splits = partition(utts, "emobox")
    summary = describe_splits(splits, utts)
    fold = summary["folds"]["1"]
    assert fold["speaker_overlap"] == [] and fold["overlap_ok"]
    assert fold["test_share"] == pytest.approx(4 / 24, abs=1e-3)
    assert fold["labels"]["test"] == dict.fromkeys(LABELS, 8)
    assert sorted(fold["speakers"]["test"]) == ["01", "11", "20", "21"]


def test_splits_roundtrip_and_legacy_load(tmp_path):
    utts = make("x", ["a", "b", "c", "d"])
    splits = partition(utts, "loso")
    path = splits.save(tmp_path / "s.json")
    assert Splits.load(path).to_dict() == splits.to_dict()


@pytest.mark.parametrize("n", [7, 9, 10, 13])
def test_random_split_sizes_as_serval(n):
    """SER Evals' torch random_split: train int(N · 0.8), test the rest (7 → 5 + 2, where
    rounding 0.2 · N would test 1)."""
    utts = make("x", ["s0"], per_label=1, labels=tuple(f"L{i}" for i in range(n)))
    fold = next(iter(partition(utts, "random", seed=34).folds.values()))
    assert len(fold.train) == int(n * 0.8) and len(fold.test) == n - int(n * 0.8)
    assert sorted(fold.train + fold.test) == sorted(u.key for u in utts)
