"""MESD — Mexican Emotional Speech Database (Spanish single words).

Raw layout: ``Mexican Emotional Speech Database (MESD)/<Emotion>_<F|M|C>_<A|B>_<word>.wav``:
emotion (Anger, Disgust, Fear, Happiness, Neutral, Sadness), voice type (female adult, male
adult, child), word corpus, word. File names carry no speaker id, so `speaker` is left empty;
the voice type (EmoBox's "speaker" column: Female/Male/Child) is kept as ``voice_type``.
Example: ``…/Anger_F_A_tarde.wav`` → ``mesd-Anger_F_A_tarde``.
"""

from __future__ import annotations

import re

from emobox.corpora.core import CorpusInfo, PatternCorpus, code, lookup

FOLDER = "Mexican Emotional Speech Database (MESD)"

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="mesd",
        display_name="MESD",
        languages=("es",),
        label_map={"Anger": "Angry", "Disgust": "Disgust", "Fear": "Fear",
                   "Happiness": "Happy", "Neutral": "Neutral", "Sadness": "Sad"},
        source="acted",
        n_emotions=6,
        n_speakers=11,
        n_utterances=862,
        hours=0.2,
        url="https://data.mendeley.com/datasets/cy34mh68j9",
        license="CC BY 4.0",
        protocols=("emobox", "serval"),
        serval_cluster="cluster2",
        notes="n_speakers is EmoBox Table 1 (11); the release has no speaker ids, only the "
              "voice type F/M/C, which EmoBox's metadata stores as 3 'speakers' (kept here "
              "as voice_type, speaker left empty).",
    ),
    glob=f"{FOLDER}/*.wav",
    pattern=re.escape(FOLDER) + r"/(?P<emo>[A-Za-z]+)_(?P<voice>[A-Z])_(?P<words>[A-Z])"
            r"_(?P<word>[^/]+)\.wav",
    key="{stem}",
    speaker=None,
    gender=code("voice", {"F": "F", "M": "M"}),
    extra={"voice_type": lookup("voice", {"F": "Female", "M": "Male", "C": "Child"},
                                what="voice type")},
    expect=f"'{FOLDER}/' folder of .wav files",
)
