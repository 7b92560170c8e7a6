"""AESDD — Acted Emotional Speech Dynamic Database (Greek).

Raw layout: one folder per emotion (anger, disgust, fear, happiness, sadness) holding
``<e><NN> (<speaker>)[take].wav``: emotion letter, sentence number, speaker number in
parentheses (sometimes zero-padded), optional take letter. Example: ``anger/a06 (5)b.wav``.
Key (as EmoBox): the stem with spaces → ``-`` and parentheses dropped, ``aesdd-a06-5b``.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus, rewrite

FOLDERS = ("anger", "disgust", "fear", "happiness", "sadness")

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="aesdd",
        display_name="AESDD",
        languages=("el",),
        label_map={"a": "Angry", "d": "Disgust", "f": "Fear", "h": "Happy", "s": "Sad"},
        source="acted",
        n_emotions=5,
        n_speakers=5,
        n_utterances=604,
        hours=0.7,
        url="https://m3c.web.auth.gr/research/aesdd-speech-emotion-recognition/",
        license="free for academic research; obtained on request from the AUTh M3C group",
        protocols=("emobox", "serval"),
        notes="n_speakers is EmoBox Table 1 (5); the download and EmoBox's metadata hold "
              "6 ids (1-6, 98-107 files each), which prepare finds and reports.",
    ),
    glob=tuple(f"{folder}/*.wav" for folder in FOLDERS),
    pattern=r"(?P<folder>[a-z]+)/(?P<emo>[a-z])(?P<sentence>\d\d) \((?P<speaker>\d+)\)"
            r"(?P<take>[a-z]?)\.wav",
    key=rewrite("{stem}", {" ": "-", "(": "", ")": ""}),
    speaker=lambda f: str(int(f["speaker"])),
    expect="anger/ … sadness/ folders of '<e><NN> (<speaker>).wav' files",
)
