"""TESS — Toronto Emotional Speech Set (EmoBox ``tess``).

Raw layout (EmoBox's ``downloads/tess/``; found recursively, so both the flat copy and the
per-emotion folders of the official download work)::

    [<folder>/]<OAF|YAF>_<word>_<emotion>.wav       e.g. OAF_lid_fear.wav

Label: the 3rd field (angry, disgust, fear, happy, neutral, sad; ps = pleasant surprise).
Speaker OAF (older) / YAF (younger), both female. Key (as EmoBox): ``tess-`` + the stem with
``_`` → ``-``, e.g. ``tess-OAF-lid-fear``. 24 414 Hz (one file at 96 kHz).
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="tess",
        display_name="TESS (Toronto Emotional Speech Set)",
        languages=("en",),
        label_map={"angry": "Angry", "disgust": "Disgust", "fear": "Fear", "happy": "Happy",
                   "neutral": "Neutral", "ps": "Surprise", "sad": "Sad"},
        source="acted",
        n_emotions=7,
        n_speakers=2,
        n_utterances=2800,
        hours=1.6,
        url="https://tspace.library.utoronto.ca/handle/1807/24487",
        license="CC BY-NC-ND 4.0",
        protocols=("emobox",),
    ),
    glob="**/*.[wW][aA][vV]",
    pattern=r"(?:.*/)?(?P<speaker>OAF|YAF)_(?P<word>[^_/]+)_(?P<emo>[^_/]+)\.(?i:wav)",
    key=lambda f: f["stem"].replace("_", "-"),
    gender="F",
    expect="<OAF|YAF>_<word>_<emotion>.wav files",
)
