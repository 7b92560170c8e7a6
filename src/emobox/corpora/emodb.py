"""EmoDB — Berlin Database of Emotional Speech.

Raw layout (the official download.zip): ``wav/<SS><text><E><version>.wav`` — speaker (2 digits),
text code, emotion letter (W anger, L boredom, E disgust, A fear, F happiness, T sadness,
N neutral), version letter. The raw label is EmoBox's emotion-list name for that letter
(including its spelling "boredem"). Example: ``wav/03a01Wa.wav`` → ``emodb-03a01Wa``, speaker 03.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus, code, lookup

LETTERS = {"W": "anger", "L": "boredem", "E": "disgust", "A": "fear", "F": "happy",
           "N": "neutral", "T": "sad"}
GENDERS = {"03": "M", "08": "F", "09": "F", "10": "M", "11": "M", "12": "M", "13": "F",
           "14": "F", "15": "M", "16": "F"}

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="emodb",
        display_name="EmoDB",
        languages=("de",),
        label_map={"anger": "Angry", "boredem": "Boredom", "disgust": "Disgust", "fear": "Fear",
                   "happy": "Happy", "neutral": "Neutral", "sad": "Sad"},
        source="acted",
        n_emotions=7,
        n_speakers=10,
        n_utterances=535,
        hours=0.4,
        url="http://emodb.bilderbar.info/",
        license="free for research; cite Burkhardt et al. (2005)",
        protocols=("emobox", "serval"),
        serval_map={"Boredom": "sadness"},
        serval_cluster="cluster1",
        notes="EmoBox's label_map.json keys 'Neutral' but its data says 'neutral'; mapped here.",
    ),
    glob="wav/*.wav",
    pattern=r"wav/(?P<speaker>\d\d)(?P<text>[a-z]\d\d)(?P<letter>[A-Z])(?P<version>[a-z]*)\.wav",
    key="{stem}",
    emo=lookup("letter", LETTERS, what="emotion letter"),
    gender=code("speaker", GENDERS),
    expect="wav/*.wav files",
)
