"""MEAD (audio part): speaker, emotion and intensity level read from the path.

Layout (EmoBox ``downloads/mead/``)::

    <spk>/audio/<emotion>/level_<1|2|3>/<NNN>.m4a    e.g. W019/audio/neutral/level_1/020.m4a

Key ``mead-<spk>-<emotion>-level-<n>-<NNN>``; M/W of the speaker id gives the gender.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus

LABELS = {"angry": "Angry", "contempt": "Contempt", "disgusted": "Disgust", "fear": "Fear",
          "happy": "Happy", "neutral": "Neutral", "sad": "Sad", "surprised": "Surprise"}

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="mead", display_name="MEAD", languages=("en",), label_map=LABELS,
        source="acted", n_emotions=8, n_speakers=48, n_utterances=31729, hours=37.3,
        url="https://wywu.github.io/projects/MEAD/MEAD.html",
        license="academic research use (MEAD terms of use)",
        protocols=("emobox", "serval"),
        serval_map={"Contempt": "disgust"},
        serval_cluster="cluster2",
        notes="audio part only; three intensity levels (neutral only level 1)",
    ),
    glob="*/audio/*/*/*.m4a",
    pattern=(r"(?P<speaker>[MW]\d{3})/audio/(?P<emo>[a-z]+)/level_(?P<level>\d)/"
             r"(?P<n>[^/]+)\.m4a"),
    key=lambda f: f"{f['speaker']}-{f['emo']}-level-{f['level']}-{f['n'].replace('_', '-')}",
    gender=lambda f: "M" if f["speaker"][0] == "M" else "F",
    expect="<spk>/audio/<emotion>/level_<n>/*.m4a files",
)
