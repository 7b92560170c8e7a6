"""Label spaces: native, serval8, shared4, user files; unmapped labels counted."""

from __future__ import annotations

import json

import pytest

from emobox.errors import EmoboxError
from emobox.labels import SERVAL8, apply_label_space, get_label_space
from emobox.manifest import Utterance


def utt(corpus, label, i=0):
    return Utterance(key=f"{corpus}-{label}-{i}", dataset=corpus, wav="a.wav", emo=label,
                     label=label)


def test_serval8_per_corpus_mapping():
    space = get_label_space("serval8")
    assert space.labels == SERVAL8
    assert space.map("emodb", "Boredom") == "sadness"
    assert space.map("mead", "Contempt") == "disgust"
    assert space.map("shemo", "Fear") == "other"
    assert space.map("resd", "Enthusiastic") == "other"
    assert space.map("ravdess", "Fear") == "fear"
    assert space.map("ravdess", "Calm") is None


def test_unmapped_drop_or_other_counted():
    utts = [utt("ravdess", "Calm"), utt("ravdess", "Angry"), utt("ravdess", "Happy", 1)]
    kept, counts = apply_label_space(utts, "shared4")
    assert [u.label for u in kept] == ["Angry", "Happy"] and counts["dropped"] == 1
    assert counts["unmapped"] == {"ravdess:Calm": 1}
    kept, counts = apply_label_space(utts, "shared4", unmapped="other")
    assert [u.label for u in kept] == ["other", "Angry", "Happy"] and counts["other"] == 1
    assert kept[0].extra["native_label"] == "Calm"
    native, _ = apply_label_space(utts, "native")
    assert [u.label for u in native] == ["Calm", "Angry", "Happy"]


def test_user_mapping_file(tmp_path):
    path = tmp_path / "valence.json"
    path.write_text(json.dumps({"labels": ["neg", "pos"],
                                "map": {"*": {"Angry": "neg", "Happy": "pos"},
                                        "ravdess": {"Calm": "pos"}}}))
    space = get_label_space(path)
    assert space.map("ravdess", "calm") == "pos" and space.map("savee", "Calm") is None
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"Sad": "neg"}))
    assert get_label_space(flat).map("x", "Sad") == "neg"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"labels": ["a"], "map": {"Sad": "b"}}))
    with pytest.raises(EmoboxError, match="bad.json"):
        get_label_space(bad)
    with pytest.raises(EmoboxError, match="unknown label space"):
        get_label_space("nope")
