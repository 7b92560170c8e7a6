"""Oréau — French emotional speech database (version 2).

Raw layout: ``OréauFR_02/<f|m>/sess<x>/<SS><sentence><E><take>.wav`` — speaker (2 digits),
sentence (letter + 2 digits), emotion letter (C colère, T tristesse, J joie, P peur, D dégoût,
S surprise, N neutre; the session folder repeats it), take. The f/m folder is the gender; the
top folder's "é" may be stored decomposed (NFD). Example: ``OréauFR_02/f/sessj/10a02Ja.wav`` →
``oreau-10a02Ja``, speaker 10.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus, rewrite

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="oreau",
        display_name="Oréau",
        languages=("fr",),
        label_map={"C": "Angry", "T": "Sad", "J": "Happy", "P": "Fear", "D": "Disgust",
                   "S": "Surprise", "N": "Neutral"},
        source="acted",
        n_emotions=7,
        n_speakers=32,
        n_utterances=434,
        hours=0.3,
        url="https://zenodo.org/records/4405783",
        license="open access on Zenodo (terms on the record)",
    ),
    glob="*/[fm]/sess*/*.wav",
    pattern=r"(?P<top>Or[^/]*FR_02)/(?P<sex>[fm])/sess(?P<session>[a-z])/(?P<speaker>\d\d)"
            r"(?P<sentence>[a-z]\d\d)(?P<emo>[A-Z])(?P<take>[^/]*)\.wav",
    key=rewrite("{stem}", {" ": "-"}),
    gender=lambda f: f["sex"].upper(),
    expect="OréauFR_02/<f|m>/sess*/ folders of .wav files",
)
