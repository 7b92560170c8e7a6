"""CASIA — Chinese emotional speech corpus (the 1200-utterance subset EmoBox uses).

Raw layout: ``<speaker>/<emotion>/<n>.wav``, exactly two folder levels; speakers liuchanhg,
wangzhe, zhaoquanyin, zhaozuoxiang; emotions angry, fear, happy, neutral, sad, surprise.
Gender is not recorded in the data. Example: ``wangzhe/neutral/239.wav`` →
``casia-239-wangzhe-neutral``.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="casia",
        display_name="CASIA",
        languages=("zh",),
        label_map={"angry": "Angry", "fear": "Fear", "happy": "Happy", "neutral": "Neutral",
                   "sad": "Sad", "surprise": "Surprise"},
        source="acted",
        n_emotions=6,
        n_speakers=4,
        n_utterances=1200,
        hours=0.6,
        url="http://www.chineseldc.org/",
        license="not openly licensed; distributed by CASIA through the Chinese LDC",
        protocols=("emobox", "serval"),
    ),
    glob="*/*/*.wav",
    pattern=r"(?P<speaker>[a-z]+)/(?P<emo>[a-z]+)/(?P<n>\d+)\.wav",
    key="{n}-{speaker}-{emo}",
    expect="<speaker>/<emotion>/<n>.wav files",
)
