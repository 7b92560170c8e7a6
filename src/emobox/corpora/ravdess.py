"""RAVDESS — Ryerson Audio-Visual Database of Emotional Speech and Song (speech, audio only).

Raw layout: ``audio/Audio_Speech_Actors_01-24/Actor_NN/<7 fields>.wav`` (also accepted: the
``Actor_NN/`` folders at any depth, as the official zip unpacks them). Fields: modality (03) ·
vocal channel (01 speech, 02 song) · emotion · intensity · statement · repetition · actor; odd
actors are male. EmoBox uses speech only, so song files are skipped. Example:
``…/Actor_18/03-01-05-01-02-01-18.wav`` → ``ravdess-03-01-05-01-02-01-18``, speaker 18.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus, lookup, parity

EMOTIONS = {"01": "Neutral", "02": "Calm", "03": "Happy", "04": "Sad", "05": "Angry",
            "06": "Fearful", "07": "Disgust", "08": "Surprised"}

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="ravdess",
        display_name="RAVDESS",
        languages=("en",),
        label_map={"Neutral": "Neutral", "Calm": "Calm", "Happy": "Happy", "Sad": "Sad",
                   "Angry": "Angry", "Fearful": "Fear", "Disgust": "Disgust",
                   "Surprised": "Surprise"},
        source="acted",
        n_emotions=8,
        n_speakers=24,
        n_utterances=1440,
        hours=1.5,
        url="https://zenodo.org/records/1188976",
        license="CC BY-NC-SA 4.0",
    ),
    glob="**/Actor_[0-9][0-9]/*.wav",
    pattern=r"(?:.*/)?Actor_(?P<folder>\d\d)/03-(?P<channel>0[12])-(?P<code>\d\d)"
            r"-(?P<intensity>\d\d)-(?P<statement>\d\d)-(?P<repetition>\d\d)-(?P<speaker>\d\d)"
            r"\.wav",
    key="{stem}",
    emo=lookup("code", EMOTIONS, what="emotion code"),
    gender=parity("speaker", odd="M", even="F"),
    exclude=lambda f: "song recording (vocal channel 02); EmoBox uses RAVDESS speech only"
    if f["channel"] == "02" else None,
    expect="Actor_NN/ folders of .wav files",
)
