"""JL-Corpus — New Zealand English emotional speech (primary and secondary emotions).

Raw layout: ``Raw JL corpus (unchecked and unannotated)/JL(wav+txt)/`` holding
``<speaker>_<emotion>_<sentence><session>_<take>.wav`` (and .txt transcripts); speakers female1,
female2, male1, male2. All ten emotions are kept as classes, as EmoBox does. Example:
``…/JL(wav+txt)/male2_concerned_6b_1.wav`` → ``jlcorpus-male2-concerned-6b-1``, speaker male2.
"""

from __future__ import annotations

import re

from emobox.corpora.core import CorpusInfo, PatternCorpus, lookup, rewrite

FOLDER = "Raw JL corpus (unchecked and unannotated)/JL(wav+txt)"
EMOTIONS = ("angry", "sad", "neutral", "happy", "excited",
            "anxious", "apologetic", "assertive", "concerned", "encouraging")

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="jlcorpus",
        display_name="JL-Corpus",
        languages=("en",),
        label_map={emotion: emotion.capitalize() for emotion in EMOTIONS},
        source="acted",
        n_emotions=5,
        n_speakers=4,
        n_utterances=2400,
        hours=1.4,
        url="https://www.kaggle.com/datasets/tli725/jl-corpus",
        license="released as an open-source corpus for research; cite James et al. (2018)",
        notes="Table 1 counts the 5 primary emotions; EmoBox keeps all 10 as classes.",
    ),
    glob=f"{FOLDER}/*.wav",
    pattern=re.escape(FOLDER) + r"/(?P<speaker>(?P<sex>female|male)\d)_(?P<emo>[a-z]+)"
            r"_(?P<sentence>\d+[a-z])_(?P<take>\d+)\.wav",
    key=rewrite("{stem}", {"_": "-"}),
    gender=lookup("sex", {"female": "F", "male": "M"}),
    expect=f"'{FOLDER}/' folder of .wav files",
)
