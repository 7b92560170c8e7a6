"""ASED — Amharic Speech Emotion Dataset.

Raw layout: one folder per emotion (``01Neutral``, ``02Fearful``, ``03Happy``, ``04Sad``,
``05Angry``) holding ``<e><folder digit>-<sentence>-<repetition>-<gender>-<speaker>.wav``;
the emotion is the first letter (one file has a capital ``S``, kept as its own raw label),
gender 01 = female, 02 = male. Example: ``05Angry/a5-02-01-01-33.wav`` → ``ased-a5-02-01-01-33``.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus, code, rewrite

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="ased",
        display_name="ASED",
        languages=("am",),
        label_map={"n": "Neutral", "f": "Fear", "h": "Happy", "s": "Sad", "S": "Sad",
                   "a": "Angry"},
        source="acted",
        n_emotions=5,
        n_speakers=65,
        n_utterances=2474,
        hours=2.1,
        url="https://github.com/Ethio2021/ASED_V1",
        license="research use; terms in the ASED_V1 repository",
    ),
    glob="0[1-5]*/*.wav",
    pattern=r"(?P<folder>0[1-5][A-Za-z]+)/(?P<emo>[A-Za-z])\d-(?P<sentence>\d+)-(?P<rep>\d+)"
            r"-(?P<gender>\d+)-(?P<speaker>\d+)\.wav",
    key=rewrite("{stem}", {"_": "-"}),
    gender=code("gender", {"01": "F", "02": "M"}),
    expect="01Neutral/ … 05Angry/ folders of .wav files",
)
