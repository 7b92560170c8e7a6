"""Balanced cross-corpus test sets, presets, pseudo-label agreement, track2 import."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from emobox.errors import EmoboxError
from emobox.features.store import FeatureStore
from emobox.manifest import Utterance
from emobox.partition.balanced import (
    balanced_test_set,
    preset_test_set,
    read_track2,
)
from emobox.runs.labelers import ModelLabeler

LABELS = ("Angry", "Happy", "Neutral", "Sad", "Calm")


def corpus(name, speakers, per=20, genders=None):
    genders = genders or {}
    return [Utterance(key=f"{name}-{s}-{lab}-{i:02d}", dataset=name, wav=f"{s}/{lab}{i}.wav",
                      emo=lab, label=lab, speaker=s, gender=genders.get(s))
            for s in speakers for lab in LABELS for i in range(per)]


@pytest.mark.parametrize("name,speakers,genders", [
    ("iemocap", [f"Ses0{i}{g}" for i in range(1, 6) for g in "FM"], None),
    ("meld", ["Chandler", "Joey", "Monica", "Phoebe", "Rachel", "Ross", "Janice"], None),
    ("ravdess", [f"{i:02d}" for i in range(1, 25)], None),
    ("savee", ["DC", "JE", "JK", "KL"], None),
])
def test_track2_presets_give_240_with_60_per_emotion(name, speakers, genders):
    if name == "iemocap":
        genders = {s: s[-1] for s in speakers}
    if name == "ravdess":
        genders = {s: "M" if int(s) % 2 else "F" for s in speakers}
    chosen = preset_test_set(name, corpus(name, speakers, genders=genders), seed=0)
    assert len(chosen.keys) == 240 and len(set(chosen.keys)) == 240
    assert chosen.per_label == dict.fromkeys(("Angry", "Happy", "Neutral", "Sad"), 60)
    cells = {c for per in chosen.counts.values() for c in per.values()}
    assert cells == {chosen.per_cell}


def test_balanced_counts_speaker_selection_and_seed():
    genders = {f"s{i}": "FM"[i % 2] for i in range(8)}
    utts = corpus("x", list(genders), per=5, genders=genders)
    chosen = balanced_test_set(utts, speakers={"F": 2, "M": 1}, per_cell=3, seed=1)
    assert len(chosen.speakers) == 3 and len(chosen.keys) == 3 * 4 * 3
    assert Counter(genders[s] for s in chosen.speakers) == {"F": 2, "M": 1}
    same = balanced_test_set(utts, speakers={"F": 2, "M": 1}, per_cell=3, seed=1)
    other = balanced_test_set(utts, speakers={"F": 2, "M": 1}, per_cell=3, seed=2)
    assert same.keys == chosen.keys and other.keys != chosen.keys
    listed = balanced_test_set(utts, speakers=["s0", "s5"], per_cell=5, space="native")
    assert listed.per_label == dict.fromkeys(LABELS, 10)
    short = utts[:-1]  # s7 loses one Calm... and Calm is native-only
    assert "s7" in balanced_test_set(short, per_cell=5, space="native").skipped_speakers
    with pytest.raises(EmoboxError, match="s7"):
        balanced_test_set(short, speakers=["s7"], per_cell=5, space="native")


def test_pseudo_label_agreement_with_a_trained_head(tmp_path):
    from emobox.train import get_recipe, train_head

    utts = corpus("savee", ["DC", "JE", "JK", "KL"], per=8)
    rng = np.random.default_rng(0)
    centres = {lab: rng.normal(size=8) * 3 for lab in LABELS}
    with FeatureStore.create(tmp_path / "store", model="toy", layers=[0], dim=8) as w:
        for u in utts:
            w.add(u.key, (centres[u.label] + rng.normal(size=(1, 4, 8)) * 0.3))
    store = FeatureStore.open(tmp_path / "store")
    trained = train_head(store, [(u.key, u.label) for u in utts], [],
                         get_recipe("emobox", epochs=30, warmup_epochs=1, lr=1e-2, grid=()))
    labeler = ModelLabeler(trained, store)
    chosen = balanced_test_set(utts, per_cell=4, labeler=labeler, seed=0)
    assert chosen.agreement["checked"] == 4 * 4 * 8 and chosen.agreement["agreed"] > 100
    assert chosen.per_label == dict.fromkeys(("Angry", "Happy", "Neutral", "Sad"), 16)

    def contrarian(batch):  # agrees only on Sad: no balanced set possible
        return ["Sad" for _ in batch]

    with pytest.raises(EmoboxError, match="no speaker"):
        balanced_test_set(utts, per_cell=1, labeler=contrarian)


def test_track2_import_matches_our_keys(tmp_path):
    utts = corpus("savee", ["DC", "JK"], per=3)
    for u in utts:
        u.wav = f"{u.speaker}_{u.label.lower()}{u.key[-2:]}.wav"
    lines = [{"wav_filename": f"JK/{lab.lower()}0{i}.wav", "label": lab.lower(), "speaker": "JK"}
             for lab in ("Angry", "Happy", "Neutral", "Sad") for i in range(2)]
    path = tmp_path / "SAVEE_selected_balenced.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    chosen = read_track2(path, utts)
    assert len(chosen.keys) == 8 and chosen.per_label == dict.fromkeys(
        ("Angry", "Happy", "Neutral", "Sad"), 2)
    path.write_text(json.dumps({"wav_filename": "XX/zz.wav", "label": "sad", "speaker": "X"}))
    with pytest.raises(EmoboxError, match="zz.wav"):
        read_track2(path, utts)
