"""EmoV-DB — the Emotional Voices Database (English part).

Raw layout: one folder level, ``<speaker>_<Emotion>/<name>_<NNNN>.wav``, speakers bea, jenie
(female), josh, sam (male), emotions Amused, Angry, Disgusted, Neutral, Sleepy (josh: Amused,
Neutral, Sleepy only). The raw label is the folder emotion with "Disgusted" written "Disgust".
Example: ``jenie_Amused/amused_57-84_0057.wav`` → ``emovdb-jenie-Amused-0057``.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus, code

SPELLING = {"Disgusted": "Disgust"}


def _emotion(fields: dict[str, str]) -> str:
    return SPELLING.get(fields["emotion"], fields["emotion"])


CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="emovdb",
        display_name="EmoV-DB",
        languages=("en",),
        label_map={"Amused": "Amused", "Angry": "Angry", "Disgust": "Disgust",
                   "Neutral": "Neutral", "Sleepy": "Sleepy"},
        source="acted",
        n_emotions=5,
        n_speakers=4,
        n_utterances=6887,
        hours=9.5,
        url="https://github.com/numediart/EmoV-DB",
        license="free for research; terms in the numediart/EmoV-DB repository",
    ),
    glob="*_*/*.wav",
    pattern=r"(?P<speaker>[a-z]+)_(?P<emotion>[A-Za-z]+)/(?:[^/]*_)?(?P<text>[^_/]+)\.wav",
    key=lambda f: f"{f['speaker']}-{_emotion(f)}-{f['text']}",
    emo=_emotion,
    gender=code("speaker", {"bea": "F", "jenie": "F", "josh": "M", "sam": "M"}),
    expect="<speaker>_<Emotion>/ folders of .wav files",
)
