"""ESD (Emotional Speech Dataset): 10 Mandarin + 10 English speakers, one folder per emotion.

Layout (EmoBox ``downloads/esd/``)::

    <SSSS>/<SSSS>.txt                       id <TAB> transcript <TAB> emotion
    <SSSS>/<Emotion>/<SSSS>_<NNNNNN>.wav    e.g. 0005/Neutral/0005_000001.wav

The emotion folder is the raw label (EmoBox translates the Mandarin txt labels to these
names). Key ``esd-<SSSS>-<NNNNNN>``; speakers 0001–0010 speak Mandarin, 0011–0020 English;
genders from the ESD README.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus, lookup

EMOTIONS = ("Angry", "Happy", "Neutral", "Sad", "Surprise")
#: Speaker genders as listed in the ESD README.
GENDERS = dict(zip((f"{i:04d}" for i in range(1, 21)), "FFFMMMFMFMMMMMFFFFFM"))

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="esd", display_name="ESD", languages=("zh", "en"),
        label_map={e: e for e in EMOTIONS}, source="acted",
        n_emotions=5, n_speakers=20, n_utterances=35000, hours=29.1,
        url="https://github.com/HLTSingapore/Emotional-Speech-Data",
        license="research use only (ESD licence; cite Zhou et al. 2021)",
        protocols=("emobox",),
        notes="10 Mandarin (0001-0010) + 10 English (0011-0020) speakers",
    ),
    glob="*/*/*.wav",
    pattern=r"(?P<speaker>\d{4})/(?P<emo>[A-Za-z]+)/(?P=speaker)_(?P<n>\d{6})\.wav",
    key="{speaker}-{n}",
    gender=lookup("speaker", GENDERS, what="ESD speaker"),
    lang=lambda f: "zh" if int(f["speaker"]) <= 10 else "en",
    expect="0001..0020/<Emotion>/<SSSS>_<NNNNNN>.wav files",
)
