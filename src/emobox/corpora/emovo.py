"""EMOVO — Italian emotional speech corpus.

Raw layout: ``<actor>/<emo>-<actor>-<sentence>.wav`` with actor folders f1, f2, f3, m1, m2, m3
(the letter is the gender) and Italian emotion codes neu, dis, gio, pau, rab, sor, tri.
Example: ``f2/gio-f2-b2.wav`` → ``emovo-gio-f2-b2``, speaker f2.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="emovo",
        display_name="EMOVO",
        languages=("it",),
        label_map={"neu": "Neutral", "dis": "Disgust", "gio": "Happy", "pau": "Fear",
                   "rab": "Angry", "sor": "Surprise", "tri": "Sad"},
        source="acted",
        n_emotions=7,
        n_speakers=6,
        n_utterances=588,
        hours=0.5,
        url="http://voice.fub.it/activities/corpora/emovo/index.html",
        license="free for research; Fondazione Ugo Bordoni (cite Costantini et al. 2014)",
        protocols=("emobox", "serval"),
        serval_cluster="cluster2",
    ),
    glob="[fm][0-9]/*.wav",
    pattern=r"(?P<folder>[fm]\d)/(?P<emo>[a-z]{3})-(?P<speaker>[fmFM]\d)-(?P<sentence>[a-z]\d)"
            r"\.wav",
    key="{stem}",
    gender=lambda f: f["speaker"][0].upper(),
    expect="f1/ … m3/ actor folders of .wav files",
)
